"""``alertbot match``: match records against the watchlist (files or the database), or explain one record."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from alertbot.cli._common import console, err_console

if TYPE_CHECKING:
    from alertbot.matching import Explanation, Matcher

PROGRESS_MIN_BYTES = 5_000_000
"""Inputs at least this big get a progress bar on stderr."""


def _parse_classes(value: str) -> frozenset[int]:
    try:
        classes = frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
    except ValueError as exc:
        raise typer.BadParameter(
            f"--classes must be comma-separated Nice classes like 7,9, got {value!r}"
        ) from exc
    if any(not 1 <= c <= 45 for c in classes):
        raise typer.BadParameter(f"--classes must be Nice classes 1-45, got {value!r}")
    return classes


def _watches_from_file(path: Path) -> Any:
    from alertbot.matching.files import read_watches

    try:
        return read_watches(path)
    except FileNotFoundError as exc:
        err_console.print(f"[red]{path}: no such watchlist file[/red]")
        raise typer.Exit(code=1) from exc
    except Exception as exc:  # the watchlist reader's errors name the file, row and field
        err_console.print(f"[red]{escape(str(exc))}[/red]")  # cell values are data, not markup
        raise typer.Exit(code=1) from exc


def _matcher_from_database() -> Matcher:
    from alertbot.db import session_factory
    from alertbot.ingest import build_matcher
    from alertbot.watchlist import load_enterprises

    with session_factory()() as session:
        matcher: Matcher = build_matcher(load_enterprises(session))
    return matcher


def _print_explanation(explanation: Explanation) -> None:
    from alertbot.matching import describe

    candidate = explanation.candidate
    console.print(
        f"[bold]{candidate.kind}[/bold] {candidate.text!r}"
        + (f"  applicant {candidate.applicant!r}" if candidate.applicant else "")
        + (f"  classes {','.join(map(str, sorted(candidate.classes)))}" if candidate.classes else "")
    )
    forms = Table(title="Forms 比对形式", show_header=False)
    for name, value in explanation.forms.items():
        forms.add_row(name, value)
    console.print(forms)
    for party in explanation.parties:
        who = (
            f"own name of {', '.join(party.own_of)}"
            if party.own_of
            else f"affiliate of {', '.join(party.affiliate_of)}"
            if party.affiliate_of
            else "not a watched enterprise or affiliate"
        )
        console.print(f"Party {party.name!r} (key {party.key!r}): {who}")
    table = Table(title="Comparisons 比对明细")
    for column in ("enterprise", "mark", "from", "variant", "score", "decision", "reasons"):
        table.add_column(column)
    for comp in explanation.comparisons:
        decision = f"[green]{comp.risk}[/green]" if comp.accepted else "[dim]no alert[/dim]"
        table.add_row(
            comp.watch_id,
            comp.mark,
            comp.source,
            comp.variant,
            f"{comp.score:.0f}",
            decision,
            "\n".join(comp.reasons),
        )
    if explanation.comparisons:
        console.print(table)
        legend = Table(title="Reason codes 理由说明", show_header=False)
        for code in dict.fromkeys(code for comp in explanation.comparisons for code in comp.reasons):
            legend.add_row(code, describe(code, "zh"), describe(code))
        console.print(legend)
    else:
        console.print("No watched mark met this record through any variant. 未发现与任何监测商标的对应。")
    if explanation.nearest:
        near = Table(title="Nearest marks by plain WRatio (context only, not a decision)")
        for column in ("enterprise", "mark", "WRatio"):
            near.add_column(column)
        for watch_id, mark, score in explanation.nearest:
            near.add_row(watch_id, mark, f"{score:.0f}")
        console.print(near)
    if explanation.hits:
        console.print("[bold]Alerts 预警:[/bold]")
        for hit in explanation.hits:
            console.print(json.dumps(hit.to_json(), ensure_ascii=False))
    else:
        console.print("[bold]No alert 无预警[/bold]")


def _advance(progress: Progress, task: TaskID, done: int) -> None:
    progress.advance(task, done)
    progress.refresh()


def _cache_dir(use_cache: bool) -> Path | None:
    """Where compiled watchlist indexes are kept (``<ALERTBOT_DATA_DIR>/cache``), or None for --no-cache."""
    if not use_cache:
        return None
    from alertbot.settings import get_settings

    return get_settings().data_dir / "cache"


def _run_files(watchlist: Path, records: Path, out: Path | None, workers: int, use_cache: bool) -> None:
    from alertbot.matching import escalate_serial_filers
    from alertbot.matching.cache import compiled_matcher
    from alertbot.matching.files import hits_from_json, match_file

    if not records.is_file():
        err_console.print(f"[red]{records}: no such records file[/red]")
        raise typer.Exit(code=1)
    matcher = compiled_matcher(_watches_from_file(watchlist), _cache_dir(use_cache))
    size = records.stat().st_size
    progress = Progress(
        TextColumn("matching"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=size < PROGRESS_MIN_BYTES,
        # No refresh thread: the matcher forks worker processes, and forking a process with a live thread
        # is unsafe. The bar is redrawn after each chunk instead.
        auto_refresh=False,
    )
    with progress:
        task = progress.add_task("records", total=max(1, size))
        hits, errors, applicants = match_file(
            matcher, records, workers=workers, on_progress=lambda n: _advance(progress, task, n)
        )
    for error in errors[:50]:
        err_console.print(f"[yellow]skipped[/yellow] {escape(str(error))}")
    if len(errors) > 50:
        err_console.print(f"[yellow]… and {len(errors) - 50} more bad lines[/yellow]")
    escalated = escalate_serial_filers(hits_from_json(hits), applicants)
    handle = out.open("w", encoding="utf-8") if out else sys.stdout
    try:
        for hit in escalated:
            handle.write(json.dumps(hit.to_json(), ensure_ascii=False) + "\n")
    finally:
        if out:
            handle.close()
    err_console.print(f"{len(escalated)} alert(s); {len(errors)} bad line(s) skipped")


def match(
    watchlist: Path | None = typer.Option(
        None,
        "--watchlist",
        "-w",
        help="监测名录 CSV/XLSX（名录格式） / Watchlist CSV/XLSX (directory format).",
    ),
    records: Path | None = typer.Option(
        None, "--records", "-r", help="要匹配的记录文件（JSON lines） / Records JSON-lines file to match."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="预警写到这里（JSON lines）；默认标准输出 / Write alerts here (JSON lines); default stdout.",
    ),
    explain: str | None = typer.Option(
        None,
        "--explain",
        help="解释这段文字与名录如何比对 / Explain how this one text compares to the watchlist.",
    ),
    applicant: str | None = typer.Option(
        None, "--applicant", help="配合 --explain：申请人名称 / With --explain: the filer's name."
    ),
    classes: str = typer.Option(
        "",
        "--classes",
        help="配合 --explain：尼斯分类，逗号分隔（7,9） / With --explain: Nice classes, comma-separated (7,9).",
    ),
    kind: str = typer.Option(
        "trademark",
        "--kind",
        help="配合 --explain：trademark 商标、exhibitor 展商或 patent 专利 / With --explain: trademark, exhibitor or patent.",
    ),
    workers: int = typer.Option(
        0,
        "--workers",
        help="文件匹配的进程数（0 = 全部核心） / Processes for file matching (0 = every core).",
    ),
    use_cache: bool = typer.Option(
        True,
        "--cache/--no-cache",
        help=(
            "复用 <数据目录>/cache 中已编译的名录索引（名录或代码变化即重建） / Reuse the compiled watchlist "
            "index kept in <data dir>/cache (rebuilt when the watchlist or the code changes)."
        ),
    ),
) -> None:
    """Match records against the watchlist and write one JSON line per alert.

    With --watchlist and --records: match the file. With neither: match the database's unmatched records.
    With --explain TEXT: show every comparison the matcher makes for that one record.
    """
    if explain is not None:
        from alertbot.matching import Candidate, Matcher

        if kind not in ("trademark", "exhibitor", "patent"):
            raise typer.BadParameter(f"--kind must be trademark, exhibitor or patent, got {kind!r}")
        matcher = Matcher(_watches_from_file(watchlist)) if watchlist else _matcher_from_database()
        candidate = Candidate(
            id="explain", kind=kind, text=explain, applicant=applicant, classes=_parse_classes(classes)
        )
        _print_explanation(matcher.explain(candidate))
        return
    if watchlist is None and records is None:
        from alertbot.ingest import match_stored_records

        count = match_stored_records()
        console.print(f"{count} new alert(s) from stored records")
        return
    if watchlist is None or records is None:
        err_console.print(
            "[red]give both --watchlist and --records (or neither, to match the database)[/red]"
        )
        raise typer.Exit(code=2)
    _run_files(watchlist, records, out, workers, use_cache)
