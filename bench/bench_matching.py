#!/usr/bin/env python3
"""Speed, memory and recall of ``alertbot match`` at gazette scale, against an exhaustive cdist baseline.

usage: bench/bench_matching.py [--records N] [--out DIR] [--workers W] [--chunk ROWS] [--repeat R]

1. Generates ``gen_scale.py``'s set (N records, about 10,000 watched marks) under DIR (kept between runs).
2. Runs the real CLI, ``alertbot match --watchlist … --records … --out …``, in a subprocess: wall time
   (load, normalise, score, write). The peak memory (PSS) of its process tree is sampled from /proc in one
   more run of its own, never in a timed one: reading ``smaps_rollup`` costs the kernel about 20 ms per
   process of this size, so sampling three processes ten times a second took more than half a core from
   the two the timed run had (the baseline was never sampled).
3. In the same run, the baseline: one exhaustive ``rapidfuzz.process.cdist(texts, marks, scorer=fuzz.ratio,
   processor=None, workers=-1, dtype=uint8)`` pass, chunked over the records to bound memory.
4. Scores the alerts with ``eval_matching.py`` (recall of the planted variants).
5. Times the index compile alone (``Matcher(watches)``) in a fresh process.
With --repeat R the match and baseline runs alternate R times and medians are reported (the machine may be
shared). Prints a table with ratios and writes DIR/results.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

REPO = Path(__file__).resolve().parents[1]
SHARED_BENCH = REPO.parent / "shared" / "bench"


def tree_memory_bytes(pid: int) -> int:
    """Proportional set size (PSS) of a process and all its descendants, from /proc.

    PSS splits pages shared by forked workers between them, so the sum is the real footprint (summing RSS
    would count the copy-on-write index once per worker).
    """
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup", encoding="ascii") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    stack.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def run_cli(
    watchlist: Path,
    records: Path,
    out: Path,
    workers: int,
    data_dir: Path,
    *,
    cache: bool,
    sample_memory: bool = False,
) -> tuple[float, int]:
    """Wall seconds and, with ``sample_memory``, peak process-tree memory (PSS; else 0) of one ``alertbot
    match`` run: with ``cache`` the compiled watchlist index is read from ``data_dir``/cache (warm), else
    compiled afresh (cold)."""
    command = [
        sys.executable,
        "-c",
        "from alertbot.cli import main; main()",
        "match",
        "--watchlist",
        str(watchlist),
        "--records",
        str(records),
        "--out",
        str(out),
        "--workers",
        str(workers),
        "--cache" if cache else "--no-cache",
    ]
    env = {**os.environ, "ALERTBOT_DATA_DIR": str(data_dir)}
    peak = 0
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_memory_bytes(child.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    if sample_memory:
        sampler.start()
    _, stderr = child.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    if sample_memory:
        sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"alertbot match failed ({child.returncode}):\n{stderr}")
    return elapsed, peak


def baseline_cdist(records: Path, watchlist: Path, chunk: int) -> tuple[float, int, int]:
    """Seconds of one exhaustive cdist(fuzz.ratio) pass over every record text × every mark."""
    with records.open(encoding="utf-8") as handle:
        texts = [json.loads(line).get("text") or "" for line in handle]
    with watchlist.open(encoding="utf-8", newline="") as handle:
        marks = [m for row in csv.DictReader(handle) for m in row["marks"].split("|") if m]
    seconds = 0.0
    for start in range(0, len(texts), chunk):
        part = texts[start : start + chunk]
        began = time.perf_counter()
        process.cdist(part, marks, scorer=fuzz.ratio, processor=None, workers=-1, dtype=np.uint8)
        seconds += time.perf_counter() - began
    return seconds, len(texts), len(marks)


_COMPILE_SNIPPET = """
import sys, time
from pathlib import Path
t0 = time.perf_counter()
from alertbot.matching import Matcher
from alertbot.matching.files import read_watches
watches = read_watches(Path(sys.argv[1]))
t1 = time.perf_counter()
Matcher(watches)
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""


