"""``alertbot report``: the periodic report as XLSX, markdown or CSV, with its charts; or queue the monthly
report e-mail to staff."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from alertbot import db as database
from alertbot.cli._common import console, err_console
from alertbot.settings import get_settings


class Format(StrEnum):
    """Output formats of ``alertbot report``."""

    XLSX = "xlsx"
    MD = "md"
    CSV = "csv"


class Lang(StrEnum):
    """Report languages."""

    ZH = "zh"
    EN = "en"


def report(
    period: str | None = typer.Option(
        None,
        "--period",
        "-p",
        help="报告期：月份 2026-10、季度 2026-Q3 或年份 2026（默认：上个月，本地时间） / "
        "A month 2026-10, a quarter 2026-Q3 or a year 2026 (default: last month, local time).",
    ),
    enterprise: str | None = typer.Option(
        None,
        "--enterprise",
        "-e",
        help="只含此企业的预警（名单中的企业编号），不含数据源运行情况 / "
        "Only this enterprise's alerts (its watchlist id); no source health.",
    ),
    lang: Lang | None = typer.Option(
        None,
        "--lang",
        help="报告语言：zh 中文（默认取 ALERTBOT_LANGUAGE）或 en 英文 / "
        "Report language: zh (default: ALERTBOT_LANGUAGE) or en.",
    ),
    fmt: Format = typer.Option(
        Format.XLSX,
        "--format",
        "-f",
        help="格式：xlsx、md 或 csv（每张表一个文件） / xlsx, md, or csv (one file per table).",
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="输出文件（默认 ./alertbot-report-<period>.<format>）；图表写在同一目录，名为 <name>-chart-*.png，"
        "CSV 各表名为 <name>-<table>.csv / Output file (default ./alertbot-report-<period>.<format>); charts "
        "are written next to it as <name>-chart-*.png, CSV tables as <name>-<table>.csv.",
    ),
    email: bool = typer.Option(
        False,
        "--email",
        help="不写文件，改为给每位工作人员订阅者排队发送报告邮件 / "
        "Instead of writing files, queue the report e-mail to every staff subscriber.",
    ),
) -> None:
    """Write the report files, or queue the staff e-mail. The help users see (Chinese first, then English) is
    the ``report`` entry of ``COMMANDS`` in alertbot/cli/__init__.py, which Typer prefers to this docstring."""
    from alertbot.lifecycle import local_today
    from alertbot.report import PeriodError, ReportScopeError, generate, period_of, queue_monthly_report
    from alertbot.report.period import previous_month

    settings = get_settings()
    if database.current_revision(settings.resolved_database_url()) is None:
        err_console.print("database not initialised: run `alertbot db upgrade` (or `alertbot demo`)")
        raise typer.Exit(code=1)
    try:
        chosen = period_of(period) if period else previous_month(local_today(settings.timezone))
    except PeriodError as error:
        raise typer.BadParameter(str(error), param_hint="--period") from error
    if email:
        if enterprise:
            raise typer.BadParameter("the staff e-mail is the centre's report; leave out --enterprise")
        added = queue_monthly_report(settings, chosen.label)
        console.print(
            f"report {chosen.label}: {added} e-mail deliveries queued to staff "
            "(sent by `alertbot notify dispatch`; already queued ones are not repeated)"
        )
        return
    from alertbot.report import report_stem

    target = out or Path(f"{report_stem(chosen, enterprise)}.{fmt.value}")
    language = (lang.value if lang else None) or settings.language
    with console.status(f"building the {chosen.label} report …"):
        try:
            files = generate(
                settings,
                period=chosen.label,
                enterprise_id=enterprise,
                lang=language,
                formats=(fmt.value,),
                out_dir=target.parent,
                stem=target.stem,
            )
        except ReportScopeError as error:
            raise typer.BadParameter(str(error), param_hint="--enterprise") from error
    main = files.xlsx if fmt is Format.XLSX else files.md if fmt is Format.MD else None
    if main is not None and main != target:
        target.parent.mkdir(parents=True, exist_ok=True)
        main.replace(target)
        main = target
    console.print(f"[bold]{files.title}[/bold]")
    for name, value in files.summary:
        console.print(f"  {name}: {value}")
    written = [main] if main is not None else list(files.csv)
    for path in written:
        console.print(f"written: {path}")
    console.print(f"charts: {', '.join(str(path) for path in files.charts)}")
