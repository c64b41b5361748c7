"""`alertbot records export` writes stored records in the matching records format plus the source's own fields."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from alertbot.cli import app
from alertbot.ingest import Ingestor
from alertbot.schemas import RecordIn

runner = CliRunner()


def _store(settings, source: str, native_id: str, **fields) -> None:
    ingestor = Ingestor.open(source, "test", settings=settings)
    ingestor.add(RecordIn(source=source, native_id=native_id, **fields))
    ingestor.close()


def test_export_filters_by_source_and_keeps_source_fields(settings, tmp_path: Path) -> None:
    _store(
        settings,
        "uspto-tm",
        "99900001",
        kind="trademark",
        text="SIASUN ROBOTICS",
        applicant="Robotix Trade LLC",
        applicant_country="US",
        classes=[7, 9],
        office="US",
        filing_date=dt.date(2026, 11, 2),
        url="https://tsdr.uspto.gov/#caseNumber=99900001",
        raw={"status-code": "630"},
    )
    _store(
        settings, "cieme", "B1-101", kind="exhibitor", text="新淞智能装备有限公司", hall="B1", booth="B1-101"
    )
    out = tmp_path / "records.jsonl"
    result = runner.invoke(app, ["records", "export", "--source", "uspto-tm", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (line,) = out.read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert {
        k: record[k] for k in ("kind", "source", "text", "applicant", "applicant_country", "classes")
    } == {
        "kind": "trademark",
        "source": "uspto-tm",
        "text": "SIASUN ROBOTICS",
        "applicant": "Robotix Trade LLC",
        "applicant_country": "US",
        "classes": [7, 9],
    }
    assert record["native_id"] == "99900001"
    assert record["filing_date"] == "2026-11-02"
    assert record["url"].endswith("99900001")
    assert record["raw"] == {"status-code": "630"}

    everything = runner.invoke(app, ["records", "export"])
    lines = [json.loads(x) for x in everything.stdout.splitlines() if x.startswith("{")]
    assert {r["source"] for r in lines} == {"uspto-tm", "cieme"}
    exhibitor = next(r for r in lines if r["kind"] == "exhibitor")
    assert (exhibitor["hall"], exhibitor["booth"], exhibitor["applicant"]) == ("B1", "B1-101", None)

    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    later = runner.invoke(app, ["records", "export", "--since", tomorrow])
    assert [x for x in later.stdout.splitlines() if x.startswith("{")] == []
