"""Serial filers: one applicant whose filings meet two or more watched enterprises."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace

from alertbot.matching import normalize as nz
from alertbot.matching.model import Hit, raise_risk

SERIAL_FILER = "serial-filer"
SERIAL_FILER_MIN_WATCHES = 2


def applicant_key(name: str | None) -> str:
    """The key that groups one applicant's spellings ("ACME Co., Ltd." and "ACME COMPANY LIMITED")."""
    return nz.name_key(name) if name else ""


def serial_filers(hits: list[Hit], applicant_of: Mapping[str, str | None]) -> dict[str, set[str]]:
    """Applicant key -> the watch ids its hits span, for applicants spanning at least two enterprises."""
    spans: dict[str, set[str]] = defaultdict(set)
    for hit in hits:
        key = applicant_key(applicant_of.get(hit.record_id))
        if key:
            spans[key].add(hit.watch_id)
    return {key: ids for key, ids in spans.items() if len(ids) >= SERIAL_FILER_MIN_WATCHES}


def escalate_serial_filers(hits: list[Hit], applicant_of: Mapping[str, str | None]) -> list[Hit]:
    """Raise by one level every hit of an applicant whose hits span two or more enterprises.

    ``applicant_of`` maps record ids to the record's applicant. Escalated hits gain the reason
    ``serial-filer``; other hits are returned unchanged, in the same order.
    """
    serial = serial_filers(hits, applicant_of)
    result = []
    for hit in hits:
        key = applicant_key(applicant_of.get(hit.record_id))
        if key in serial and SERIAL_FILER not in hit.reasons:
            risk = raise_risk(hit.risk)
            if hit.variant == "translation" and risk == "high":
                risk = "medium"  # a translation is never a high risk, even from a serial filer
            hit = replace(hit, risk=risk, reasons=(*hit.reasons, SERIAL_FILER))
        result.append(hit)
    return result
