#!/usr/bin/env python3
"""The Telegram bot under load: 50 simulated users at once through the Bot API stand-in, and /check latency
against a 10,000-mark watchlist, with the matching step of ``alertbot match --explain`` as the baseline.

usage: bench/bench_bot.py [--users 50] [--checks 20] [--out DIR]

1. Generates ``gen_scale.py``'s watchlist with at least 10,000 marks under DIR (kept between runs), imports
   it into a fresh SQLite database and registers the users: 30 enforcement, 10 enterprise, 10 staff.
2. Starts the stand-in and a real ``alertbot bot`` process polling it; one warm-up /check builds the index.
3. Every user, in its own thread, sends its first command at the same instant (the burst), then the rest
   with a pause of --think MIN MAX seconds between two of their commands (people type): enforcement users send ``--checks`` /check commands
   (exact marks, which must name an enterprise owning the mark, and made-up names, which must name none);
   enterprise users /whoami, /mywatch, /alerts; staff /stats, /users, /watch show. Every reply is checked.
   /check latency = the stand-in's receipt of the reply minus the moment the update was queued.
4. Baseline, same run: the matching step of ``alertbot match --explain NAME`` — ``Matcher.explain`` on the
   same names against the same watchlist, in this process (index compiled beforehand, as the bot's is).
Prints a table and writes DIR/results.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from alertbot import db  # noqa: E402
from alertbot.db import transaction  # noqa: E402
from alertbot.matching import Candidate, Matcher  # noqa: E402
from alertbot.models import Role, Subscriber  # noqa: E402
from alertbot.settings import Settings  # noqa: E402
from alertbot.watchlist import apply_watchlist, read_watchlist  # noqa: E402
from tests.bot.standin import BotStandIn  # noqa: E402

SHARED_BENCH = REPO.parent / "shared" / "bench"
MIN_MARKS = 10_000
MADE_UP = ["Qorvexi Pumps", "Blorptan", "Wexquil Dynamics", "Frandomix", "Zyphora Valves", "Tromblex"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def watchlist(out: Path) -> Path:
    path = out / "watchlist.csv"
    if path.exists():
        return path
    enterprises = 4_800
    while True:
        subprocess.run(
            [
                sys.executable,
                str(SHARED_BENCH / "gen_scale.py"),
                "--records",
                "1000",
                "--enterprises",
                str(enterprises),
                str(out / "gen"),
            ],
            check=True,
            capture_output=True,
        )
        rows = list(csv.DictReader((out / "gen" / "watchlist.csv").open(encoding="utf-8")))
        if sum(len([m for m in r["marks"].split("|") if m]) for r in rows) >= MIN_MARKS:
            break
        enterprises += 50
    (out / "gen" / "watchlist.csv").replace(path)
    return path


class User(threading.Thread):
    """One simulated person sending commands one after another, checking each reply."""

    def __init__(
        self, api: BotStandIn, user_id: int, script: list[tuple[str, object]], think: tuple[float, float]
    ) -> None:
        super().__init__(daemon=True)
        self.api, self.user_id, self.script, self.think = api, user_id, script, think
        self.rng = random.Random(user_id)
        self.first_latency = 0.0
        self.check_latencies: list[float] = []
        self.other_latencies: list[float] = []
        self.errors: list[str] = []
        self.start_gate = threading.Event()

    def run(self) -> None:
        self.start_gate.wait()
        for number, (text, expect) in enumerate(self.script):
            if number and self.think[1] > 0:
                time.sleep(self.rng.uniform(*self.think))
            start = self.api.request_count()
            sent = time.monotonic()
            self.api.push_text(self.user_id, text, lang="en")
            try:
                [reply] = self.api.wait_replies(start, self.user_id, count=1, timeout=60)
            except AssertionError as error:
                self.errors.append(f"{self.user_id} {text!r}: {error}")
                continue
            latency = reply.received_at - sent
            if number == 0:
                self.first_latency = latency
            (self.check_latencies if text.startswith("/check") else self.other_latencies).append(latency)
            body = reply.params.get("text", "")
            ok = expect(body) if callable(expect) else str(expect) in body
            if not ok:
                self.errors.append(f"{self.user_id} {text!r}: unexpected reply {body[:200]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--checks", type=int, default=20, help="/check commands per enforcement user")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "bot")
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(0.5, 2.0),
        metavar=("MIN", "MAX"),
        help="seconds a user waits between two of their commands (0 0: fire back to back, a stress test)",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = read_watchlist(watchlist(args.out))
    marks = sum(len(r.marks) for r in rows)
    owners: dict[str, set[str]] = {}
    for row in rows:
        for mark in row.marks:
            owners.setdefault(mark, set()).add(row.id)

    database = args.out / "bench.sqlite"
    database.unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    settings = Settings(database_url=url, data_dir=args.out / "data")
    db.upgrade(url)
    factory = db.session_factory(settings)
    with transaction(factory) as session:
        apply_watchlist(session, rows, actor="bench")
    n_enforcement = args.users * 3 // 5
    n_enterprise = args.users // 5
    roles = [Role.ENFORCEMENT] * n_enforcement + [Role.ENTERPRISE] * n_enterprise
    roles += [Role.STAFF] * (args.users - len(roles))
    with transaction(factory) as session:
        for index, role in enumerate(roles):
            enterprise = rows[index].id if role == Role.ENTERPRISE else None
            session.add(
                Subscriber(
                    name=f"bench{index}",
                    role=role.value,
                    enterprise_id=enterprise,
                    enterprise_ids=[enterprise] if enterprise else [],
                    language="en",
                    telegram_user_id=700_000 + index,
                    channels={"telegram": str(700_000 + index)},
                )
            )

    rng = random.Random(12)
    mark_pool = sorted(owners)
    scripts: list[list[tuple[str, object]]] = []
    check_names: list[str] = []
    for index, role in enumerate(roles):
        if role == Role.ENFORCEMENT:
            script: list[tuple[str, object]] = []
            for _ in range(args.checks):
                if rng.random() < 0.8:
                    mark = rng.choice(mark_pool)
                    wanted = owners[mark]
                    script.append((f"/check {mark}", lambda body, w=wanted: any(f"({i})" in body for i in w)))
                    check_names.append(mark)
                else:
                    name = rng.choice(MADE_UP)
                    script.append((f"/check {name}", "No watched enterprise matches"))
                    check_names.append(name)
        elif role == Role.ENTERPRISE:
            script = [("/whoami", rows[index].id), ("/mywatch", rows[index].id), ("/alerts", "No alerts yet")]
        else:
            script = [
                ("/stats", f"Watched enterprises: {len(rows)}"),
                ("/users", "Users"),
                ("/watch show e00001", "e00001"),
            ]
        scripts.append(script)

    # Baseline in the same run: the matching step of `alertbot match --explain` (Matcher.explain).
    matcher = Matcher([row.to_watch() for row in rows])
    explain_times = []
    for name in check_names:
        begin = time.perf_counter()
        matcher.explain(Candidate(id="explain", kind="trademark", text=name))
        explain_times.append(time.perf_counter() - begin)
    cli_begin = time.perf_counter()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "alertbot"),
            "match",
            "--watchlist",
            str(args.out / "watchlist.csv"),
            "--explain",
            check_names[0],
        ],
        check=True,
        capture_output=True,
    )
    cli_wall = time.perf_counter() - cli_begin

    with BotStandIn() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTBOT_")}
        env.update(
            ALERTBOT_DATABASE_URL=url,
            ALERTBOT_DATA_DIR=str(args.out / "data"),
            ALERTBOT_TELEGRAM_TOKEN=api.token,
            ALERTBOT_TELEGRAM_BASE_URL=api.base_url,
        )
        log = (args.out / "bot.log").open("wb")
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "alertbot"), "bot"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            while not api.calls("getUpdates"):
                if process.poll() is not None:
                    raise SystemExit("the bot did not start; see bench/out/bot/bot.log")
                time.sleep(0.05)
            warm = time.monotonic()
            start = api.request_count()
            api.push_text(700_000, f"/check {mark_pool[0]}", lang="en")
            api.wait_replies(start, 700_000, timeout=120)
            build = time.monotonic() - warm
            users = [User(api, 700_000 + i, script, tuple(args.think)) for i, script in enumerate(scripts)]
            for user in users:
                user.start()
            cpu_before = process_cpu(process.pid)
            began = time.monotonic()
            for user in users:
                user.start_gate.set()
            for user in users:
                user.join()
            wall = time.monotonic() - began
            bot_cpu = process_cpu(process.pid) - cpu_before
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=30)
            log.close()

    checks = [x for u in users for x in u.check_latencies]
    others = [x for u in users for x in u.other_latencies]
    errors = [e for u in users for e in u.errors]
    result = {
        "users": args.users,
        "watchlist_entries": len(rows),
        "marks": marks,
        "commands": len(checks) + len(others),
        "wrong_or_missing_replies": len(errors),
        "bot_exit_code": code,
        "think_s": list(args.think),
        "wall_s": round(wall, 2),
        "commands_per_s": round((len(checks) + len(others)) / wall, 1),
        "bot_cpu_ms_per_command": round(bot_cpu * 1000 / max(1, len(checks) + len(others)), 1),
        "load_average_1min": os.getloadavg()[0],
        "burst_first_command_max_ms": round(max(u.first_latency for u in users) * 1000, 1),
        "index_build_first_check_s": round(build, 2),
        "check_p50_ms": round(statistics.median(checks) * 1000, 1),
        "check_p95_ms": round(percentile(checks, 0.95) * 1000, 1),
        "other_p50_ms": round(statistics.median(others) * 1000, 1),
        "other_p95_ms": round(percentile(others, 0.95) * 1000, 1),
        "explain_step_p50_ms": round(statistics.median(explain_times) * 1000, 2),
        "explain_step_p95_ms": round(percentile(explain_times, 0.95) * 1000, 2),
        "explain_cli_wall_s": round(cli_wall, 2),
    }
    (args.out / "results.json").write_text(json.dumps({**result, "errors": errors[:20]}, indent=1))
    print("| measure | value |\n|---|---|")
    for key, value in result.items():
        print(f"| {key} | {value} |")
    for error in errors[:10]:
        print("ERROR", error)
    if errors or code != 0:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
