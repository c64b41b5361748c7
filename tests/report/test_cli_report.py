"""`alertbot report`: formats, --out, --lang, --enterprise, --period errors, --email."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from openpyxl import load_workbook
from sqlmodel import select
from typer.core import TyperGroup, TyperOption
from typer.testing import CliRunner

from alertbot import db
from alertbot.cli import app
from alertbot.models import Delivery, Role, Subscriber
from alertbot.settings import Settings

runner = CliRunner()


def test_xlsx_to_a_chosen_file_with_charts_next_to_it(settings: Settings, seeded, tmp_path: Path) -> None:
    out = tmp_path / "reports" / "october.xlsx"
    result = runner.invoke(app, ["report", "--period", "2026-10", "--out", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert f"written: {out}" in result.output
    assert "新增预警: 11" in result.output
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "october-chart-by_country.png",
        "october-chart-by_month.png",
        "october-chart-by_office.png",
        "october-chart-triage.png",
        "october.xlsx",
    ]
    assert load_workbook(out).sheetnames[0] == "汇总"


def test_markdown_in_english_for_one_enterprise(settings: Settings, seeded, tmp_path: Path) -> None:
    out = tmp_path / "acme.md"
    result = runner.invoke(
        app,
        ["report", "-p", "2026-10", "--format", "md", "--lang", "en", "--enterprise", "acme", "-o", str(out)],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# alertbot overseas IP risk report 2026-10 — ACME Machinery")
    assert "- Alerts raised: **7**" in text
    assert "BETA" not in text


def test_csv_writes_one_file_per_table(settings: Settings, seeded, tmp_path: Path) -> None:
    out = tmp_path / "q4.csv"
    result = runner.invoke(app, ["report", "-p", "2026-Q4", "-f", "csv", "-o", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    names = {p.name for p in tmp_path.glob("q4-*.csv")}
    assert {"q4-summary.csv", "q4-by_enterprise.csv", "q4-alerts.csv", "q4-sources.csv"} <= names
    assert len((tmp_path / "q4-alerts.csv").read_text(encoding="utf-8-sig").strip().splitlines()) == 1 + 12


def test_bad_period_and_unknown_enterprise_are_usage_errors(
    settings: Settings, seeded, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["report", "--period", "2026-13"], terminal_width=200)
    assert result.exit_code == 2
    assert "month 13 is not 1-12" in result.output
    result = runner.invoke(
        app, ["report", "-p", "2026-10", "-e", "nobody", "-o", str(tmp_path / "x.xlsx")], terminal_width=200
    )
    assert result.exit_code == 2
    assert "'nobody' is not on the watchlist" in result.output


def test_without_a_database_it_says_what_to_do(settings: Settings) -> None:
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 1
    assert "alertbot db upgrade" in result.output


def test_email_queues_one_delivery_per_staff_mailbox_once(settings: Settings, seeded) -> None:
    factory = db.session_factory(settings)
    with db.transaction(factory) as session:
        session.add(Subscriber(name="staff", role=Role.STAFF.value, channels={"email": "s@centre.example"}))
        session.add(Subscriber(name="acme", role=Role.ENTERPRISE.value, channels={"email": "a@acme.example"}))
    result = runner.invoke(app, ["report", "-p", "2026-10", "--email"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "1 e-mail deliveries queued" in result.output
    again = runner.invoke(app, ["report", "-p", "2026-10", "--email"], terminal_width=200)
    assert "0 e-mail deliveries queued" in again.output
    with factory() as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == "report")).all()
    assert [(row.target, row.payload) for row in rows] == [("s@centre.example", {"period": "2026-10"})]


def _chinese_then_english(text: str) -> bool:
    """Chinese first (the text opens with a Han character), then `` / `` and English words."""
    chinese, _, english = text.partition(" / ")
    return bool(re.match(r"[\u4e00-\u9fff]", chinese)) and bool(re.search(r"[A-Za-z]{3,}", english))


def test_help_is_chinese_first_with_english_for_the_command_and_every_option() -> None:
    command = typer.main.get_command(app)
    assert isinstance(command, TyperGroup)
    report = command.commands["report"]
    assert report.help is not None
    assert _chinese_then_english(report.help), report.help
    options = [param for param in report.params if isinstance(param, TyperOption) and param.name != "help"]
    assert {option.name for option in options} == {"period", "enterprise", "lang", "fmt", "out", "email"}
    for option in options:
        assert option.help is not None, option.name
        assert _chinese_then_english(option.help), (option.name, option.help)
    result = runner.invoke(app, ["report", "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "写出周期报告" in result.output
    assert "报告期" in result.output
