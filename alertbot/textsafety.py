"""Crawled and imported text made inert and visible: hidden characters, control characters, terminal markup.

Three kinds of character are dangerous in names and marks shown to people:

* **bidirectional controls** (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C): ``\\u202egnidarT\\u202c
  Ltd`` *displays* as "Trading Ltd";
* **invisible characters** (zero-width space/joiners, word joiner, BOM, soft hyphen, Hangul fillers, every
  other Unicode format character): ``AC\\u200bME`` looks like ACME and is not;
* **control characters** (C0, DEL, C1): line breaks and vertical tabs break e-mail headers and spreadsheets;
  ESC starts terminal escape sequences.

:func:`reveal` shows each as ``⟨U+202E⟩``; :func:`strip_hidden` removes the first two kinds (what ingest does
before matching, keeping the revealed original in ``raw``); :func:`for_terminal` reveals and escapes rich
markup (``[/bold]``, ``[link=…]``) for the CLI.
"""

from __future__ import annotations

import re
import unicodedata

from rich.markup import escape

HIDDEN_REASON = "hidden-characters"
"""The alert reason code for a record whose name or mark held hidden characters (worded in strings.json)."""

# Format characters (category Cf) are all invisible; these are invisible letters/marks outside Cf.
_INVISIBLE_NON_FORMAT = frozenset({"\u034f", "\u115f", "\u1160", "\u3164", "\uffa0", "\u180e"})


def _is_hidden(char: str) -> bool:
    return char in _INVISIBLE_NON_FORMAT or unicodedata.category(char) == "Cf"


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


# A fast pre-check: everything that can be hidden or a control is outside printable ASCII.
_ASCII_PRINTABLE = re.compile(r"[\x20-\x7e]*")


def hidden_characters(text: str) -> list[str]:
    """The code points (``U+202E``) of hidden (bidi, zero-width, format) characters in ``text``, in order."""
    if _ASCII_PRINTABLE.fullmatch(text):
        return []
    return [f"U+{ord(c):04X}" for c in text if _is_hidden(c)]


def control_characters(text: str) -> list[str]:
    """The code points of control characters (C0 including line breaks and tabs, DEL, C1) in ``text``."""
    if _ASCII_PRINTABLE.fullmatch(text):
        return []
    return [f"U+{ord(c):04X}" for c in text if _is_control(c)]


def mark(char: str) -> str:
    """One character shown visibly: ``⟨U+202E⟩``."""
    return f"⟨U+{ord(char):04X}⟩"


def reveal(text: str) -> str:
    """``text`` with every hidden and control character replaced by a visible ``⟨U+XXXX⟩``."""
    if _ASCII_PRINTABLE.fullmatch(text):
        return text
    return "".join(mark(c) if _is_hidden(c) or _is_control(c) else c for c in text)


def strip_hidden(text: str) -> str:
    """``text`` without hidden (bidi, zero-width, format) characters; controls are left to the caller."""
    if _ASCII_PRINTABLE.fullmatch(text):
        return text
    return "".join(c for c in text if not _is_hidden(c))


def for_terminal(value: object) -> str:
    """Crawled or imported text for a rich console or table cell: hidden and control characters revealed,
    rich markup escaped, so ``Squat Co [/bold] Ltd`` prints as itself and ``[link=…]`` is no hidden link."""
    if value is None:
        return ""
    return escape(reveal(str(value)))
