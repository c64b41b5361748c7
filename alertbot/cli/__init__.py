"""The ``alertbot`` command line: one sub-command group per stage, composed here.

Each sub-command lives in its own module. ``main()`` imports only the module of the command being run (the
stages pull in very different libraries: Scrapy, python-telegram-bot, rapidfuzz …), so ``alertbot match`` on
a million records does not pay for the notifier stack at start-up. ``alertbot --help`` and ``app`` (used by
tests and ``CliRunner``) load every command.
"""

from __future__ import annotations

import importlib
import logging
import sys
from dataclasses import dataclass
from typing import Any

import typer

from alertbot import __version__

HELP = (
    "监测展会展商名录与海外商标/专利公报中的抢注与仿冒风险，并发送风险预警 / Watches expo exhibitor lists and "
    "overseas trademark/patent gazettes for squats on watched enterprises, and sends risk alerts.\n\n"
    '每个命令的帮助先中文、后英文（“ / ”之后） / Every help text is Chinese first, then English after " / ".'
)


@dataclass(frozen=True)
class CommandSpec:
    """Where a sub-command lives: ``alertbot.cli.<module>``, either a Typer group ``app`` or a function."""

    module: str
    help: str
    function: str | None = None


COMMANDS: dict[str, CommandSpec] = {
    "db": CommandSpec(
        "db",
        "创建或升级数据库结构（alembic 迁移） / Create or upgrade the database schema (alembic migrations).",
    ),
    "watchlist": CommandSpec(
        "watchlist", "导入、导出、校验企业监测名录 / Import, export and validate the enterprise watchlist."
    ),
    "records": CommandSpec(
        "records", "导出已存的公报与展商记录 / Export stored gazette and exhibitor records."
    ),
    "crawl": CommandSpec(
        "crawl",
        "运行一个爬虫（公报或展会来源），保存并匹配抓到的记录 / Run one spider (gazette or expo source) and "
        "store and match what it finds.",
        "crawl",
    ),
    "match": CommandSpec(
        "match",
        "将记录与监测名录匹配（文件或数据库）；解释一次匹配 / Match records against the watchlist (files or "
        "the database); explain one match.",
        "match",
    ),
    "alerts": CommandSpec(
        "alerts",
        "列出、查看、处理预警（确认、驳回、上报） / List, show and triage alerts (confirm, dismiss, escalate).",
    ),
    "notify": CommandSpec(
        "notify", "投递发件箱，按渠道发送测试消息 / Deliver the outbox, and send test messages per channel."
    ),
    "users": CommandSpec(
        "users",
        "机器人用户：首位工作人员、邀请码、列出、撤销、角色 / Bot users: the first staff member, invite codes, "
        "list, revoke, role.",
    ),
    "subscribers": CommandSpec(
        "subscribers",
        "订阅者（邮件、企业微信、钉钉、飞书…）：添加、列出、移除 / Subscribers on e-mail, WeCom, DingTalk, Feishu "
        "…: add, list, remove.",
    ),
    "bot": CommandSpec(
        "bot",
        "单独运行 Telegram 机器人（轮询），直到 SIGINT/SIGTERM / Run the Telegram bot alone (polling) until "
        "SIGINT/SIGTERM.",
        "bot",
    ),
    "expo": CommandSpec(
        "expo",
        "展会展商名录：列出、检查、抓取、导入、设网址、展商、可疑展位 / Expo exhibitor lists: list, check, crawl, "
        "import, set-url, exhibitors, flagged booths.",
    ),
    "run": CommandSpec(
        "run",
        "常驻服务：定时抓取、来源健康提醒、发件箱投递与 Telegram 机器人，收到 SIGTERM/SIGINT 后 30 秒内停止 / "
        "Run the always-on service: scheduled crawls (separate processes, timeout and concurrency limit), "
        "source health alerts, the outbox dispatcher and, when ALERTBOT_TELEGRAM_TOKEN is set, the Telegram "
        "bot, until SIGTERM/SIGINT (stops within 30 s).\n\n"
        "PostgreSQL 上多个进程选出一个主进程（调度与机器人），其余投递并待命接替 / On PostgreSQL several "
        "`alertbot run` processes elect one leader (scheduler and bot); the others dispatch and stand by.",
        "run",
    ),
    "sources": CommandSpec(
        "sources",
        "数据源：列出、网址、计划、暂停/恢复 / List and steer the sources: URL, schedule, pause/resume.",
    ),
    "worker": CommandSpec(
        "worker",
        "额外的发件箱投递进程（无调度器、无机器人），与 `alertbot run` 并行，30 秒内停止 / Run an extra outbox "
        "dispatcher next to `alertbot run` (no scheduler, no bot; PostgreSQL rows are claimed with FOR UPDATE "
        "SKIP LOCKED, never sent twice); stops within 30 s of SIGTERM/SIGINT.",
        "worker",
    ),
    "status": CommandSpec(
        "status",
        "一屏概况：各来源上次运行、数量、健康与下次运行，预警与发件箱数量，计划任务；时间按 ALERTBOT_TIMEZONE / "
        "One screen: every source's last run, counts, health and next run; alert and outbox counts; the "
        "scheduled jobs. Times in ALERTBOT_TIMEZONE, named on screen.",
        "status",
    ),
    "demo": CommandSpec(
        "demo",
        "用自带样例跑通整个流程：SQLite，打印预警并写入 ./outbox / Run the whole pipeline on bundled samples: "
        "SQLite, alerts printed and written to ./outbox.",
        "demo",
    ),
    "report": CommandSpec(
        "report",
        "写出周期报告（XLSX、markdown 或 CSV，含图表），或发送月报邮件 / "
        "Write the periodic report (XLSX, markdown or CSV, with charts), or queue the monthly e-mail.\n\n"
        "按企业、商标局或展会、申请人国家、风险与状态统计新增与处理预警；处理时长；连续申请人；30 天内到期的"
        "异议期；展会可疑展位；数据源运行情况 / By enterprise, office or show, applicant country, risk and "
        "status: alerts raised and triaged; triage times; serial filers; deadlines in the next 30 days; "
        "flagged booths; source health.",
        "report",
    ),
}


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"alertbot {__version__}")
        raise typer.Exit()


def _root(
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="向 stderr 输出调试日志 / Log debug details to stderr."
    ),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version_callback,
        is_eager=True,
        help="显示版本并退出 / Print the version and exit.",
    ),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # Migration chatter ("Context impl SQLiteImpl") is noise for every command that ensures the schema.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    # No secret in any log line (issue 8): every record is masked; httpx/httpcore URL chatter is lowered.
    from alertbot.redact import install_log_redaction

    install_log_redaction()


def build_app(only: str | None = None) -> typer.Typer:
    """The CLI with every command, or with only ``only`` (the others' modules are not imported)."""
    from alertbot.cli._common import HelpGroup

    cli = typer.Typer(
        name="alertbot",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode="rich",
        cls=HelpGroup,
    )
    cli.callback()(_root)
    for name, spec in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"alertbot.cli.{spec.module}")
        if spec.function is None:
            cli.add_typer(module.app, name=name, help=spec.help)
        else:
            cli.command(name, help=spec.help)(getattr(module, spec.function))
    return cli


def __getattr__(name: str) -> Any:
    # ``from alertbot.cli import app`` builds the full CLI on first use (PEP 562), keeping imports lazy.
    if name == "app":
        full = build_app()
        globals()["app"] = full
        return full
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point."""
    invoked = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    build_app(invoked if invoked in COMMANDS else None)()
