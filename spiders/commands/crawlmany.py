"""``scrapy crawlmany PLAN.json``: several crawls, one after another, in ONE Scrapy process.

``alertbot demo`` runs every bundled sample this way: a Scrapy process spends most of a small crawl starting
up (interpreter, Twisted, the matcher's dictionaries), so one process for all samples instead of one per
sample is what gets a newcomer the result in seconds. The plan is a JSON list of
``{"spider": NAME, "args": {KEY: VALUE}, "summary": PATH}``; each crawl gets its own ``ALERTBOT_RUN_SUMMARY``
file, written by the same ``RunSummary`` extension as ``scrapy crawl``, so the caller reads each outcome the
same way. The crawls run side by side on the one reactor; their database writes happen on the reactor thread,
so they never contend for SQLite's single writer lock.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from scrapy.commands import ScrapyCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError


class Command(ScrapyCommand):
    """Run the crawls of a JSON plan sequentially in this process."""

    requires_project = True

    def syntax(self) -> str:
        return "PLAN.json"

    def short_desc(self) -> str:
        return "Run several spiders one after another in one process (plan: JSON list of crawls)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one plan file")
        plan = _read_plan(Path(args[0]))
        process = self.crawler_process
        assert process is not None
        for entry in plan:
            spider_class = process.spider_loader.load(entry["spider"])
            settings = self.settings.copy()
            settings.set("ALERTBOT_RUN_SUMMARY", entry.get("summary"), priority="cmdline")
            process.crawl(Crawler(spider_class, settings), **dict(entry.get("args", {})))
        process.start()
        if process.bootstrap_failed:
            self.exitcode = 1


def _read_plan(path: Path) -> list[dict[str, Any]]:
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"{path}: cannot read the crawl plan: {error}") from error
    if not isinstance(plan, list) or not all(isinstance(e, dict) and "spider" in e for e in plan):
        raise UsageError(f"{path}: a plan is a JSON list of objects with a 'spider' key")
    return plan
