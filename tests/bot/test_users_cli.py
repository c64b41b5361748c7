"""``alertbot users``: the first staff member, invite codes for scripts, list, role, revoke — on SQLite and
PostgreSQL, with the audit log naming the actor."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from alertbot import db
from alertbot.bot.members import MembershipError, code_hash, redeem_invite
from alertbot.cli import app
from alertbot.models import AuditLog, Invite, Subscriber
from alertbot.settings import Settings
from tests.support.seed import add_enterprise

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, ["users", *args], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def test_users_cli_end_to_end(any_settings: Settings) -> None:
    factory = db.session_factory(any_settings)
    assert "staff: Wang Li (Telegram 111222333)" in invoke(
        "add-staff", "111222333", "--name", "Wang Li", "--actor", "ops"
    )
    db.upgrade(any_settings.resolved_database_url())
    add_enterprise(factory, "siasun", "SIASUN")
    add_enterprise(factory, "blower", "SHENGU")

    output = invoke("invite", "enterprise", "siasun", "blower", "--actor", "ops")
    code = output.strip().splitlines()[-1]
    assert len(code) == 16
    assert code not in output.strip().splitlines()[0]
    with factory() as session:
        invite = session.get(Invite, code_hash(code))
        assert invite is not None
        assert (invite.role, invite.enterprise_ids, invite.used_at) == (
            "enterprise",
            ["siasun", "blower"],
            None,
        )
        assert dt.timedelta(hours=71) < invite.expires_at - invite.created_at <= dt.timedelta(hours=72)
        member = redeem_invite(
            session, code, telegram_user_id=4_000_000_001, chat_id=4_000_000_001, name="Li", language="en"
        )
        session.commit()
        assert member.linked_enterprises() == {"siasun", "blower"}
        with pytest.raises(MembershipError, match="not valid"):
            redeem_invite(session, code, telegram_user_id=77, chat_id=77, name="X", language="zh")

    listing = invoke("list")
    assert "111222333" in listing
    assert "4000000001" in listing  # a Telegram id beyond 32 bits
    assert "blower,siasun" in listing

    assert "enforcement" in invoke("role", "4000000001", "enforcement", "--actor", "ops")
    assert "revoked" in invoke("revoke", "4000000001", "--actor", "ops")
    assert "4000000001" not in invoke("list")
    assert "4000000001" in invoke("list", "--all")

    refused = runner.invoke(app, ["users", "revoke", "111222333"])
    assert refused.exit_code == 1
    assert "last staff member" in refused.output
    assert "Nothing was changed" in refused.output
    bad = runner.invoke(app, ["users", "invite", "enterprise", "nosuch"])
    assert bad.exit_code == 1
    assert "nosuch" in bad.output
    with factory() as session:
        actions = session.exec(
            select(AuditLog.action).where(AuditLog.actor == "ops").order_by(col(AuditLog.id))
        ).all()
        assert actions == ["user.add_staff", "user.invite", "user.role", "user.revoke"]
        staff = session.exec(select(Subscriber).where(Subscriber.telegram_user_id == 111222333)).one()
        assert staff.channels == {"telegram": "111222333"}
    db.dispose_engine(any_settings.resolved_database_url())


def test_bot_command_needs_a_token(settings: Settings) -> None:
    result = runner.invoke(app, ["bot"])
    assert result.exit_code == 2
    assert "ALERTBOT_TELEGRAM_TOKEN is not set" in result.output
