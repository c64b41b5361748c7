"""``alertbot records``: export stored records as JSON lines."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, TextIO

import typer
from sqlmodel import col, select

from alertbot import db as database
from alertbot.cli._common import err_console
from alertbot.models import Record
from alertbot.settings import get_settings

app = typer.Typer(no_args_is_help=True)


def record_json(record: Record) -> dict[str, Any]:
    """A stored record in the records format of ``bench/README.md`` plus the source's own fields."""
    return {
        "id": f"{record.source_key}:{record.native_id}",
        "kind": record.kind,
        "source": record.source_key,
        "text": record.text,
        "applicant": record.applicant,
        "applicant_country": record.applicant_country,
        "classes": list(record.classes),
        "booth": record.booth,
        "hall": record.hall,
        "native_id": record.native_id,
        "office": record.office,
        "status": record.status,
        "event": record.event,
        "filing_date": record.filing_date.isoformat() if record.filing_date else None,
        "publication_date": record.publication_date.isoformat() if record.publication_date else None,
        "opposition_end": record.opposition_end.isoformat() if record.opposition_end else None,
        "url": record.url,
        "deleted": record.deleted,
        "raw": record.raw,
    }


@app.command("export")
def export(
    out: Path | None = typer.Option(
        None, "--out", "-o", help="输出文件（默认：标准输出） / Output file (default: stdout)."
    ),
    source: str | None = typer.Option(
        None, "--source", "-s", help="只导出该来源，如 uspto-tm / Only this source key, e.g. uspto-tm."
    ),
    since: dt.datetime | None = typer.Option(
        None,
        "--since",
        formats=["%Y-%m-%d"],
        help="只导出该日期及以后见到的记录 / Only records seen on or after this date.",
    ),
) -> None:
    """以 JSON lines 写出已存记录（匹配用的记录格式，另加各来源自有字段） / Write stored records as JSON lines
    (the matching records format plus each source's own fields)."""
    factory = database.session_factory(get_settings())
    query = select(Record).order_by(col(Record.id))
    if source:
        query = query.where(Record.source_key == source)
    if since:
        query = query.where(col(Record.last_seen_at) >= since.replace(tzinfo=dt.UTC))
    handle: TextIO = out.open("w", encoding="utf-8") if out else sys.stdout
    count = 0
    try:
        with factory() as session:
            for record in session.exec(query.execution_options(yield_per=1000)):
                handle.write(json.dumps(record_json(record), ensure_ascii=False) + "\n")
                count += 1
    finally:
        if out:
            handle.close()
    err_console.print(f"exported {count} records" + (f" to {out}" if out else ""))
