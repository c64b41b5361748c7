"""End to end: ``alertbot run`` with the Telegram bot in webhook mode (``ALERTBOT_TELEGRAM_WEBHOOK_URL``).

A real service process on loopback, the Bot API stand-in in place of Telegram. The test plays Telegram's
side of a webhook: it reads what the service registered with ``setWebhook`` (URL and secret token), POSTs an
Update to the webhook server as Telegram would, and checks the bot's reply reaches the stand-in. Forged POSTs
(no secret, a wrong one) are refused with 403 and answered nothing. SIGTERM: exit 0 within 30 s.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from alertbot import db
from alertbot.cli import app
from alertbot.models import Role
from alertbot.settings import Settings
from alertbot.sources import CATALOGUE
from tests.bot.standin import BotStandIn
from tests.support.seed import add_subscriber
from tests.support.smtp import free_port

STAFF, STRANGER = 611, 612
SECRET = "hook-Secret_0123456789"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
pytestmark = pytest.mark.slow


def _wait(predicate, timeout: float, what: str, log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n" + log.read_text(errors="replace")[-6000:])
        time.sleep(0.1)


def _update(api: BotStandIn, update_id: int, user_id: int, text: str) -> dict[str, Any]:
    """A private-chat command as Telegram posts it to a webhook."""
    command = text.split()[0]
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": f"user{user_id}"},
            "from": api.user(user_id, "en"),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
        },
    }


def test_webhook_secret_is_the_configured_one_or_random_per_start() -> None:
    from alertbot.service.runner import webhook_secret

    configured = Settings(telegram_webhook_secret=SECRET)  # type: ignore[call-arg]
    assert webhook_secret(configured) == SECRET
    unset = Settings(telegram_webhook_secret=None)  # type: ignore[call-arg]
    first, second = webhook_secret(unset), webhook_secret(unset)
    assert first != second
    # Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and -.
    assert 32 <= len(first) <= 256
    assert set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    for bad in ("has space", "ünïcode", "x" * 257, "semi;colon"):
        with pytest.raises(ValueError, match="ALERTBOT_TELEGRAM_WEBHOOK_SECRET") as refused:
            webhook_secret(Settings(telegram_webhook_secret=bad))  # type: ignore[call-arg]
        assert bad not in str(refused.value)


def test_webhook_mode_answers_telegram_posts_refuses_forged_ones_and_stops_cleanly(
    tmp_path: Path, settings: Settings
) -> None:
    url = settings.resolved_database_url()
    db.upgrade(url)
    factory = db.session_factory(settings)
    add_subscriber(
        factory,
        name="centre",
        role=Role.STAFF.value,
        telegram_user_id=STAFF,
        channels={"telegram": str(STAFF)},
        language="en",
    )
    runner = CliRunner()
    for name in [*CATALOGUE, "cieme-2026", "giic-2026"]:  # no crawl needed here
        result = runner.invoke(app, ["sources", "pause", name])
        assert result.exit_code == 0, result.output

    port = free_port()
    hook_url = f"http://127.0.0.1:{port}/telegram/hook"  # what a TLS proxy would forward to, in production
    log = tmp_path / "run.log"
    with BotStandIn() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTBOT_")}
        env.update(
            ALERTBOT_DATABASE_URL=url,
            ALERTBOT_DATA_DIR=str(settings.data_dir),
            ALERTBOT_OUTBOX_DIR=str(settings.outbox_dir),
            ALERTBOT_TELEGRAM_TOKEN=api.token,
            ALERTBOT_TELEGRAM_BASE_URL=api.base_url,
            ALERTBOT_TELEGRAM_WEBHOOK_URL=hook_url,
            ALERTBOT_TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
            ALERTBOT_TELEGRAM_WEBHOOK_PORT=str(port),
            ALERTBOT_TELEGRAM_WEBHOOK_SECRET=SECRET,
            ALERTBOT_RECONCILE_INTERVAL="1",
        )
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [str(Path(sys.executable).parent / "alertbot"), "run"],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait(lambda: api.calls("setWebhook"), 60, "setWebhook", log)
            [registered] = api.calls("setWebhook")
            assert registered.params["url"] == hook_url
            assert registered.params.get("secret_token") == SECRET
            assert api.calls("getUpdates") == []  # webhook mode never polls

            def post(body: dict[str, Any], secret: str | None) -> httpx.Response:
                headers = {"Content-Type": "application/json"}
                if secret is not None:
                    headers[SECRET_HEADER] = secret
                # The webhook server may need a moment after setWebhook to accept connections.
                deadline = time.monotonic() + 10
                while True:
                    try:
                        return httpx.post(hook_url, content=json.dumps(body), headers=headers, timeout=10)
                    except httpx.ConnectError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.1)

            # Telegram's POST, with the secret: the staff member's /whoami is answered through the Bot API.
            start = api.request_count()
            assert post(_update(api, 1, STAFF, "/whoami"), SECRET).status_code == 200
            [reply] = api.wait_replies(start, STAFF)
            assert reply.method == "sendMessage"
            assert "staff" in reply.params["text"].lower()

            # Forged POSTs: no secret, or a wrong one, are refused and never reach the handlers.
            start = api.request_count()
            assert post(_update(api, 2, STAFF, "/whoami"), None).status_code == 403
            assert post(_update(api, 3, STAFF, "/whoami"), SECRET + "x").status_code == 403
            assert post(_update(api, 4, STRANGER, "/help"), "").status_code == 403
            time.sleep(1.0)  # a reply, if a forged update had been handled, would have arrived by now
            assert [r for r in api.requests[start:] if r.params.get("chat_id")] == []

            # Still serving after the refusals.
            start = api.request_count()
            assert post(_update(api, 5, STAFF, "/whoami"), SECRET).status_code == 200
            assert "staff" in api.wait_replies(start, STAFF)[0].params["text"].lower()
        finally:
            stopped_at = time.monotonic()
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
            took = time.monotonic() - stopped_at
    output = log.read_text(errors="replace")
    assert code == 0, output[-6000:]
    assert took < 30
    assert "alertbot stopped" in output
    assert "Telegram bot started (webhook)" in output
    assert "Traceback" not in output, output[-6000:]
    assert SECRET not in output  # the secret is never logged
    assert api.token not in output
    # The webhook stays registered across a stop: Telegram keeps the updates sent meanwhile for the next start.
    assert api.calls("deleteWebhook") == []
    # The webhook server is gone with the process.
    with pytest.raises(httpx.ConnectError):
        httpx.post(hook_url, content=b"{}", headers={SECRET_HEADER: SECRET}, timeout=2)
