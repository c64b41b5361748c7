"""``alertbot users``: the first staff member, invite codes, and the staff commands' mirror (list, revoke, role)."""

from __future__ import annotations

import datetime as dt

import typer
from rich.table import Table

from alertbot.cli._common import cli_actor, console, err_console, upgraded_session_factory

app = typer.Typer(no_args_is_help=True)
_ACTOR_HELP = (
    "操作者，记入审计日志（默认：系统用户） / Who is acting, for the audit log (default: the OS user)."
)
_ROLE_HELP = "角色：staff 工作人员、enforcement 执法组或 enterprise 企业 / staff, enforcement or enterprise."
_ENTERPRISES_HELP = "企业用户：一个或多个名录 id / For enterprise users: one or more watchlist ids."


def _fail(error: Exception) -> None:
    err_console.print(f"[red]{error}[/red] Nothing was changed.")
    raise typer.Exit(code=1)


@app.command("add-staff")
def add_staff(
    telegram_user_id: int = typer.Argument(
        ...,
        help="此人的 Telegram 数字用户 id（问 @userinfobot） / The person's numeric Telegram user id (ask "
        "@userinfobot).",
    ),
    name: str = typer.Option(
        "", "--name", help="审计日志与 /users 中的称呼 / How the audit log and /users name them."
    ),
    actor: str = typer.Option("", help=_ACTOR_HELP),
) -> None:
    """登记首位（或又一位）工作人员，由其在 Telegram 中邀请其他人 / Register the first (or another) staff member;
    they then invite everyone else from Telegram."""
    from alertbot.bot.members import add_staff as add
    from alertbot.db import transaction

    with transaction(upgraded_session_factory()) as session:
        subscriber = add(session, telegram_user_id, name, actor=cli_actor(actor))
        console.print(
            f"staff: {subscriber.name} (Telegram {telegram_user_id}); they can now send /start to the bot"
        )


@app.command("invite")
def invite(
    role: str = typer.Argument(..., help=_ROLE_HELP),
    enterprise_ids: list[str] = typer.Argument(None, help=_ENTERPRISES_HELP),
    # No default shown: the effective one is ALERTBOT_INVITE_TTL_HOURS, read when the command runs.
    hours: float | None = typer.Option(
        None,
        "--hours",
        min=0.01,
        show_default=False,
        help="有效小时数（默认取 ALERTBOT_INVITE_TTL_HOURS，未设时 72） / Validity in hours (default: "
        "ALERTBOT_INVITE_TTL_HOURS, 72 when unset).",
    ),
    actor: str = typer.Option("", help=_ACTOR_HELP),
) -> None:
    """生成一次性、会过期的邀请码；邀请码单独在最后一行（便于脚本） / Make a one-time invite code that expires;
    the code is alone on the last line (for scripts)."""
    from alertbot.bot.members import MembershipError, create_invite
    from alertbot.db import transaction
    from alertbot.settings import get_settings

    ttl = dt.timedelta(hours=hours if hours is not None else get_settings().invite_ttl_hours)
    try:
        with transaction(upgraded_session_factory()) as session:
            code, row = create_invite(session, role, enterprise_ids or [], actor=cli_actor(actor), ttl=ttl)
            expires = row.expires_at
    except MembershipError as error:
        _fail(error)
        return
    console.print(
        f"invite for {role} {' '.join(enterprise_ids or [])}, single use, expires {expires:%Y-%m-%d %H:%M} UTC"
    )
    console.print("the new user sends /start CODE to the bot:")
    typer.echo(code)


@app.command("list")
def list_(
    all_: bool = typer.Option(False, "--all", help="包括已撤销的用户 / Include revoked users."),
) -> None:
    """用户及其 Telegram id、角色与企业 / Users with their Telegram id, role and enterprises."""
    from alertbot.bot.members import list_users

    table = Table("telegram id", "name", "role", "enterprises", "active", "language")
    with upgraded_session_factory()() as session:
        for s in list_users(session, include_inactive=all_):
            table.add_row(
                str(s.telegram_user_id or "-"),
                s.name,
                s.role,
                ",".join(sorted(s.linked_enterprises())),
                "yes" if s.active else "no",
                s.language,
            )
    console.print(table)


@app.command("revoke")
def revoke(
    telegram_user_id: int = typer.Argument(
        ...,
        help="用户的 Telegram id（见 `alertbot users list`） / The user's Telegram id (see `alertbot users list`).",
    ),
    actor: str = typer.Option("", help=_ACTOR_HELP),
) -> None:
    """停用用户：不再收预警、不能再用命令（最后一位工作人员不能撤销） / Deactivate a user: no more alerts or
    commands (the last staff member cannot be revoked)."""
    from alertbot.bot.members import MembershipError, describe_user
    from alertbot.bot.members import revoke as do_revoke
    from alertbot.db import transaction

    try:
        with transaction(upgraded_session_factory()) as session:
            console.print(
                "revoked: " + describe_user(do_revoke(session, telegram_user_id, actor=cli_actor(actor)))
            )
    except MembershipError as error:
        _fail(error)


@app.command("role")
def role(
    telegram_user_id: int = typer.Argument(..., help="用户的 Telegram id / The user's Telegram id."),
    new_role: str = typer.Argument(..., metavar="ROLE", help=_ROLE_HELP),
    enterprise_ids: list[str] = typer.Argument(None, help=_ENTERPRISES_HELP),
    actor: str = typer.Option("", help=_ACTOR_HELP),
) -> None:
    """更改用户的角色（及企业） / Change a user's role (and enterprises)."""
    from alertbot.bot.members import MembershipError, describe_user, set_role
    from alertbot.db import transaction

    try:
        with transaction(upgraded_session_factory()) as session:
            subscriber = set_role(
                session, telegram_user_id, new_role, enterprise_ids or [], actor=cli_actor(actor)
            )
            console.print("updated: " + describe_user(subscriber))
    except MembershipError as error:
        _fail(error)
