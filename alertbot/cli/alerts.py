"""``alertbot alerts``: list, show and triage alerts (confirm, dismiss, escalate), audit-logged with the actor."""

from __future__ import annotations

import getpass

import typer
from rich.table import Table
from sqlmodel import col, select

from alertbot import db as database
from alertbot.cli._common import console, err_console
from alertbot.lifecycle import (
    Action,
    AlertNotFound,
    TransitionError,
    alert_view,
    audit_trail,
    local_today,
    transition,
)
from alertbot.models import Alert, AlertStatus, Delivery, Record, Risk
from alertbot.notify.render import render_alert
from alertbot.redact import redact
from alertbot.settings import get_settings
from alertbot.textsafety import for_terminal, reveal

app = typer.Typer(no_args_is_help=True)

_ACTOR_HELP = (
    "操作者，记入审计日志（默认 cli:<系统用户>） / Who is acting, for the audit log (default: cli:<os user>)."
)
_NOTE_HELP = "随改动保存的备注（上报时发给工作人员） / A note stored with the change (and sent to staff on escalation)."


def _default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


@app.command("list")
def list_alerts(
    status: AlertStatus | None = typer.Option(
        None, "--status", help="只看此状态的预警 / Only alerts in this status."
    ),
    enterprise: str | None = typer.Option(
        None, "--enterprise", "-e", help="只看此企业 id / Only this enterprise id."
    ),
    risk: Risk | None = typer.Option(
        None, "--risk", help="只看此风险等级及以上 / Only this risk level or higher."
    ),
    limit: int = typer.Option(
        50, "--limit", "-n", min=1, help="最多这么多条，最新的在前 / At most this many, newest first."
    ),
) -> None:
    """列出预警，最新的在前 / List alerts, newest first."""
    settings = get_settings()
    today = local_today(settings.timezone)
    query = select(Alert, Record).join(Record, col(Record.id) == col(Alert.record_id))
    if status is not None:
        query = query.where(Alert.status == status.value)
    if enterprise:
        query = query.where(Alert.enterprise_id == enterprise)
    if risk is not None:
        query = query.where(col(Alert.risk).in_([r.value for r in Risk if r.rank >= risk.rank]))
    query = query.order_by(col(Alert.created_at).desc(), col(Alert.id).desc()).limit(limit)
    table = Table(
        "id",
        "risk 风险",
        "status 状态",
        "enterprise 企业",
        "mark 标识",
        "applicant 申请人",
        "record",
        "deadline 截止",
    )
    with database.session_factory(settings)() as session:
        rows = session.exec(query).all()
        for alert, record in rows:
            deadline = alert.opposition_deadline or record.opposition_end
            left = f"{deadline.isoformat()} ({(deadline - today).days}d)" if deadline else ""
            # Crawled and watchlist text is data, not rich markup (issue 8): escaped, hidden characters shown.
            table.add_row(
                str(alert.id),
                for_terminal(alert.risk),
                for_terminal(alert.status),
                for_terminal(alert.enterprise_id),
                for_terminal(alert.mark),
                for_terminal(record.applicant or ""),
                for_terminal(f"{record.source_key}:{record.native_id}"),
                left,
            )
    console.print(table)
    console.print(f"{len(rows)} alert(s)")


@app.command("show")
def show(
    alert_id: int = typer.Argument(..., help="预警 id / The alert id."),
    lang: str | None = typer.Option(
        None,
        "--lang",
        help="语言：zh 中文或 en 英文（默认取 ALERTBOT_LANGUAGE） / Language: zh or en (default: ALERTBOT_LANGUAGE).",
    ),
) -> None:
    """以消息形式显示一条预警，附审计记录与投递情况 / Show one alert as its message, with its audit trail and
    deliveries."""
    settings = get_settings()
    with database.session_factory(settings)() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            err_console.print(f"alert {alert_id} does not exist")
            raise typer.Exit(code=1)
        view = alert_view(session, alert, local_today(settings.timezone))
        try:
            message = render_alert(view, lang or settings.language)
        except ValueError as error:
            err_console.print(str(error))
            raise typer.Exit(code=2) from error
        console.print(reveal(message.text), markup=False, highlight=False)
        console.print("audit 审计记录:")
        for entry in audit_trail(session, alert_id):
            before = (entry.before or {}).get("status", "")
            after = (entry.after or {}).get("status", "")
            note = f"  note: {redact(entry.note)}" if entry.note else ""
            console.print(
                reveal(f"  {entry.at:%Y-%m-%d %H:%M:%S} {entry.actor} {entry.action} {before}→{after}{note}"),
                markup=False,
                highlight=False,
            )
        deliveries = session.exec(
            select(Delivery).where(Delivery.alert_id == alert_id).order_by(col(Delivery.id))
        ).all()
        console.print("deliveries 投递:")
        for delivery in deliveries:
            console.print(
                f"  #{delivery.id} {delivery.kind} {delivery.channel}:{delivery.target} {delivery.status} "
                f"attempts={delivery.attempts}"
                + (f" error={reveal(redact(delivery.last_error))}" if delivery.last_error else ""),
                markup=False,
                highlight=False,
            )


def _apply(action: Action, alert_id: int, note: str | None, actor: str | None) -> None:
    settings = get_settings()
    who = actor or _default_actor()
    try:
        with database.transaction(database.session_factory(settings)) as session:
            result = transition(session, alert_id, action, actor=who, note=note)
    except (AlertNotFound, TransitionError, ValueError) as error:
        err_console.print(str(error), markup=False, highlight=False)
        raise typer.Exit(code=1) from error
    if not result.changed:
        console.print(f"alert {alert_id} is already {result.after}; nothing changed")
        return
    extra = f"; {result.staff_notes} staff note(s) queued" if result.staff_notes else ""
    if result.dismissal_id is not None:
        extra += "; the same applicant filing the same mark will raise no new alert"
    console.print(
        f"alert {alert_id}: {result.before} → {result.after} by {reveal(who)}{extra}",
        markup=False,
        highlight=False,
    )


@app.command("confirm")
def confirm(
    alert_id: int = typer.Argument(..., help="预警 id / The alert id."),
    note: str | None = typer.Option(None, "--note", help=_NOTE_HELP),
    actor: str | None = typer.Option(None, "--actor", help=_ACTOR_HELP),
) -> None:
    """确认预警为真实风险（也可把已上报的预警收回） / Confirm an alert as a real risk (also hands an escalated
    alert back)."""
    _apply(Action.CONFIRM, alert_id, note, actor)


@app.command("dismiss")
def dismiss(
    alert_id: int = typer.Argument(..., help="预警 id / The alert id."),
    note: str | None = typer.Option(None, "--note", help=_NOTE_HELP),
    actor: str | None = typer.Option(None, "--actor", help=_ACTOR_HELP),
) -> None:
    """驳回预警；同一申请人再申请同一商标不再对该企业预警 / Dismiss an alert; the same applicant filing the same
    mark raises no new alert for this enterprise."""
    _apply(Action.DISMISS, alert_id, note, actor)


@app.command("escalate")
def escalate(
    alert_id: int = typer.Argument(..., help="预警 id / The alert id."),
    note: str | None = typer.Option(None, "--note", help=_NOTE_HELP),
    actor: str | None = typer.Option(None, "--actor", help=_ACTOR_HELP),
) -> None:
    """把预警上报给中心工作人员（他们在各自渠道收到通知） / Escalate an alert to centre staff (they get a note on
    their channels)."""
    _apply(Action.ESCALATE, alert_id, note, actor)
