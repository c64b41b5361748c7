"""``alertbot subscribers``: recipients that are not bot users (e-mail, WeCom, DingTalk, Feishu …): add, list,
remove. Telegram users join through ``alertbot users`` and the bot's invites; both are listed here."""

from __future__ import annotations

import json
from enum import StrEnum

import typer
from rich.table import Column, Table

from alertbot.cli._common import cli_actor, console, err_console, upgraded_session_factory
from alertbot.models import Risk, Role
from alertbot.subscribers import SubscriberError
from alertbot.textsafety import for_terminal

app = typer.Typer(no_args_is_help=True)
_ACTOR_HELP = (
    "操作者，记入审计日志（默认：系统用户） / Who is acting, for the audit log (default: the OS user)."
)


class DigestChoice(StrEnum):
    """How alerts arrive."""

    instant = "instant"
    daily = "daily"


class LangChoice(StrEnum):
    """Message languages."""

    zh = "zh"
    en = "en"


def _fail(error: SubscriberError) -> None:
    err_console.print(
        f"{for_terminal(error.zh.rstrip('。'))}，未做任何改动 / {for_terminal(error.en.rstrip('.'))}; nothing "
        "was changed.",
        style="red",
        markup=False,
        highlight=False,
    )
    raise typer.Exit(code=1)


def _channels_text(channels: dict[str, str]) -> str:
    from alertbot.subscribers import shown_target

    return ", ".join(f"{name}: {shown_target(name, target)}" for name, target in sorted(channels.items()))


@app.command("add")
def add(
    name: str = typer.Argument(
        ...,
        help="名称：人、部门或群，如“新松 知识产权部” / Name: a person, team or group, e.g. 'Siasun IP team'.",
    ),
    role: Role = typer.Option(
        Role.ENTERPRISE,
        "--role",
        "-r",
        help="角色：staff 工作人员、enforcement 执法组（只收展商预警）或 enterprise 企业 / Role: staff, "
        "enforcement (exhibitor alerts only) or enterprise.",
    ),
    enterprise: list[str] = typer.Option(
        [],
        "--enterprise",
        "-e",
        help="企业用户：名录 id，可重复 / For an enterprise: a watchlist id (repeatable).",
    ),
    channel: list[str] = typer.Option(
        [],
        "--channel",
        "-c",
        help="渠道=目标，可重复：email=地址、wecom=机器人密钥（空为已配置的机器人）、dingtalk=令牌、feishu=令牌、"
        "telegram=会话 id、apprise=名称、file=地址 / CHANNEL=TARGET (repeatable): email=ADDRESS, wecom=KEY "
        "('' = the configured robot), dingtalk=TOKEN, feishu=TOKEN, telegram=CHAT_ID, apprise=NAME, file=ADDRESS.",
    ),
    lang: LangChoice = typer.Option(LangChoice.zh, "--lang", help="消息语言 / Message language."),
    min_risk: Risk = typer.Option(
        Risk.LOW, "--min-risk", help="只收此风险及以上 / Only alerts at this risk or higher."
    ),
    digest: DigestChoice = typer.Option(
        DigestChoice.instant,
        "--digest",
        help="推送方式：instant 即时或 daily 每日摘要 / How alerts arrive: instant, or a daily digest.",
    ),
    actor: str = typer.Option("", "--actor", help=_ACTOR_HELP),
) -> None:
    """添加一个订阅者及其渠道（邮件、企业微信、钉钉…），记入审计日志 / Add a subscriber with their channels
    (e-mail, WeCom, DingTalk …), audit-logged."""
    from alertbot.db import transaction
    from alertbot.subscribers import add_subscriber

    try:
        with transaction(upgraded_session_factory()) as session:
            subscriber = add_subscriber(
                session,
                name=name,
                role=role.value,
                enterprise_ids=enterprise,
                channels=channel,
                language=lang.value,
                min_risk=min_risk.value,
                digest=digest.value,
                actor=cli_actor(actor),
            )
            enterprises = ",".join(subscriber.enterprise_ids) or "-"
            console.print(
                f"已添加订阅者 added subscriber #{subscriber.id}: {for_terminal(subscriber.name)} "
                f"({subscriber.role}; {enterprises}) — {for_terminal(_channels_text(subscriber.channels))}",
                markup=False,
                highlight=False,
            )
    except SubscriberError as error:
        _fail(error)


@app.command("list")
def list_(
    all_: bool = typer.Option(False, "--all", help="包括已移除的 / Include removed subscribers."),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON 而非表格 / JSON instead of a table."),
) -> None:
    """所有订阅者：角色、企业、渠道（机器人密钥隐去）、语言、最低风险、推送方式 / Every subscriber: role,
    enterprises, channels (robot keys masked), language, minimum risk, digest."""
    from alertbot.subscribers import list_subscribers, snapshot

    with upgraded_session_factory()() as session:
        rows = [
            (s.id, snapshot(s), s.telegram_user_id) for s in list_subscribers(session, include_inactive=all_)
        ]
    if as_json:
        typer.echo(json.dumps([{"id": i, **row} for i, row, _ in rows], ensure_ascii=False))
        return
    # Six columns fit an 80-column terminal; the caption names the settings column's three parts.
    table = Table(
        "#",
        "名称 name",
        "角色 role",
        "企业 enterprises",
        # An address is folded, never cut: it is what staff check.
        Column("渠道 channels", overflow="fold"),
        "设置 settings",
        caption="设置 settings: 语言 language · 最低风险 minimum risk · 推送 digest",
    )
    for subscriber_id, row, _ in rows:
        table.add_row(
            str(subscriber_id),
            for_terminal(row["name"]) + ("" if row["active"] else " (已移除 removed)"),
            row["role"],
            ",".join(row["enterprise_ids"]),
            "\n".join(for_terminal(f"{k}: {v}") for k, v in row["channels"].items()),
            f"{row['language']} · {row['min_risk']} · {row['digest']}",
        )
    console.print(table)


@app.command("remove")
def remove(
    subscriber_id: int = typer.Argument(
        ...,
        help="订阅者编号（见 `alertbot subscribers list`） / Subscriber id (see `alertbot subscribers list`).",
    ),
    actor: str = typer.Option("", "--actor", help=_ACTOR_HELP),
) -> None:
    """移除订阅者：不再给其排发预警（投递记录保留；最后一位工作人员不能移除） / Remove a subscriber: nothing more
    is queued for them (delivery history kept; the last staff member stays)."""
    from alertbot.db import transaction
    from alertbot.subscribers import remove_subscriber

    try:
        with transaction(upgraded_session_factory()) as session:
            subscriber = remove_subscriber(session, subscriber_id, actor=cli_actor(actor))
            console.print(
                f"已移除 removed subscriber #{subscriber.id}: {for_terminal(subscriber.name)}",
                markup=False,
                highlight=False,
            )
    except SubscriberError as error:
        _fail(error)
