"""The service's Prometheus counters: every row outcome of a dispatcher pass is counted."""

from __future__ import annotations

from dataclasses import fields

import pytest

from alertbot.outbox import DispatchStats
from alertbot.service import metrics

# DispatchStats fields that are bookkeeping of the pass, not what happened to a row.
BOOKKEEPING = {"claimed", "messages", "staff_notices"}


def _value(outcome: str) -> float:
    return metrics.REGISTRY.get_sample_value("alertbot_dispatch_outcomes_total", {"outcome": outcome}) or 0.0


def test_every_dispatch_outcome_is_a_metric() -> None:
    # A new DispatchStats outcome must be counted (or named bookkeeping here, on purpose).
    assert {item.name for item in fields(DispatchStats)} - BOOKKEEPING == set(metrics.DISPATCH_OUTCOME_FIELDS)


@pytest.mark.parametrize(
    ("outcome", "count"), [("deferred", 3), ("held", 2), ("strikes", 1), ("sent", 4), ("failed", 2)]
)
def test_record_dispatch_counts_each_outcome(outcome: str, count: int) -> None:
    before = {name: _value(name) for name in metrics.DISPATCH_OUTCOME_FIELDS}
    failures = metrics.REGISTRY.get_sample_value("alertbot_failures_total", {"kind": "delivery"}) or 0.0
    metrics.record_dispatch(DispatchStats(claimed=9, **{outcome: count}))
    after = {name: _value(name) for name in metrics.DISPATCH_OUTCOME_FIELDS}
    assert {name: after[name] - before[name] for name in after if after[name] != before[name]} == {
        outcome: count
    }
    failed_now = metrics.REGISTRY.get_sample_value("alertbot_failures_total", {"kind": "delivery"}) or 0.0
    assert failed_now - failures == (count if outcome == "failed" else 0)
