"""``alertbot notify channels`` and ``alertbot notify test`` through the real channels."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from alertbot.cli import app
from alertbot.settings import Settings, get_settings
from tests.notify.botapi_standin import BotApiStandIn
from tests.notify.conftest import free_port

runner = CliRunner()


def _reload(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


def test_channels_lists_every_channel_with_configured_yes_no(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = runner.invoke(app, ["notify", "channels"], terminal_width=200)
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in result.output.splitlines()
            if line.startswith("│") and line.split("│")[1].strip()}  # fmt: skip
    assert rows == {
        "telegram": "no",
        "email": "no",
        "wecom": "no",
        "dingtalk": "no",
        "feishu": "no",
        "apprise": "no",
        "file": "yes",
    }

    _reload(monkeypatch, ALERTBOT_SMTP_HOST="mail.example", ALERTBOT_DINGTALK_ACCESS_TOKEN="t")
    result = runner.invoke(app, ["notify", "channels"], terminal_width=200)
    assert "│ email    │ yes" in result.output
    assert "│ dingtalk │ yes" in result.output
    assert "│ telegram │ no" in result.output


def test_test_file_writes_an_eml(settings: Settings) -> None:
    result = runner.invoke(app, ["notify", "test", "file", "--to", "me@example.org", "--lang", "en"])
    assert result.exit_code == 0, result.output
    (written,) = Path(settings.outbox_dir).glob("*.eml")
    assert "Sent alert via file to me@example.org" in result.output
    assert written.name in result.output.replace("\n", "")
    assert b"TESTMARK" in written.read_bytes()


def test_test_telegram_goes_through_the_bot_api(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    with BotApiStandIn() as api:
        _reload(monkeypatch, ALERTBOT_TELEGRAM_TOKEN=api.token, ALERTBOT_TELEGRAM_BASE_URL=api.base_url)
        result = runner.invoke(app, ["notify", "test", "telegram", "--to", "4242"])
        assert result.exit_code == 0, result.output
        (call,) = api.calls("sendMessage")
    assert call.params["chat_id"] == "4242"
    assert "TESTMARK" in call.params["text"]
    assert call.json_param("reply_markup")["inline_keyboard"][0][0]["callback_data"] == "alert:confirm:0"
    assert "Sent alert via telegram to 4242: 1000" in result.output


def test_test_digest_and_notice_kinds(settings: Settings) -> None:
    for kind in ("digest", "notice"):
        result = runner.invoke(app, ["notify", "test", "file", "--kind", kind])
        assert result.exit_code == 0, result.output
    assert len(list(Path(settings.outbox_dir).glob("*.eml"))) == 2


def test_unconfigured_unknown_and_failing_channels(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = runner.invoke(app, ["notify", "test", "email", "--to", "a@b.example"])
    assert result.exit_code == 2
    assert "not configured" in result.output
    result = runner.invoke(app, ["notify", "test", "pigeon"])
    assert result.exit_code == 2
    assert "Unknown channel" in result.output
    result = runner.invoke(app, ["notify", "test", "file", "--lang", "fr"])
    assert result.exit_code == 2

    _reload(
        monkeypatch,
        ALERTBOT_SMTP_HOST="127.0.0.1",
        ALERTBOT_SMTP_PORT=str(free_port()),
        ALERTBOT_SMTP_TLS="none",
    )
    result = runner.invoke(app, ["notify", "test", "email", "--to", "a@b.example"])
    assert result.exit_code == 1
    assert "Temporary failure" in result.output


def test_a_wrong_bot_api_url_is_reported_as_a_configuration_error_without_the_token(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with BotApiStandIn(token="5150:SECRETPART-of-the-token") as api:
        wrong = api.base_url.replace("/bot", "/elsewhere/bot")
        _reload(monkeypatch, ALERTBOT_TELEGRAM_TOKEN=api.token, ALERTBOT_TELEGRAM_BASE_URL=wrong)
        result = runner.invoke(app, ["notify", "test", "telegram", "--to", "4242"], terminal_width=300)
    assert result.exit_code == 1
    assert "Configuration error" in result.output
    assert "rejected" in result.output
    assert "SECRETPART" not in result.output
