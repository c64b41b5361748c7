"""Report generation time against a bare baseline on the same alerts, in the same run.

Seeds a fresh SQLite database with N alerts in one month (records, enterprises, triage audit entries, crawl
runs), then times:

* baseline: one SELECT of the month's alerts joined with their records and enterprises, written as a single
  plain openpyxl sheet (the least a spreadsheet of those alerts costs);
* report: ``alertbot.report.generate(formats=("xlsx",))``: every figure, four charts, the full workbook.

    .venv/bin/python bench/bench_report.py --alerts 20000 --repeat 2

Prints CPU and wall seconds (best of ``--repeat``) and the CPU ratio report / baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def seed(n: int) -> None:
    from alertbot import db
    from alertbot.alerting import applicant_key
    from alertbot.models import Alert, AuditLog, CrawlRun, Enterprise, Record
    from alertbot.settings import get_settings

    settings = get_settings()
    db.upgrade(settings.resolved_database_url())
    rng = random.Random(11)
    start = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    enterprises = [f"e{i:03d}" for i in range(60)]
    offices = ["US", "EM", "KR", "JP", "WO", "GB", "AU"]
    countries = ["CN", "US", "KR", "DE", "JP", "SG", "中國", "GB", "IN", "VN"]
    applicants = [f"Filer {i} Trading Ltd" for i in range(n // 4)]
    factory = db.session_factory(settings)
    with db.transaction(factory) as session:
        session.add_all(Enterprise(id=e, name_zh=f"企业{e}", name_en=f"Enterprise {e}") for e in enterprises)
        records = [
            Record(
                source_key=f"{office.lower()}-tm",
                native_id=str(i),
                kind="trademark",
                text=f"MARK {i}",
                applicant=rng.choice(applicants),
                applicant_country=rng.choice(countries),
                office=office,
                opposition_end=dt.date(2026, 11, 1) + dt.timedelta(days=rng.randrange(60)),
            )
            for i, office in ((i, rng.choice(offices)) for i in range(n))
        ]
        session.add_all(records)
        session.flush()
        alerts = []
        for record in records:
            created = start + dt.timedelta(seconds=rng.randrange(30 * 86400))
            alerts.append(
                Alert(
                    record_id=record.id,  # type: ignore[arg-type]
                    enterprise_id=rng.choice(enterprises),
                    risk=rng.choice(["high", "medium", "low"]),
                    status=rng.choice(["new", "confirmed", "dismissed", "escalated"]),
                    mark="MARK",
                    applicant_key=applicant_key(record.applicant),
                    created_at=created,
                    updated_at=created,
                )
            )
        session.add_all(alerts)
        session.flush()
        session.add_all(
            AuditLog(
                at=alert.created_at + dt.timedelta(hours=rng.uniform(0.5, 72)),
                actor="bench",
                action=f"alert.{ {'confirmed': 'confirm', 'dismissed': 'dismiss', 'escalated': 'escalate'}[alert.status] }",
                entity_type="alert",
                entity_id=str(alert.id),
            )
            for alert in alerts
            if alert.status != "new"
        )
        session.add_all(
            CrawlRun(
                source_key=f"{o.lower()}-tm", spider="s", started_at=start + dt.timedelta(days=d), status="ok"
            )
            for o in offices
            for d in range(30)
        )


def baseline(out: Path) -> None:
    from openpyxl import Workbook
    from sqlmodel import col, select

    from alertbot import db
    from alertbot.models import Alert, Enterprise, Record
    from alertbot.settings import get_settings

    settings = get_settings()
    with db.session_factory(settings)() as session:
        rows = session.exec(
            select(Alert, Record, Enterprise)
            .join(Record, col(Record.id) == col(Alert.record_id))
            .join(Enterprise, col(Enterprise.id) == col(Alert.enterprise_id))
            .where(col(Alert.created_at) >= dt.datetime(2026, 9, 30, 16, tzinfo=dt.UTC))
        ).all()
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        for alert, record, enterprise in rows:
            sheet.append(
                [
                    alert.id,
                    enterprise.name_zh,
                    alert.risk,
                    alert.status,
                    record.text,
                    record.applicant,
                    record.office,
                ]
            )
        workbook.save(out / "baseline.xlsx")


def report(out: Path) -> None:
    from alertbot.report import generate
    from alertbot.settings import get_settings

    generate(get_settings(), period="2026-10", out_dir=out, today=dt.date(2026, 11, 5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ALERTBOT_DATA_DIR"] = tmp
        os.environ["ALERTBOT_DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite"
        t0 = time.perf_counter()
        seed(args.alerts)
        print(f"seeded {args.alerts} alerts in {time.perf_counter() - t0:.1f} s")
        report(Path(tmp))  # warm-up: imports, matplotlib font cache, the CJK font's cmap
        # CPU time is the figure to compare on a shared machine (other jobs stretch wall time); both are shown.
        cpu: dict[str, float] = {}
        for name, run in [("baseline", baseline), ("report", report)]:
            best_cpu = best_wall = float("inf")
            for _ in range(args.repeat):
                c0, t0 = time.process_time(), time.perf_counter()
                run(Path(tmp))
                best_cpu = min(best_cpu, time.process_time() - c0)
                best_wall = min(best_wall, time.perf_counter() - t0)
            cpu[name] = best_cpu
            print(f"{name}: {best_cpu:.2f} s CPU, {best_wall:.2f} s wall")
        print(f"ratio report/baseline (CPU): {cpu['report'] / cpu['baseline']:.2f}")


if __name__ == "__main__":
    main()
