"""Matching an exhibitor: its names, and the products and brands it declares.

Counterfeit goods at a show hide in the product list, not in the company name: bearings declared as
``瓦房店轴承`` or stamped ``ZWZ`` by a trading company. So besides the exhibitor's Chinese and English names,
each product and brand term is matched like a mark (``ZWZ``, ``瓦轴``), and checked for a watched
enterprise's trade name (``瓦房店轴承`` is the core of 瓦房店轴承集团有限责任公司). The edition's Nice classes
(``classes:`` in the edition file) stand for what the show's exhibitors make, so short acronym marks count.

A watched enterprise exhibiting under its own name or a listed affiliate's raises nothing for itself.
"""

from __future__ import annotations

import dataclasses
import re
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

from alertbot.expo.names import match_terms
from alertbot.matching import Candidate, Hit, Matcher
from alertbot.matching.normalize import fold, has_han, legal_core

RISK_RANK = {"low": 0, "medium": 1, "high": 2}
PRODUCT_REASON = "expo-product"
BRAND_REASON = "expo-brand"
TRADE_NAME_REASON = "expo-trade-name"
# A trade name shorter than this is a mark's job (沈鼓, 东软 are marks too); longer ones are specific enough
# to find inside a product description.
MIN_HAN_CORE = 4
MIN_LATIN_CORE = 8

_trade_names: weakref.WeakKeyDictionary[Any, list[tuple[str, str, bool]]] = weakref.WeakKeyDictionary()


def _trade_name_index(matcher: Matcher) -> list[tuple[str, str, bool]]:
    """(folded trade name, watch id, is_han) for every watched enterprise's names and affiliates' names."""
    cached = _trade_names.get(matcher)
    if cached is not None:
        return cached
    index: list[tuple[str, str, bool]] = []
    for watch in matcher.watches.values():
        for name in (watch.name_zh, watch.name_en, *watch.affiliates):
            if not name:
                continue
            core = legal_core(name)
            han = has_han(core)
            compact = core.replace(" ", "") if han else core
            if (han and len(compact) >= MIN_HAN_CORE) or (not han and len(compact) >= MIN_LATIN_CORE):
                entry = (compact, watch.id, han)
                if entry not in index:
                    index.append(entry)
    _trade_names[matcher] = index
    return index


def _contains(term_folded: str, core: str, han: bool) -> bool:
    if han:
        return core in term_folded.replace(" ", "")
    return re.search(rf"(?<![a-z0-9]){re.escape(core)}(?![a-z0-9])", term_folded) is not None


_term_cache: weakref.WeakKeyDictionary[Any, dict[tuple[str, str, frozenset[int]], tuple[Hit, ...]]] = (
    weakref.WeakKeyDictionary()
)
TERM_CACHE_SIZE = 50_000


def _term_hits(
    matcher: Matcher, record_id: str, term: str, reason: str, classes: frozenset[int]
) -> list[Hit]:
    # Catalogues repeat the same product words (数控车床, 轴承) on hundreds of rows: judge each term once.
    cache = _term_cache.setdefault(matcher, {})
    key = (term, reason, classes)
    found = cache.get(key)
    if found is None:
        found = tuple(_judge_term(matcher, term, reason, classes))
        if len(cache) > TERM_CACHE_SIZE:
            cache.clear()
        cache[key] = found
    return [dataclasses.replace(hit, record_id=record_id) for hit in found]


