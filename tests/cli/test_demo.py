"""`alertbot demo` runs the real path end to end: watchlist, spiders over bundled samples, matching, outbox."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.slow


def alertbot(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a newcomer would: in ``cwd``, with no ALERTBOT_* setting but ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ALERTBOT_")}
    return subprocess.run(
        [sys.executable, "-c", "from alertbot.cli import main; main()", *args],
        cwd=cwd,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    workdir = tmp_path_factory.mktemp("demo")
    return workdir, alertbot(workdir, "demo")


def test_demo_exits_cleanly_and_runs_every_sample_spider(demo_run) -> None:
    _, completed = demo_run
    assert completed.returncode == 0, completed.stdout + completed.stderr
    for spider in ["uspto_tm_daily", "uspto_patent_app", "st66", "epo_ops", "kipris_tm"]:
        assert f"{spider}" in completed.stdout
    assert " error" not in completed.stdout


def test_demo_stores_the_squats_in_the_samples_as_alerts(demo_run) -> None:
    workdir, _ = demo_run
    engine = sa.create_engine(f"sqlite:///{workdir / '.alertbot-demo' / 'alertbot.sqlite'}")
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "select a.enterprise_id, a.risk, r.source_key, r.text from alert a join record r on r.id = a.record_id"
        ).all()
        own = conn.exec_driver_sql("select count(*) from record where applicant like '%Beihang%'").scalar()
    engine.dispose()
    alerts = {(enterprise, source) for enterprise, _, source, _ in rows}
    assert ("siasun", "uspto-tm") in alerts
    assert ("neusoft", "kipris") in alerts
    assert {risk for _, risk, _, _ in rows} <= {"high", "medium", "low"}
    assert own == 1, "the real patent sample (Beihang University) is stored"
    assert not any("Beihang" in (text or "") for *_, text in rows), "unrelated records raise no alert"


def test_demo_writes_one_email_per_alert_and_recipient(demo_run) -> None:
    workdir, completed = demo_run
    emails = sorted((workdir / "outbox").glob("*.eml"))
    assert emails, completed.stdout
    recipients = set()
    for path in emails:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        recipients.add(str(message["To"]))
        assert message["Subject"]
        assert message.get_body(preferencelist=("plain",)) is not None
        assert message.get_body(preferencelist=("html",)) is not None
    assert "staff@centre.example.cn" in recipients
    assert "ip@siasun.example.cn" in recipients
    assert f"{len(emails)} e-mails written" in completed.stdout


def test_demo_ends_with_a_report_of_its_own_run_and_says_where(demo_run) -> None:
    from openpyxl import load_workbook

    workdir, completed = demo_run
    line = next(ln for ln in completed.stdout.splitlines() if "report of this run:" in ln)
    path = workdir / line.split("report of this run:", 1)[1].split()[0]
    assert path.parent == workdir / "outbox" / "report"
    assert path.suffix == ".xlsx"
    assert path.with_suffix(".md").is_file()
    assert len(list(path.parent.glob("*-chart-*.png"))) == 4
    engine = sa.create_engine(f"sqlite:///{workdir / '.alertbot-demo' / 'alertbot.sqlite'}")
    with engine.connect() as conn:
        alerts = conn.exec_driver_sql("select count(*) from alert").scalar()
    engine.dispose()
    summary = load_workbook(path).worksheets[0]
    figures = {row[0]: row[1] for row in summary.iter_rows(min_row=4, max_col=2, values_only=True)}
    assert figures["新增预警"] == alerts
    assert alerts


def test_demo_crawls_the_bundled_expo_editions_and_lists_their_flagged_booths(demo_run) -> None:
    workdir, completed = demo_run
    assert "cieme-2026" in completed.stdout
    assert "giic-2026" in completed.stdout
    engine = sa.create_engine(f"sqlite:///{workdir / '.alertbot-demo' / 'alertbot.sqlite'}")
    with engine.connect() as conn:
        booths = conn.exec_driver_sql(
            "select r.source_key, r.hall, r.booth from alert a join record r on r.id = a.record_id"
            " where r.kind = 'exhibitor' and a.status != 'dismissed'"
        ).all()
    engine.dispose()
    assert {source for source, _, _ in booths} == {"cieme-2026", "giic-2026"}
    assert f"expo: {len(booths)} flagged booths" in completed.stdout
    for _source, hall, booth in booths:
        assert hall
        assert booth
        assert booth in completed.stdout, f"flagged booth {booth} is listed"


def test_demo_never_deletes_a_folder_it_did_not_make(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / "my-notes.txt").write_text("keep me", encoding="utf-8")
    completed = alertbot(tmp_path, "demo", "--outbox", str(outbox))
    assert completed.returncode == 2
    assert "was not made by the demo" in completed.stderr
    assert (outbox / "my-notes.txt").read_text(encoding="utf-8") == "keep me"


def test_demo_says_where_its_database_is_and_the_hint_works(demo_run) -> None:
    workdir, completed = demo_run
    assert "ALERTBOT_DATA_DIR=.alertbot-demo alertbot alerts list" in completed.stdout
    listed = alertbot(workdir, "alerts", "list", ALERTBOT_DATA_DIR=".alertbot-demo")
    assert listed.returncode == 0, listed.stderr
    assert "siasun" in listed.stdout.lower()
