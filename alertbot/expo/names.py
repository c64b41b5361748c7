"""Exhibitor text as shows publish it: wrapped names, full-width punctuation, mixed Chinese/English names,
booth numbers, product and brand lists – and the stable identity of an exhibitor within an edition."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

from alertbot.matching.normalize import name_key

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RE = re.compile(f"[{_HAN}]")
_LATIN_RE = re.compile(r"[A-Za-z]")
# Whitespace between two CJK characters (or CJK punctuation) is a line wrap or layout, never meaningful.
_CJK_GAP = re.compile(f"(?<=[{_HAN}\u3000-\u303f\uff00-\uffef])\\s+(?=[{_HAN}\u3000-\u303f\uff00-\uffef])")
# The Chinese part of a bilingual name ends at its last Chinese character or closing bracket.
_ZH_THEN_EN = re.compile(f"^(.*[{_HAN}][)）\\]】]*)\\s*([^{_HAN}]*[A-Za-z][^{_HAN}]*)$", re.DOTALL)
_BRACKETED = re.compile(r"[(（\[【]([^()（）\[\]【】]+)[)）\]】]")
_SPACES = re.compile(r"\s+")
NATIVE_ID_MAX = 128


def clean(value: object) -> str:
    """A published cell as one line: lines joined (no space between Chinese characters), spaces collapsed."""
    if value is None:
        return ""
    text = str(value).replace("\u3000", " ")
    text = _CJK_GAP.sub("", text)
    return _SPACES.sub(" ", text).strip()


def normalise_name(value: str) -> str:
    """A name for display and matching: NFKC (full-width brackets and letters become ASCII), wraps joined.

    Traditional characters are kept as published; the matcher folds them.
    """
    return clean(unicodedata.normalize("NFKC", clean(value)))


def has_han(text: str) -> bool:
    """Whether ``text`` contains a Chinese character."""
    return _HAN_RE.search(text) is not None


def split_bilingual(raw: str) -> tuple[str, str]:
    """(Chinese name, English name) of a published name: ``沈阳新松… SIASUN Robot …`` → both parts;
    a Chinese-only name has no English part and a Latin-only name no Chinese part."""
    text = clean(raw)
    if not text:
        return "", ""
    if not has_han(text):
        return "", text
    found = _ZH_THEN_EN.match(text)
    if found and len(_LATIN_RE.findall(found.group(2))) >= 3:
        return found.group(1).strip(), found.group(2).strip(" -–—/|")
    return text, ""


def normalise_booth(value: str) -> str:
    """``Ｅ２－Ａ３２０`` or ``e2 - a320`` → ``E2-A320``."""
    text = unicodedata.normalize("NFKC", clean(value)).upper()
    text = re.sub(r"\s*[-–—]\s*", "-", text)
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=64)
def _hall_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def hall_from_booth(booth: str, pattern: str) -> str:
    """The hall named by a booth number (``E2-A320`` → ``E2``), or empty."""
    found = _hall_regex(pattern).search(booth)
    return found.group("hall").strip() if found else ""


def split_terms(value: object, separators: str) -> list[str]:
    """A product or brand cell (or list) as separate terms, in order, without repeats."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    pattern = "[" + re.escape(separators) + "]" if separators else None
    terms: list[str] = []
    for item in items:
        text = str(item) if item is not None else ""
        parts = re.split(pattern, text) if pattern else [text]
        for part in parts:
            term = clean(part)
            if term and term not in terms:
                terms.append(term)
    return terms


def match_terms(term: str) -> list[str]:
    """The texts of one product/brand term worth matching: the term, the bracketed parts and the rest
    (``深沟球轴承（瓦房店轴承）`` → the whole, ``瓦房店轴承``, ``深沟球轴承``)."""
    texts = [term]
    inner = _BRACKETED.findall(term)
    outer = clean(_BRACKETED.sub(" ", term))
    for text in (*inner, outer):
        text = clean(text)
        if text and text not in texts:
            texts.append(text)
    return texts


def identity_name(name: str) -> str:
    """The normalised name in an exhibitor's identity: legal forms, punctuation, case, traditional/simplified
    and full-/half-width differences folded away."""
    return name_key(name) or clean(unicodedata.normalize("NFKC", name)).casefold()


def exhibitor_native_id(name: str, booth: str) -> str:
    """The stable id of an exhibitor within an edition: normalised booth + normalised name.

    Re-crawls and re-imports of the same (name, booth) update one record, whatever the punctuation or
    script variant published; a long key keeps a readable prefix and ends in a hash.
    """
    key = f"{normalise_booth(booth)}|{identity_name(name)}"
    if len(key) <= NATIVE_ID_MAX:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: NATIVE_ID_MAX - 17]}~{digest}"
