"""``alertbot subscribers``: e-mail, WeCom, DingTalk … recipients added from the shell reach the outbox like
any subscriber; bad input is refused with a clear message (Chinese, then English) and changes nothing; every
change is audit-logged with the actor. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from alertbot import db
from alertbot.alerting import notify_staff, recipients_for
from alertbot.cli import app
from alertbot.models import Alert, AuditLog, Delivery, Record, Subscriber
from alertbot.settings import Settings
from tests.support.seed import add_enterprise

runner = CliRunner()


def invoke(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["subscribers", *args], terminal_width=200, env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    return result.output


def _listed() -> list[dict[str, object]]:
    return json.loads(invoke("list", "--all", "--json"))


def _trademark_alert() -> tuple[Record, Alert]:
    # Who gets an alert depends only on its enterprise, its risk and the record's kind.
    record = Record(source_key="uspto-tm", native_id="1", kind="trademark", text="SIASUN")
    return record, Alert(record_id=0, enterprise_id="siasun", risk="high")


@pytest.fixture
def seeded(any_settings: Settings) -> Settings:
    db.upgrade(any_settings.resolved_database_url())
    add_enterprise(db.session_factory(any_settings), "siasun", "SIASUN")
    return any_settings


def test_added_subscribers_get_their_deliveries(seeded: Settings) -> None:
    out = invoke(
        "add",
        "新松 知识产权部",
        "-e",
        "siasun",
        "-c",
        "email=ip@siasun.example",
        "-c",
        "wecom=",
        "--actor",
        "ops",
    )
    assert "已添加订阅者 added subscriber #" in out
    invoke("add", "中心工作人员", "--role", "staff", "-c", "email=ipr@centre.example", "--digest", "daily")
    invoke("add", "现场执法一组", "-r", "enforcement", "-c", "dingtalk=0123456789abcdef", "--lang", "en")
    rows = {row["name"]: row for row in _listed()}
    assert rows["新松 知识产权部"]["channels"] == {
        "email": "ip@siasun.example",
        "wecom": "(默认机器人 default robot)",
    }
    assert rows["现场执法一组"]["channels"] == {"dingtalk": "***cdef"}  # a robot token is a secret
    assert rows["中心工作人员"]["digest"] == "daily"

    factory = db.session_factory(seeded)
    with db.transaction(factory) as session:
        assert notify_staff(session, dedupe_key="t:1", subject="s", body="b") == 1
        record, alert = _trademark_alert()
        names = sorted(s.name for s in recipients_for(session, alert, record))
    # The enterprise contact and staff get a trademark alert; the on-site team only exhibitor alerts.
    assert names == ["中心工作人员", "新松 知识产权部"]
    with factory() as session:
        deliveries = session.exec(select(Delivery)).all()
        assert [(d.channel, d.target) for d in deliveries] == [("email", "ipr@centre.example")]
        stored = session.exec(select(Subscriber).where(Subscriber.name == "现场执法一组")).one()
        assert stored.channels == {"dingtalk": "0123456789abcdef"}
        audit = session.exec(select(AuditLog).where(AuditLog.action == "subscriber.add")).all()
        assert len(audit) == 3
        first = next(a for a in audit if a.after and a.after["name"] == "新松 知识产权部")
        assert first.actor == "ops"
        assert all("0123456789abcdef" not in json.dumps(a.after) for a in audit)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["x", "-e", "nosuch", "-c", "email=a@b.cn"], ["nosuch", "No watchlist entry"]),
        (
            ["x", "-e", "siasun", "-c", "email=not-an-address"],
            ["不是有效的邮箱地址", "is not an e-mail address"],
        ),
        (["x", "-e", "siasun", "-c", "sms=123"], ["未知渠道", "unknown channel 'sms'", "dingtalk"]),
        (["x", "-e", "siasun", "-c", "email"], ["渠道=目标", "NAME=TARGET"]),
        (["x", "-e", "siasun"], ["至少需要一个渠道", "at least one channel"]),
        (["x", "-c", "email=a@b.cn"], ["至少一个企业编号", "at least one enterprise id"]),
        (["x", "-r", "staff", "-e", "siasun", "-c", "email=a@b.cn"], ["不绑定企业", "not bound"]),
        (["x", "-e", "siasun", "-c", "telegram=abc"], ["会话 id", "chat id"]),
        (["x\u202e", "-e", "siasun", "-c", "email=a@b.cn"], ["U+202E", "hidden"]),
        (["x", "-e", "siasun", "-c", "email=a@b.cn", "-c", "email=c@d.cn"], ["两次", "twice"]),
    ],
)
def test_bad_input_is_named_and_changes_nothing(seeded: Settings, args: list[str], words: list[str]) -> None:
    output = invoke("add", *args, code=1)
    flat = " ".join(output.split())
    assert flat.index("未做任何改动") < flat.index("nothing was changed"), flat
    for word in words:
        assert word in flat, (word, flat)
    assert _listed() == []
    with db.session_factory(seeded)() as session:
        assert session.exec(select(AuditLog).where(col(AuditLog.action).startswith("subscriber"))).all() == []


def test_one_address_is_one_subscriber(seeded: Settings) -> None:
    invoke("add", "a", "-e", "siasun", "-c", "email=ip@siasun.example")
    output = invoke("add", "b", "-e", "siasun", "-c", "email=ip@siasun.example", code=1)
    assert "already belongs to subscriber #" in " ".join(output.split())


def test_remove_stops_deliveries_and_keeps_the_last_staff(seeded: Settings) -> None:
    invoke("add", "staff", "-r", "staff", "-c", "email=s@centre.example")
    invoke("add", "acme", "-e", "siasun", "-c", "email=ip@siasun.example")
    ids = {row["name"]: row["id"] for row in _listed()}
    assert "不能撤销或降级最后一名工作人员" in invoke("remove", str(ids["staff"]), code=1)
    assert "已移除 removed subscriber" in invoke("remove", str(ids["acme"]), "--actor", "ops")
    assert "no active subscriber" in " ".join(invoke("remove", str(ids["acme"]), code=1).split())
    assert [row["name"] for row in json.loads(invoke("list", "--json"))] == ["staff"]
    factory = db.session_factory(seeded)
    with db.transaction(factory) as session:
        record, alert = _trademark_alert()
        assert [s.name for s in recipients_for(session, alert, record)] == ["staff"]
    with factory() as session:
        removed = session.exec(select(AuditLog).where(AuditLog.action == "subscriber.remove")).one()
        assert removed.actor == "ops"
        assert removed.before is not None
        assert removed.before["active"] is True
        assert removed.after is not None
        assert removed.after["active"] is False


def test_the_table_lists_bot_users_too(seeded: Settings) -> None:
    runner.invoke(app, ["users", "add-staff", "111222333", "--name", "Wang Li"])
    invoke("add", "新松 知识产权部", "-e", "siasun", "-c", "email=ip@siasun.example")
    table = invoke("list")
    assert "Wang Li" in table
    assert "telegram: 111222333" in table
    assert "email: ip@siasun.example" in table
