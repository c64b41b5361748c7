"""Gazette parsing benchmark: the uspto_tm_daily spider's parse against a bare lxml iterparse loop.

Builds a daily-style ``apcYYMMDD.zip`` of at least ``--mb`` MB of XML (default 520) by repeating the real
case files of the shared USPTO sample with new serial numbers (in their original IB/NA/TX groups, so the
filter sees the same mix of kept and skipped records), then, in the same run and on the same file:

* **bare**  – ``lxml.etree.iterparse(zip member, tag="case-file")`` + clear + delete previous siblings,
  reading nothing: the floor any streaming parser pays;
* **spider** – ``UsptoTmDailySpider().parse_source(path)``: the spider's real parse (hardened stream,
  filter, field extraction, RecordIn validation, dedupe window), all records consumed.

Each runs in its own child process so peak RSS (``ru_maxrss``) is measured per approach. Both are
single-threaded and CPU-bound, so throughput is computed from each child's CPU time (``process_time``):
wall time on a shared machine measures the neighbours too (it is printed alongside). Reports case files/s
and MB/s (uncompressed XML), the spider/bare throughput ratio (target >= 0.70) and peak RSS (target < 300 MB).

    .venv/bin/python bench/bench_parse.py [--mb 520] [--repeat 1] [--json bench/out/parse.json]

The file goes to bench/out (gitignored) and is reused when it already has the requested size.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
SAMPLE = REPO / "tests" / "fixtures" / "uspto_tm_daily" / "uspto-tm-daily.sample.xml"
FILE_NAME = "apc240925"


def build(target_mb: int) -> tuple[Path, int, int]:
    """Write bench/out/apc240925.zip; return (path, uncompressed XML bytes, case files)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{FILE_NAME}.zip"
    meta = OUT / f"{FILE_NAME}.json"
    if path.exists() and meta.exists():
        info = json.loads(meta.read_text())
        if info["xml_bytes"] >= target_mb * 1_000_000:
            return path, info["xml_bytes"], info["case_files"]
    text = SAMPLE.read_text(encoding="utf-8")
    prolog = text[: text.index("<file-segments>") + len("<file-segments>")]
    epilog = text[text.index("</file-segments>") :]
    groups: dict[str, list[str]] = {}
    for group in re.finditer(
        r"<action-keys>\s*<action-key>(\w+)</action-key>(.*?)</action-keys>", text, re.S
    ):
        groups.setdefault(group.group(1), []).extend(
            re.findall(r"<case-file>.*?</case-file>", group.group(2), re.S)
        )
    per_round = sum(len(c.encode()) for cases in groups.values() for c in cases)
    rounds = target_mb * 1_000_000 // per_round + 1
    serial = 10_000_000
    written = 0
    count = 0
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open(f"{FILE_NAME}.xml", "w", force_zip64=True) as member,
    ):

        def emit(chunk: str) -> None:
            nonlocal written
            data = chunk.encode()
            member.write(data)
            written += len(data)

        emit(prolog + "\n            <file-segment>TRMK</file-segment>\n")
        for key, cases in groups.items():
            emit(f"            <action-keys>\n                <action-key>{key}</action-key>\n")
            buffer = []
            for _ in range(rounds):
                for case in cases:
                    serial += 1
                    count += 1
                    buffer.append(
                        re.sub(
                            r"<serial-number>\d+</serial-number>",
                            f"<serial-number>{serial}</serial-number>",
                            case,
                            count=1,
                        )
                    )
                if len(buffer) >= 500:
                    emit("\n".join(buffer))
                    buffer.clear()
            emit("\n".join(buffer) + "\n            </action-keys>\n")
        emit(epilog)
    meta.write_text(json.dumps({"xml_bytes": written, "case_files": count}))
    return path, written, count


def run_bare(path: Path) -> dict[str, float]:
    """The floor: iterparse the zip member, clear, delete previous siblings."""
    from lxml import etree

    started, cpu_started = time.perf_counter(), time.process_time()
    count = 0
    with zipfile.ZipFile(path) as archive, archive.open(f"{FILE_NAME}.xml") as stream:
        for _event, element in etree.iterparse(
            stream, events=("end",), tag="case-file", resolve_entities=False, no_network=True, load_dtd=False
        ):
            count += 1
            element.clear(keep_tail=True)
            parent = element.getparent()
            while element.getprevious() is not None:
                del parent[0]
    return {
        "seconds": time.process_time() - cpu_started,
        "wall_seconds": time.perf_counter() - started,
        "case_files": count,
        "records": 0,
    }


def run_spider(path: Path) -> dict[str, float]:
    """The spider's own parse of the same file, consuming every yielded record."""
    sys.path.insert(0, str(REPO))
    from spiders.uspto_tm_daily import UsptoTmDailySpider

    spider = UsptoTmDailySpider()
    started, cpu_started = time.perf_counter(), time.process_time()
    records = 0
    for _item in spider.parse_source(path, path.name):
        records += 1
    return {
        "seconds": time.process_time() - cpu_started,
        "wall_seconds": time.perf_counter() - started,
        "case_files": spider.tally["case_files"],
        "records": records,
    }


def child(kind: str, path: Path) -> None:
    """Run one approach and print its figures with this process's peak RSS."""
    result = run_bare(path) if kind == "bare" else run_spider(path)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(kind: str, path: Path) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--path", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mb", type=int, default=520, help="Minimum uncompressed XML size in MB (default 520)."
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="Alternating runs per approach; best is reported."
    )
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    parser.add_argument("--child", choices=["bare", "spider"], help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.path)
        return

    started = time.perf_counter()
    path, xml_bytes, case_files = build(args.mb)
    print(
        f"file: {path} – {xml_bytes / 1e6:,.0f} MB XML, {path.stat().st_size / 1e6:,.1f} MB zipped, "
        f"{case_files:,} case files (built/reused in {time.perf_counter() - started:.1f} s)"
    )
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.repeat):
        for kind in ("bare", "spider"):
            result = measure(kind, path)
            if kind not in best or result["seconds"] < best[kind]["seconds"]:
                best[kind] = result
    mb = xml_bytes / 1e6
    report = {}
    for kind, result in best.items():
        report[kind] = {
            **result,
            "case_files_per_s": result["case_files"] / result["seconds"],
            "records_yielded_per_s": result["records"] / result["seconds"],
            "mb_per_s": mb / result["seconds"],
        }
        print(
            f"{kind:>6}: {result['seconds']:6.2f} s CPU ({result['wall_seconds']:.2f} s wall)  "
            f"{report[kind]['case_files_per_s']:9,.0f} case files/s  "
            f"{report[kind]['mb_per_s']:6.1f} MB/s  records yielded {int(result['records']):,}  "
            f"peak RSS {result['peak_rss_mb']:.0f} MB"
        )
    ratio = best["bare"]["seconds"] / best["spider"]["seconds"]
    print(
        f"spider throughput = {ratio:.0%} of the bare iterparse loop (target >= 70%); "
        f"spider peak RSS {best['spider']['peak_rss_mb']:.0f} MB (target < 300 MB)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"xml_mb": mb, "case_files": case_files, "ratio": ratio, **report}, indent=2)
        )


if __name__ == "__main__":
    main()
