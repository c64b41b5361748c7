"""Fixtures for the channel tests: a fully filled alert view, free ports, loopback servers."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from alertbot.notify.base import AlertView
from tests.notify.botapi_standin import BotApiStandIn
from tests.notify.webhook_standin import WebhookStandIn


def make_view(**changes: Any) -> AlertView:
    """An alert with every field filled in with distinctive values (so a test can find each one)."""
    view = AlertView(
        alert_id=4711,
        risk="high",
        enterprise_id="SY-0042",
        enterprise_name_zh="沈阳鼓风机集团股份有限公司",
        enterprise_name_en="Shenyang Blower Works Group Corp.",
        mark="SHENGU",
        record_text="SHENGU & Design <compressors>",
        applicant="Gulf Trading FZE",
        applicant_country="AE",
        kind="trademark",
        source="uspto_tm_daily",
        office="USPTO",
        show=None,
        classes=(7, 11),
        filing_date=date(2026, 9, 14),
        publication_date=date(2026, 11, 3),
        opposition_deadline=date(2026, 12, 3),
        days_left=6,
        hall="N3",
        booth="N3-117",
        url="https://tsdr.uspto.gov/#caseNumber=99887766&caseType=SERIAL_NO",
        reasons=("variant:pinyin", "class-overlap", "novel:code"),
        variant="shen gu",
        score=0.91,
    )
    return replace(view, **changes)


@pytest.fixture
def alert_view() -> Callable[..., AlertView]:
    """A factory for alert views: ``alert_view(risk="low")``."""
    return make_view


def free_port() -> int:
    """A port free on 127.0.0.1 right now (aiosmtpd's Controller cannot bind port 0, notes §7)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def botapi() -> Iterator[BotApiStandIn]:
    """A running Bot API stand-in."""
    with BotApiStandIn() as api:
        yield api


@pytest.fixture
def webhook() -> Iterator[WebhookStandIn]:
    """A running robot-webhook stand-in."""
    with WebhookStandIn() as standin:
        yield standin