def _judge_term(matcher: Matcher, term: str, reason: str, classes: frozenset[int]) -> list[Hit]:
    record_id = ""
    hits: list[Hit] = []
    for text in match_terms(term):
        for hit in matcher.match(Candidate(id=record_id, kind="trademark", text=text, classes=classes)):
            hits.append(_with_reasons(hit, (f"{reason}:{_detail(term)}",)))
        folded = fold(text)
        for core, watch_id, han in _trade_name_index(matcher):
            if _contains(folded, core, han):
                watch = matcher.watches[watch_id]
                hits.append(
                    Hit(
                        record_id=record_id,
                        watch_id=watch_id,
                        risk="high",
                        score=100.0,
                        mark=watch.name_zh or watch.name_en,
                        variant="trade-name",
                        reasons=(f"{reason}:{_detail(term)}", TRADE_NAME_REASON),
                        class_overlap=tuple(sorted(classes & watch.classes)),
                    )
                )
    return hits


def _with_reasons(hit: Hit, extra: Sequence[str]) -> Hit:
    return Hit(
        record_id=hit.record_id,
        watch_id=hit.watch_id,
        risk=hit.risk,
        score=hit.score,
        mark=hit.mark,
        variant=hit.variant,
        reasons=(*extra, *hit.reasons),
        class_overlap=hit.class_overlap,
    )


def merge_hits(hits: Iterable[Hit]) -> list[Hit]:
    """At most one hit per enterprise: the strongest, carrying every reason found."""
    best: dict[str, Hit] = {}
    reasons: dict[str, dict[str, None]] = {}
    for hit in hits:
        current = best.get(hit.watch_id)
        if current is None or (RISK_RANK[hit.risk], hit.score) > (RISK_RANK[current.risk], current.score):
            best[hit.watch_id] = hit
        reasons.setdefault(hit.watch_id, {}).update(dict.fromkeys(hit.reasons))
    merged = []
    for watch_id, hit in best.items():
        ordered = dict.fromkeys(hit.reasons)
        ordered.update(reasons[watch_id])
        merged.append(_replace_reasons(hit, tuple(ordered)))
    merged.sort(key=lambda h: (-RISK_RANK[h.risk], -h.score, h.watch_id))
    return merged


def _replace_reasons(hit: Hit, reasons: tuple[str, ...]) -> Hit:
    return Hit(
        hit.record_id, hit.watch_id, hit.risk, hit.score, hit.mark, hit.variant, reasons, hit.class_overlap
    )


def exhibitor_hits(
    matcher: Matcher,
    record_id: str,
    *,
    name_zh: str | None,
    name_en: str | None,
    products: Sequence[str] = (),
    brands: Sequence[str] = (),
    classes: Iterable[int] = (),
) -> list[Hit]:
    """Every watched enterprise this exhibitor is a risk to, merged to one hit each."""
    class_set = frozenset(classes)
    names = [n for n in dict.fromkeys((name_zh, name_en)) if n]
    own: set[str] = set()
    for name in names:
        check = matcher.check_party(name)
        own.update(check.own_of, check.affiliate_of)
    hits: list[Hit] = []
    for name in names:
        hits.extend(matcher.match(Candidate(id=record_id, kind="exhibitor", text=name, classes=class_set)))
    for term in brands:
        hits.extend(_term_hits(matcher, record_id, term, BRAND_REASON, class_set))
    for term in products:
        hits.extend(_term_hits(matcher, record_id, term, PRODUCT_REASON, class_set))
    return merge_hits(h for h in hits if h.watch_id not in own)


def record_hits(matcher: Any, record: Any) -> list[Hit]:
    """The hits of a stored record: exhibitors through :func:`exhibitor_hits`, everything else as before."""
    from alertbot.alerting import candidate_for

    if record.kind != "exhibitor":
        return list(matcher.match(candidate_for(record)))
    raw = record.raw or {}
    return exhibitor_hits(
        matcher,
        str(record.id),
        name_zh=raw.get("name_zh") or record.text,
        name_en=raw.get("name_en"),
        products=[str(p) for p in raw.get("products") or []],
        brands=[str(b) for b in raw.get("brands") or []],
        classes=record.classes or (),
    )


def _detail(term: str) -> str:
    # A reason code is "code:detail"; a colon inside the crawled term must not split it again.
    return term.replace(":", "：")
