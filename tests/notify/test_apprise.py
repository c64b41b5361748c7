"""The Apprise channel against a loopback JSON webhook (Apprise's ``json://`` service)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from alertbot.notify import configured_channels
from alertbot.notify.apprise import AppriseChannel, parse_urls
from alertbot.notify.base import PermanentDeliveryError, TransientDeliveryError
from alertbot.notify.render import render_notice
from alertbot.settings import Settings
from tests.notify.webhook_standin import WebhookStandIn


def _settings(tmp_path: Path, urls: str) -> Settings:
    return Settings(_env_file=None, outbox_dir=tmp_path, apprise_urls=SecretStr(urls))


def test_parse_urls_names_entries() -> None:
    assert parse_urls("ops=slack://T/B/C  ntfy://ntfy.example.org/alerts?priority=high") == {
        "ops": "slack://T/B/C",
        "default": "ntfy://ntfy.example.org/alerts?priority=high",
    }
    with pytest.raises(ValueError, match="NAME=URL"):
        parse_urls("=json://x")


async def test_sends_to_the_named_url_and_retries_failures(tmp_path: Path, webhook: WebhookStandIn) -> None:
    host = webhook.url.removeprefix("http://")
    channels = configured_channels(_settings(tmp_path, f"ops=json://{host}/ops floor=json://{host}/floor"))
    channel = channels["apprise"]
    assert isinstance(channel, AppriseChannel)
    message = render_notice("来源异常 Source fault: uspto_tm_daily", "HTTP 503 三次 three times", "zh")
    try:
        assert await channel.send("floor", message) == "apprise:floor"
        [call] = webhook.calls
        assert call.path == "/floor"
        assert call.body["title"] == message.subject
        assert "HTTP 503" in call.body["message"]

        webhook.reply_next({"error": "down"}, status=500)
        with pytest.raises(TransientDeliveryError, match="ops"):
            await channel.send("ops", message)
        assert [c.path for c in webhook.calls] == ["/floor", "/ops"]

        with pytest.raises(PermanentDeliveryError, match="not configured"):
            await channel.send("nobody", message)
    finally:
        for opened in channels.values():
            await opened.aclose()


def test_off_until_configured_and_bad_urls_are_named(tmp_path: Path) -> None:
    assert AppriseChannel.from_settings(Settings(_env_file=None, outbox_dir=tmp_path)) is None
    with pytest.raises(ValueError, match="'ops' is not a URL Apprise understands") as error:
        AppriseChannel.from_settings(_settings(tmp_path, "ops=nosuchscheme://secret-token"))
    assert "secret-token" not in str(error.value)
