"""``alertbot crawl``: listing, a real crawl of a bundled sample, and clear errors for bad input."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from alertbot.cli import app
from alertbot.crawling import sample_sources
from alertbot.settings import Settings
from tests.spiders.standins import stored

runner = CliRunner()


@pytest.mark.slow
def test_list_names_every_spider() -> None:
    result = runner.invoke(app, ["crawl", "--list"])
    assert result.exit_code == 0
    assert result.output.split() == [
        "epo_ops",
        "expo_exhibitors",
        "kipris_tm",
        "st66",
        "uspto_patent_app",
        "uspto_tm_daily",
    ]


@pytest.mark.slow
def test_crawl_a_file_reports_counts_and_stores_records(settings: Settings) -> None:
    url = next(u for name, u in sample_sources() if name == "kipris_tm")
    result = runner.invoke(app, ["crawl", "kipris_tm", "--file", url], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "kipris_tm: ok" in result.output
    assert "new 5" in result.output
    assert len(stored(settings.resolved_database_url()).records) == 5


@pytest.mark.slow
def test_unknown_spider_and_bad_date_are_refused() -> None:
    unknown = runner.invoke(app, ["crawl", "no_such_spider"])
    assert unknown.exit_code == 2
    assert "unknown spider" in unknown.output
    bad_date = runner.invoke(app, ["crawl", "uspto_tm_daily", "--since", "25/09/2024"])
    assert bad_date.exit_code == 2
    assert "YYYY-MM-DD" in bad_date.output


@pytest.mark.slow
def test_crawl_errors_are_printed_as_text_not_markup(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "EM[red]x[bold].xml"
    bad.write_bytes(b"<Transaction><TradeMark>")
    result = runner.invoke(app, ["crawl", "st66", "--file", str(bad)], terminal_width=200)
    assert result.exit_code == 1, result.output
    assert "EM[red]x[bold].xml" in result.output


@pytest.mark.slow
def test_crawl_is_killed_at_the_configured_timeout(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alertbot.settings import get_settings

    # Starting Scrapy alone takes longer than this, so the crawl cannot finish in time.
    monkeypatch.setenv("ALERTBOT_CRAWL_TIMEOUT", "0.3")
    get_settings.cache_clear()
    url = next(u for name, u in sample_sources() if name == "kipris_tm")

    result = runner.invoke(app, ["crawl", "kipris_tm", "--file", url])

    assert result.exit_code == 1
    assert "timeout" in result.output
