"""``alertbot watchlist``: import, export and validate the enterprise watchlist (CSV or XLSX)."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer
from rich.table import Table

from alertbot import db as database
from alertbot.cli._common import console, err_console
from alertbot.settings import get_settings
from alertbot.textsafety import for_terminal, reveal
from alertbot.watchlist import (
    WatchlistError,
    WatchlistRow,
    apply_watchlist,
    load_enterprises,
    read_watchlist_with_notices,
    write_watchlist,
)

app = typer.Typer(no_args_is_help=True)


def _read_or_exit(path: Path) -> list[WatchlistRow]:
    try:
        rows, notices = read_watchlist_with_notices(path)
    except WatchlistError as exc:
        err_console.print(f"[red]{exc.path}: {len(exc.problems)} problem(s); nothing was imported[/red]")
        for problem in exc.problems:
            err_console.print(f"  {reveal(problem)}", markup=False, highlight=False)
        raise typer.Exit(code=1) from exc
    if notices:
        err_console.print(f"{path}: normalised {len(notices)} cell(s):", markup=False, highlight=False)
        for notice in notices:
            err_console.print(f"  {reveal(notice)}", markup=False, highlight=False)
    return rows


@app.command("import")
def import_(
    file: Path = typer.Argument(
        ...,
        help="名录格式的 CSV（UTF-8）或 XLSX 文件 / Watchlist CSV (UTF-8) or XLSX in the directory format.",
        exists=False,
    ),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="只校验并显示将有的变化，不写入 / Validate and show what would change; write nothing.",
    ),
    retro: bool = typer.Option(
        True,
        "--retro/--no-retro",
        help="用最近 ALERTBOT_RETRO_MATCH_DAYS 天的已存记录匹配新增或变更的条目 / Match stored records of the last "
        "ALERTBOT_RETRO_MATCH_DAYS against new or changed entries.",
    ),
    actor: str = typer.Option(
        "",
        help="导入者，记入审计日志（默认：系统用户） / Who is importing, for the audit log (default: the OS user).",
    ),
) -> None:
    """导入监测名录：新增条目，原地更新变更的条目（记入审计日志） / Import a watchlist: add new entries, update
    changed ones in place (audit-logged).

    任何一行有错即整体放弃导入，错误指明行与字段；重复导入同一文件不做任何改动 / Any bad row aborts the whole
    import; the error names the row and field. Re-importing the same file changes nothing.
    """
    rows = _read_or_exit(file)
    settings = get_settings()
    url = settings.resolved_database_url()
    database.upgrade(url)
    factory = database.session_factory(settings)
    with database.transaction(factory) as session:
        result = apply_watchlist(session, rows, actor=actor or f"cli:{getpass.getuser()}", dry_run=dry_run)
        if dry_run:
            session.rollback()
    verb = "would add" if dry_run else "added"
    console.print(
        f"{file}: {len(rows)} rows; {verb} {len(result.added)}, "
        f"{'would update' if dry_run else 'updated'} {len(result.updated)}, unchanged {len(result.unchanged)}"
    )
    for entry_id in result.updated:
        console.print(f"  updated: {reveal(entry_id)}", markup=False, highlight=False)
    if not dry_run and retro and result.changed_ids:
        from alertbot.ingest import retro_match

        found = retro_match(result.changed_ids, settings)
        total = sum(len(v) for v in found.values())
        console.print(
            f"initial search over the last {settings.retro_match_days} days: {total} alert(s)"
            + (f" for {', '.join(sorted(found))}" if found else "")
        )


@app.command("export")
def export(file: Path = typer.Argument(..., help="输出文件 .csv 或 .xlsx / Output .csv or .xlsx.")) -> None:
    """按导入格式导出当前名录（导出再导入不丢信息） / Export the active watchlist in the import format (a round
    trip is lossless)."""
    factory = database.session_factory(get_settings())
    with factory() as session:
        rows = [WatchlistRow.from_enterprise(e) for e in load_enterprises(session)]
    write_watchlist(rows, file)
    console.print(f"wrote {len(rows)} entries to {file}")


@app.command("validate")
def validate(file: Path = typer.Argument(..., help="名录 CSV 或 XLSX 文件 / Watchlist CSV or XLSX.")) -> None:
    """检查名录文件，不动数据库 / Check a watchlist file without touching the database."""
    rows = _read_or_exit(file)
    console.print(f"{file}: {len(rows)} valid rows")


@app.command("list")
def list_() -> None:
    """显示监测名录 / Show the watchlist."""
    factory = database.session_factory(get_settings())
    table = Table("id", "名称 name", "marks", "classes", "affiliates")
    with factory() as session:
        for e in load_enterprises(session):
            table.add_row(
                for_terminal(e.id),
                f"{for_terminal(e.name_zh)}\n{for_terminal(e.name_en)}",
                " | ".join(for_terminal(m) for m in e.marks),
                ",".join(map(str, e.classes)),
                str(len(e.affiliates)),
            )
    console.print(table)
