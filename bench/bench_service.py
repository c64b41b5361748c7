#!/usr/bin/env python3
"""The always-on service under a heavy crawl: does the bot stay responsive, and how fast does SIGTERM stop it?

usage: bench/bench_service.py [--mb 100] [--samples 20] [--out DIR]

1. Builds (or reuses) bench_parse.py's USPTO Trademark Daily file of --mb MB of XML and serves it on
   loopback; a fresh SQLite database with one staff user; every other source paused, ``uspto_tm_daily``
   pinned to the file (``alertbot sources set-url``).
2. Starts a real ``alertbot run`` polling the Bot API stand-in.
3. Baseline, same run: --samples ``/whoami`` round trips with the service idle (time from the update being
   queued to the stand-in receiving the reply).
4. ``/crawl uspto_tm_daily``: the same round trips while the crawl process downloads, parses, stores and
   matches the file; the crawl's wall time is taken from the service's log.
5. ``/crawl`` again, then SIGTERM while that crawl runs: time until the process has exited, its exit code,
   and whether any crawl run was left ``running``.
Prints a table and writes DIR/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_parse import build  # noqa: E402
from sqlmodel import select  # noqa: E402

from alertbot import db  # noqa: E402
from alertbot.models import CrawlRun, Role, Subscriber  # noqa: E402
from alertbot.settings import Settings  # noqa: E402
from alertbot.sources import CATALOGUE  # noqa: E402
from tests.bot.standin import BotStandIn  # noqa: E402

STAFF = 901


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def round_trip(api: BotStandIn) -> float:
    started = time.monotonic()
    replies = api.ask(STAFF, "/whoami", lang="en")
    return replies[-1].received_at - started


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(values),
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "max_ms": 1000 * ordered[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="XML size of the crawled file (MB).")
    parser.add_argument("--samples", type=int, default=20, help="/whoami round trips per phase.")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "service")
    options = parser.parse_args()

    path, xml_bytes, case_files = build(options.mb)
    out = options.out
    if out.exists():
        for old in out.glob("alertbot.sqlite*"):
            old.unlink()
    out.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{out / 'alertbot.sqlite'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTBOT_")}
    env.update(
        ALERTBOT_DATABASE_URL=url,
        ALERTBOT_DATA_DIR=str(out / "data"),
        ALERTBOT_OUTBOX_DIR=str(out / "outbox"),
        ALERTBOT_CRAWL_TIMEOUT="900",
    )
    settings = Settings(database_url=url, data_dir=out / "data", outbox_dir=out / "outbox")
    db.upgrade(url)
    factory = db.session_factory(settings)
    with db.transaction(factory) as session:
        session.add(
            Subscriber(
                name="centre",
                role=Role.STAFF.value,
                telegram_user_id=STAFF,
                channels={"telegram": str(STAFF)},
            )
        )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(path.parent)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    file_url = f"http://127.0.0.1:{httpd.server_address[1]}/{path.name}"
    cli = [str(Path(sys.executable).parent / "alertbot")]
    for name in [*CATALOGUE, "cieme-2026", "giic-2026"]:
        if name != "uspto_tm_daily":
            subprocess.run([*cli, "sources", "pause", name], env=env, check=True, capture_output=True)
    subprocess.run(
        [*cli, "sources", "set-url", "uspto_tm_daily", file_url], env=env, check=True, capture_output=True
    )

    log = out / "run.log"
    results: dict[str, object] = {"xml_mb": xml_bytes / 1e6, "case_files": case_files}
    with BotStandIn() as api:
        env.update(ALERTBOT_TELEGRAM_TOKEN=api.token, ALERTBOT_TELEGRAM_BASE_URL=api.base_url)
        with log.open("wb") as sink:
            process = subprocess.Popen([*cli, "run"], env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            while not api.calls("getUpdates"):
                time.sleep(0.1)
            round_trip(api)  # warm-up: first handler call, session, templates
            idle = [round_trip(api) for _ in range(options.samples)]

            def finished() -> int:
                return log.read_text(errors="replace").count("crawl of uspto_tm_daily finished")

            crawl_started = time.monotonic()
            api.ask(STAFF, "/crawl uspto_tm_daily", lang="en")
            busy: list[float] = []
            while not finished():
                busy.append(round_trip(api))
                time.sleep(0.2)
            crawl_s = time.monotonic() - crawl_started
            with factory() as session:
                run = session.exec(select(CrawlRun).order_by(CrawlRun.id.desc())).first()  # type: ignore[union-attr]
            results.update(
                idle=summary(idle),
                during_crawl=summary(busy),
                crawl_wall_s=crawl_s,
                crawl_status=run.status if run else None,
                records_seen=run.records_seen if run else None,
            )

            api.ask(STAFF, "/crawl uspto_tm_daily", lang="en")
            deadline = time.monotonic() + 120

            def running() -> bool:
                with factory() as session:
                    return bool(session.exec(select(CrawlRun).where(CrawlRun.status == "running")).first())

            # SIGTERM once the second crawl is storing records (its run is open), the hardest moment to stop.
            while not running() and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1.0)
        finally:
            stop = time.monotonic()
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
            results["sigterm_exit_s"] = time.monotonic() - stop
            results["exit_code"] = code
            httpd.shutdown()
    with factory() as session:
        runs = session.exec(select(CrawlRun)).all()
    results["runs"] = [run.status for run in runs]
    results["left_running"] = sum(run.status == "running" for run in runs)
    idle_p50 = results["idle"]["p50_ms"]  # type: ignore[index]
    busy_p50 = results["during_crawl"]["p50_ms"]  # type: ignore[index]
    results["p50_ratio_during_vs_idle"] = busy_p50 / idle_p50
    print(
        f"file: {results['xml_mb']:.0f} MB XML, {case_files} case files; crawl {results['crawl_wall_s']:.1f} s "
        f"({results['crawl_status']}, {results['records_seen']} records)"
    )
    print("| /whoami round trip | n | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    for label, key in (("idle service (baseline)", "idle"), ("during the crawl", "during_crawl")):
        row = results[key]
        print(f"| {label} | {row['n']} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | {row['max_ms']:.0f} |")  # type: ignore[index]
    print(f"p50 during / idle = {results['p50_ratio_during_vs_idle']:.2f}")
    print(
        f"SIGTERM mid-crawl: exit {results['exit_code']} after {results['sigterm_exit_s']:.1f} s; "
        f"runs {results['runs']}, left running {results['left_running']}"
    )
    (out / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
