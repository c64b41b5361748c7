"""No secret in a log, a stored error, CLI output or a message (issue 8, item 1; the "done when" test).

Every secret setting gets a unique marker. Then, with real parts on loopback:

* a KIPRIS crawl (the Scrapy subprocess, run raw and through ``alertbot crawl``) against a stand-in that
  echoes the ServiceKey in its error answer and refuses a second request;
* a dispatch with a wrong Bot API base URL (python-telegram-bot then says "The token `…` was rejected"), in
  process with every logger at DEBUG, which holds the Telegram rows and mails the failure notice to staff
  over every other channel;
* ``alertbot alerts show``, ``alertbot status`` and ``alertbot alerts list`` while the error is stored;
* ``alertbot notify dispatch -v`` with the configuration fixed, over Telegram, e-mail (with SMTP login),
  WeCom, DingTalk (signed), Feishu (signed), Apprise (JSON service) and the file channel.

Afterwards each marker is searched in the captured logs, the subprocesses' output, every column of every
table, every message and request body the stand-ins received and every file written: none may appear.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import SQLModel, select

from alertbot import db
from alertbot.crawling import crawl_command, crawl_env
from alertbot.models import CrawlRun, Delivery, Role, Source
from alertbot.outbox import Dispatcher, RetryPolicy
from alertbot.redact import MASK, install_log_redaction, redact
from alertbot.settings import Settings, get_settings
from tests.notify.botapi_standin import BotApiStandIn
from tests.notify.webhook_standin import WebhookStandIn
from tests.spiders.standins import FAST_CRAWL, LocalServer, SeenRequest, start_server
from tests.support.seed import add_alerts, add_enterprise, add_subscriber, make_records
from tests.support.smtp import free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from alertbot.cli import main; main()"]
KIPRIS_PATH = "/kipo-api/kipi/trademarkInfoSearchService/getWordSearch"
SMTP_USER = "alertbot"


def _markers() -> dict[str, str]:
    tag = uuid.uuid4().hex[:10]
    return {
        # python-telegram-bot wants "<bot id>:<secret>"; the whole token is the secret.
        "ALERTBOT_TELEGRAM_TOKEN": f"7001:TGSECRET{tag}",
        "ALERTBOT_SMTP_PASSWORD": f"SMTPSECRET{tag}",
        "ALERTBOT_WECOM_WEBHOOK_KEY": f"WECOMSECRET{tag}",
        "ALERTBOT_DINGTALK_ACCESS_TOKEN": f"DINGTOKENSECRET{tag}",
        "ALERTBOT_DINGTALK_SECRET": f"SECDINGSIGNSECRET{tag}",
        "ALERTBOT_FEISHU_WEBHOOK_TOKEN": f"FEISHUTOKENSECRET{tag}",
        "ALERTBOT_FEISHU_SECRET": f"FEISHUSIGNSECRET{tag}",
        "ALERTBOT_USPTO_API_KEY": f"USPTOSECRET{tag}",
        "ALERTBOT_EPO_OPS_KEY": f"EPOKEYSECRET{tag}",
        "ALERTBOT_EPO_OPS_SECRET": f"EPOSECRETSECRET{tag}",
        "ALERTBOT_KIPRIS_API_KEY": f"KIPRIS+SECRET/{tag}=",  # KIPRIS keys carry + / =, percent-encoded in URLs
    }


def _needles(markers: dict[str, str]) -> dict[str, list[str]]:
    """What counts as a leak of each secret: the value, its distinctive part, and its URL-encoded forms."""
    from urllib.parse import quote, quote_plus

    found: dict[str, list[str]] = {}
    for name, value in markers.items():
        core = value.split(":", 1)[-1] if "://" not in value else value.rsplit("/", 1)[-1]
        found[name] = sorted({value, core, quote(value, safe=""), quote_plus(value), quote_plus(core)})
    return found


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_with_login(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[_Mailbox, int, list[str]]]:
    mailbox = _Mailbox()
    passwords: list[str] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login.decode() == SMTP_USER
        if ok:
            passwords.append(data.password.decode())
        return AuthResult(success=ok and passwords[-1] == os.environ["ALERTBOT_SMTP_PASSWORD"])

    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield mailbox, port, passwords
    finally:
        controller.stop()


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[LocalServer]:
    """The loopback server the KIPRIS stand-in route runs on."""
    (tmp_path / "www").mkdir()
    state, server, thread = start_server(tmp_path / "www")
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


async def _run(args: list[str], env: dict[str, str]) -> str:
    # In a thread: the stand-ins and aiosmtpd in this process must keep answering while the child runs.
    done = await asyncio.to_thread(
        subprocess.run, args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    return f"$ {' '.join(args[3:])} -> {done.returncode}\n{done.stdout}\n{done.stderr}"


def _database_text(settings: Settings) -> dict[str, str]:
    """Every row of every table, as text (JSON columns included), by table name."""
    engine = db.engine_for(settings.resolved_database_url())
    dump: dict[str, str] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if not sa.inspect(connection).has_table(table.name):
                continue
            rows = connection.execute(sa.select(table)).all()
            dump[table.name] = "\n".join(
                json.dumps([str(v) for v in row], ensure_ascii=False) for row in rows
            )
    return dump


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
async def test_no_configured_secret_appears_in_logs_database_cli_output_or_messages(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    http_server: LocalServer,
    smtp_with_login: tuple[_Mailbox, int, list[str]],
) -> None:
    markers = _markers()
    mailbox, smtp_port, smtp_logins = smtp_with_login
    outputs: dict[str, str] = {}

    # -- the KIPRIS stand-in: echoes the key in its error answer, then refuses the second search -------------
    def kipris(request: SeenRequest) -> tuple[int, dict[str, str], bytes]:
        key = request.query.get("ServiceKey", [""])[0]
        if request.query.get("searchString") == ["deny"]:
            return 403, {}, f"key {key} is blocked".encode()
        answer = (
            "<response><header><successYN>N</successYN><resultCode>30</resultCode>"
            f"<resultMsg>SERVICE KEY {key} IS NOT REGISTERED ERROR.</resultMsg></header></response>"
        )
        return 200, {"Content-Type": "application/xml"}, answer.encode()

    http_server.routes[KIPRIS_PATH] = kipris

    with BotApiStandIn(token=markers["ALERTBOT_TELEGRAM_TOKEN"]) as botapi, WebhookStandIn() as hooks:
        hooks.ok_reply = {"errcode": 0, "errmsg": "ok", "code": 0}
        # Apprise's JSON service posts to a URL whose last segment is the secret (like a webhook token).
        markers["ALERTBOT_APPRISE_URLS"] = (
            f"ops=json://127.0.0.1:{hooks.url.rsplit(':', 1)[1]}/apprise/APPRISESECRET{uuid.uuid4().hex[:8]}"
        )
        wrong_base_url = botapi.base_url.replace("/bot", "/not-the-bot-api/bot")
        environment = {
            **markers,
            "ALERTBOT_TELEGRAM_BASE_URL": wrong_base_url,
            "ALERTBOT_SMTP_HOST": "127.0.0.1",
            "ALERTBOT_SMTP_PORT": str(smtp_port),
            "ALERTBOT_SMTP_TLS": "none",
            "ALERTBOT_SMTP_USER": SMTP_USER,
            "ALERTBOT_WECOM_BASE_URL": f"{hooks.url}/cgi-bin/webhook/send",
            "ALERTBOT_DINGTALK_BASE_URL": f"{hooks.url}/robot/send",
            "ALERTBOT_FEISHU_BASE_URL": f"{hooks.url}/open-apis/bot/v2/hook",
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        current = get_settings()
        url = current.resolved_database_url()
        db.upgrade(url)
        factory = db.session_factory(current)
        add_enterprise(factory)
        channels = {
            "telegram": "42",
            "email": "staff@centre.example",
            "wecom": "",
            "dingtalk": "",
            "feishu": "",
            "apprise": "ops",
        }
        add_subscriber(
            factory, name="staff", role=Role.STAFF.value, channels={**channels, "file": "staff@centre"}
        )
        [alert_id, *_] = add_alerts(factory, make_records(2))

        # -- a crawl that fails with the key in the answer: raw subprocess output, then the CLI -----------
        command = crawl_command(
            "kipris_tm",
            args={
                "terms": "echo,deny",
                "base_url": http_server.url("kipo-api/kipi/trademarkInfoSearchService"),
            },
            settings={**FAST_CRAWL, "LOG_LEVEL": "DEBUG"},
        )
        outputs["crawl subprocess"] = await _run(command, crawl_env())
        outputs["alertbot crawl"] = await _run(
            [*CLI, "crawl", "kipris_tm", "-a", "terms=echo,deny", "-a", f"base_url={http_server.url('kipo-api/kipi/trademarkInfoSearchService')}"],
            dict(os.environ),
        )  # fmt: skip
        keys_seen = {r.query.get("ServiceKey", [""])[0] for r in http_server.hits(KIPRIS_PATH)}
        assert keys_seen == {markers["ALERTBOT_KIPRIS_API_KEY"]}  # the key really was in play

        # -- a failing configuration, in process, every logger at DEBUG (httpx logs request URLs there) ---
        install_log_redaction()
        caplog.set_level(logging.DEBUG)
        for noisy in ("httpx", "httpcore", "telegram", "aiosmtplib", "apprise"):
            monkeypatch.setattr(logging.getLogger(noisy), "level", logging.DEBUG)
        fast = RetryPolicy(base=0.01, cap=0.05)
        async with Dispatcher(current, policy=fast) as dispatcher:
            assert set(dispatcher.channels) == {
                "telegram", "email", "wecom", "dingtalk", "feishu", "file", "apprise"
            }  # fmt: skip
            await dispatcher.drain()
        with factory() as session:
            held = session.exec(select(Delivery).where(Delivery.channel == "telegram")).all()
            assert held
            assert all(row.status == "pending" and row.config_hold for row in held)
            assert all(
                "rejected" in (row.last_error or "") and MASK in (row.last_error or "") for row in held
            )
        assert any(
            "Channel configuration error" in message.decode("latin-1") or b"=?utf-8?" in message
            for message in mailbox.messages
        )

        # -- CLI output while the errors are stored ------------------------------------------------------
        env = dict(os.environ)
        outputs["alerts show"] = await _run([*CLI, "alerts", "show", str(alert_id)], env)
        assert "rejected" in outputs["alerts show"]
        outputs["status"] = await _run([*CLI, "status"], env)
        outputs["alerts list"] = await _run([*CLI, "alerts", "list"], env)

        # -- the configuration fixed: one dispatch over every channel, verbose ---------------------------
        env["ALERTBOT_TELEGRAM_BASE_URL"] = botapi.base_url
        outputs["notify dispatch -v"] = await _run([*CLI, "-v", "notify", "dispatch"], env)
        assert botapi.calls("sendMessage", accepted_only=True), outputs["notify dispatch -v"]
        with factory() as session:
            statuses = {row.status for row in session.exec(select(Delivery)).all()}
            runs = session.exec(select(CrawlRun)).all()
            source = session.get(Source, "kipris")
        assert statuses == {"sent"}, outputs["notify dispatch -v"]
        assert runs  # the crawl's errors were stored
        assert all(run.error_detail for run in runs)
        assert source is not None
        assert source.last_error
        assert smtp_logins[-1:] == [markers["ALERTBOT_SMTP_PASSWORD"]]  # the login happened

        sent_bodies = {
            "telegram": json.dumps([r.params for r in botapi.requests], ensure_ascii=False),
            "robots": json.dumps([c.body for c in hooks.calls], ensure_ascii=False),
            "email": "\n".join(m.decode("utf-8", "replace") for m in mailbox.messages),
        }
        assert {c.path.split("/")[1] for c in hooks.calls} >= {"cgi-bin", "robot", "open-apis", "apprise"}

    files = {str(p): p.read_text("utf-8", "replace") for p in current.outbox_dir.rglob("*") if p.is_file()}
    assert files  # the file channel wrote its .eml files
    places: dict[str, str] = {
        "caplog": caplog.text,
        **{f"output: {name}": text for name, text in outputs.items()},
        **{f"table {name}": text for name, text in _database_text(current).items()},
        **{f"sent {name}": text for name, text in sent_bodies.items()},
        **{f"file {name}": text for name, text in files.items()},
    }
    leaks = [
        f"{name} in {place}: …{text[max(text.index(needle) - 80, 0) : text.index(needle) + 40]}…"
        for name, needles in _needles(markers).items()
        for place, text in places.items()
        for needle in needles
        if needle in text
    ]
    assert leaks == [], leaks
    # The searches were over real material: the errors are there, masked.
    assert MASK in outputs["crawl subprocess"]
    assert "IS NOT REGISTERED" in outputs["crawl subprocess"]
    assert MASK in caplog.text


# (text, what must be gone) — token-shaped parts are masked even when nothing is configured.
UNCONFIGURED: list[tuple[str, str]] = [
    ("POST https://api.telegram.org/bot123456:AAH-x_y/sendMessage", "AAH-x_y"),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7x", "693a91f6-7x"),
    ("https://oapi.dingtalk.com/robot/send?access_token=abcd1234&timestamp=1&sign=c2lnbg%3D%3D", "abcd1234"),
    ("https://oapi.dingtalk.com/robot/send?access_token=abcd1234&timestamp=1&sign=c2lnbg%3D%3D", "c2lnbg"),
    ("http://plus.kipris.or.kr/x/getWordSearch?searchString=a&ServiceKey=Zm9v%2Bbar%3D", "Zm9v"),
    ("https://open.feishu.cn/open-apis/bot/v2/hook/0f1e2d3c-4b5a-6978", "0f1e2d3c"),
    ("postgresql+psycopg://alert:pa55word@db.example/alertbot", "pa55word"),
    ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi"),
    ("The token `123:abc` was rejected by the server.", "123:abc"),
]


@pytest.mark.parametrize(("text", "secret"), UNCONFIGURED)
def test_token_shaped_parts_are_masked_even_when_not_configured(
    settings: Settings, text: str, secret: str
) -> None:
    masked = redact(text)
    assert secret not in masked
    assert MASK in masked


def test_configured_secrets_are_masked_in_every_spelling_and_in_tracebacks(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ALERTBOT_KIPRIS_API_KEY", "k+y/Z=9")
    monkeypatch.setenv("ALERTBOT_SMTP_PASSWORD", "hunter22")
    get_settings.cache_clear()
    assert redact("key k+y/Z=9, encoded k%2By%2FZ%3D9 and k%2By/Z%3D9") == "key ***, encoded *** and ***"
    install_log_redaction()
    caplog.set_level(logging.INFO)
    logger = logging.getLogger("alertbot.test_secrets")
    try:
        raise RuntimeError("login with hunter22 failed")
    except RuntimeError:
        logger.exception("sending with %s", "hunter22")
    assert "hunter22" not in caplog.text
    assert caplog.text.count(MASK) >= 2  # the message and the traceback


def test_stored_error_columns_are_masked_on_both_databases(
    any_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alertbot.models import AuditLog, Quarantine

    monkeypatch.setenv("ALERTBOT_EPO_OPS_SECRET", "epo-s3cret-value")
    get_settings.cache_clear()
    url = any_settings.resolved_database_url()
    db.upgrade(url)
    factory = db.session_factory(any_settings)
    leak = "GET https://x.example/a?ServiceKey=K3Y&b=1 with epo-s3cret-value"
    with db.transaction(factory) as session:
        session.add(Source(key="kipris", last_error=leak))
        session.add(CrawlRun(source_key="kipris", spider="kipris_tm", error_detail=leak))
        session.add(Quarantine(source_key="kipris", reason=leak, snippet=leak))
        session.add(AuditLog(actor="t", action="a", entity_type="e", entity_id="1", note=leak))
    with db.transaction(factory) as session:  # an update is masked too
        run = session.exec(select(CrawlRun)).one()
        run.error_detail = f"again: {leak}"
        session.add(run)
    stored = "\n".join(_database_text(get_settings()).values())
    assert "K3Y" not in stored
    assert "epo-s3cret-value" not in stored
    assert stored.count(MASK) >= 2 * 5  # key and secret in each of the five columns
    db.engine_for(url).dispose()


def test_a_secret_holding_several_urls_is_masked_url_by_url_and_token_by_token(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "ALERTBOT_APPRISE_URLS",
        "ops=tgram://123456789:AAbbCCddEEff/-100200300,mail=mailtos://user:Pa55w0rdXYZ@example.com",
    )
    get_settings.cache_clear()
    text = redact(
        "ops failed: tgram://123456789:AAbbCCddEEff/-100200300; mailtos://user:Pa55w0rdXYZ@example.com; "
        "then AAbbCCddEEff alone; the services at example.com are fine"
    )
    for secret in ("AAbbCCddEEff", "Pa55w0rdXYZ", "123456789"):
        assert secret not in text
    assert "the services at example.com are fine" in text  # ordinary words stay


def test_alerts_show_masks_errors_stored_before_the_redaction_layer(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from alertbot.cli import app

    token = "123456:AAE-old-row-token-value"
    monkeypatch.setenv("ALERTBOT_TELEGRAM_TOKEN", token)
    get_settings.cache_clear()
    db.upgrade(settings.resolved_database_url())
    factory = db.session_factory(settings)
    add_enterprise(factory)
    [alert_id] = add_alerts(factory, make_records(1))
    # A row written by an older version: raw SQL, so the mask-on-flush listener never saw it.
    with db.engine_for(settings.resolved_database_url()).begin() as conn:
        conn.execute(
            sa.text(
                "insert into delivery (dedupe_key, alert_id, channel, target, kind, payload, status, attempts,"
                " next_attempt_at, last_error, created_at) values ('old', :alert, 'telegram', '1', 'alert', '{}',"
                " 'failed', 8, CURRENT_TIMESTAMP, :error, CURRENT_TIMESTAMP)"
            ),
            {"alert": alert_id, "error": f"The token `{token}` was rejected by the server."},
        )

    shown = CliRunner().invoke(app, ["alerts", "show", str(alert_id)])

    assert shown.exit_code == 0, shown.output
    assert "was rejected" in shown.output
    assert token not in shown.output
    assert "AAE-old-row" not in shown.output
