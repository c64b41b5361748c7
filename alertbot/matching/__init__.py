"""The matching engine: is a trademark filing, exhibitor or patent a risk to a watched enterprise, and why.

Typical use::

    matcher = Matcher(watches)          # compiles the index once
    for hit in matcher.match(candidate):
        print(hit.to_json())

See docs/matching.md for the rules, risk levels and reason codes.
"""

from alertbot.matching.engine import Comparison, Explanation, Matcher, PartyCheck, mark_kind
from alertbot.matching.model import (
    REASON_CODES,
    RISK_LEVELS,
    VARIANTS,
    Candidate,
    Hit,
    Watch,
    describe,
    raise_risk,
)
from alertbot.matching.serial import SERIAL_FILER, applicant_key, escalate_serial_filers, serial_filers

__all__ = [
    "REASON_CODES",
    "RISK_LEVELS",
    "SERIAL_FILER",
    "VARIANTS",
    "Candidate",
    "Comparison",
    "Explanation",
    "Hit",
    "Matcher",
    "PartyCheck",
    "Watch",
    "applicant_key",
    "describe",
    "escalate_serial_filers",
    "mark_kind",
    "raise_risk",
    "serial_filers",
]