def compile_seconds(watchlist: Path) -> tuple[float, float]:
    """(imports + reading the watchlist, compiling the index) in a fresh process: the index compile includes
    loading CC-CEDICT, the glyph table and the word-frequency lists, as a real start-up does."""
    out = subprocess.run(
        [sys.executable, "-c", _COMPILE_SNIPPET, str(watchlist)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout.split()
    return float(out[0]), float(out[1])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "matching")
    parser.add_argument("--workers", type=int, default=0, help="alertbot match --workers (0 = every core)")
    parser.add_argument("--chunk", type=int, default=10_000, help="records per cdist call (bounds memory)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="alternate match and baseline runs; report medians"
    )
    args = parser.parse_args()

    data = args.out / f"scale-{args.records}"
    if not (data / "labels.jsonl").is_file():
        subprocess.run(
            [sys.executable, str(SHARED_BENCH / "gen_scale.py"), str(data), "--records", str(args.records)],
            check=True,
        )
    watchlist, records, labels = data / "watchlist.csv", data / "records.jsonl", data / "labels.jsonl"
    alerts = data / "alerts.jsonl"

    # Alternate the two measurements so that load from other processes on the machine hits both alike.
    # Cold runs compile the watchlist (--no-cache); warm runs read the index that the first warm run's
    # predecessor stored under data_dir/cache, as a service re-crawling over an unchanged watchlist does.
    data_dir = args.out / "data"
    shutil.rmtree(data_dir / "cache", ignore_errors=True)
    run_cli(watchlist, records, alerts, args.workers, data_dir, cache=True)  # stores the index
    match_runs: list[float] = []
    warm_runs: list[float] = []
    cdist_runs: list[float] = []
    for _ in range(args.repeat):
        seconds, _ = run_cli(watchlist, records, alerts, args.workers, data_dir, cache=False)
        match_runs.append(seconds)
        cdist_seconds, n_texts, n_marks = baseline_cdist(records, watchlist, args.chunk)
        cdist_runs.append(cdist_seconds)
        seconds, _ = run_cli(watchlist, records, alerts, args.workers, data_dir, cache=True)
        warm_runs.append(seconds)
    # Memory in a run of its own (cold: the compile's peak included), so that no timed run is sampled.
    _, peak_rss = run_cli(watchlist, records, alerts, args.workers, data_dir, cache=False, sample_memory=True)
    match_seconds, cdist_seconds = statistics.median(match_runs), statistics.median(cdist_runs)
    warm_seconds = statistics.median(warm_runs)
    load_seconds, index_seconds = compile_seconds(watchlist)
    scored = json.loads(
        subprocess.run(
            [sys.executable, str(SHARED_BENCH / "eval_matching.py"), str(labels), str(alerts), "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )

    results = {
        "records": n_texts,
        "marks": n_marks,
        "cpus": os.cpu_count(),
        "alertbot_match_seconds": round(match_seconds, 2),
        "cdist_baseline_seconds": round(cdist_seconds, 2),
        "alertbot_match_runs": [round(x, 2) for x in match_runs],
        "alertbot_match_warm_seconds": round(warm_seconds, 2),
        "alertbot_match_warm_runs": [round(x, 2) for x in warm_runs],
        "ratio_warm_to_baseline": round(warm_seconds / cdist_seconds, 3),
        "cdist_baseline_runs": [round(x, 2) for x in cdist_runs],
        "load_average_after": os.getloadavg()[0],
        "ratio_match_to_baseline": round(match_seconds / cdist_seconds, 3),
        "peak_pss_mb": round(peak_rss / 2**20),
        "imports_and_watchlist_seconds": load_seconds,
        "index_compile_seconds": index_seconds,
        "recall_planted": scored["recall"],
        "recall_by_case": scored["recall_by_case"],
        "precision_indicative": scored["precision"],
    }
    (args.out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(
        f"{n_texts:,} records x {n_marks:,} marks, {os.cpu_count()} CPUs, {args.repeat} run(s) each (medians)"
    )
    print(
        f"runs, s: match cold {[round(x, 1) for x in match_runs]}  warm {[round(x, 1) for x in warm_runs]}"
        f"  cdist {[round(x, 1) for x in cdist_runs]}"
    )
    print(f"{'measure':<44}{'value':>12}{'target':>14}")
    print(f"{'cdist(fuzz.ratio) exhaustive pass, s':<44}{cdist_seconds:>12.1f}{'baseline':>14}")
    print(f"{'alertbot match (load..write), cold index, s':<44}{match_seconds:>12.1f}")
    print(f"{'ratio match / baseline, cold index':<44}{match_seconds / cdist_seconds:>12.3f}{'<= 0.333':>14}")
    print(f"{'alertbot match, index from the cache, s':<44}{warm_seconds:>12.1f}")
    print(
        f"{'ratio match / baseline, cached index':<44}{warm_seconds / cdist_seconds:>12.3f}{'<= 0.333':>14}"
    )
    print(f"{'peak memory of alertbot match (PSS), MB':<44}{peak_rss / 2**20:>12.0f}{'< 2048':>14}")
    print(f"{'index compile (fresh process), s':<44}{index_seconds:>12.2f}{'a few s':>14}")
    print(f"{'recall of planted variants':<44}{scored['recall']:>12.4f}{'>= 0.99':>14}")
    print(f"{'precision (indicative, see gen_scale doc)':<44}{scored['precision']:>12.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
