"""A database seeded with a known month, so the report's figures can be checked against hand counts.

Period 2026-10 (Asia/Shanghai). "as of" (the report's today) is 2026-11-05, so the 30-day deadline window is
2026-11-05 .. 2026-12-05 inclusive. Hand counts (see EXPECTED) follow from the rows below.

| # | ent  | office/show | country | risk   | status    | triage h | applicant                  | deadline   |
|---|------|-------------|---------|--------|-----------|----------|----------------------------|------------|
| 1 | acme | US          | CN      | high   | confirmed | 2        | Copycat Trading Ltd        | 2026-11-15 |
| 2 | acme | US          | CN      | high   | dismissed | 4        | COPYCAT TRADING LIMITED    |            |
| 3 | acme | EM          | CN      | medium | escalated | 6        | Copycat Trading Co., Ltd.  |            |
| 4 | acme | KR          | KR      | medium | new       |          | Kim Holdings               |            |
| 5 | acme | CIEME show  | CN      | low    | confirmed | 8        | (exhibitor E2 / A320)      |            |
| 6 | acme | US          | US      | low    | new       |          | @SUM(A1) (mark "=HYPERLINK…") | 2026-11-20 |
| 7 | beta | US          | CN      | high   | confirmed | 10       | Copycat Trading Ltd        |            |
| 8 | beta | EM          | DE      | low    | new       |          | Muster GmbH                | 2026-12-06 |
| 9 | beta | CIEME show  | (none)  | medium | dismissed | 20       | (exhibitor E3 / B101)      |            |
|10 | beta | US          | CN      | medium | new       |          | Shenzhen Betacopy Co       | 2026-12-05 |
|11 | acme | JP          | JP      | low    | new       |          | Nippon Mimic KK            | 2026-11-04 |  (2026-10-01 00:30 local)
|12 | acme | US          | CN      | low    | new       |          | Sept Filer Ltd             | 2026-11-25 |  (2026-09-30 23:30 local: September)
|13 | beta | US          | CN      | high   | new       |          | Late Filer Ltd             |            |  (November)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from alertbot.alerting import applicant_key
from alertbot.db import SessionFactory, transaction
from alertbot.models import Alert, AuditLog, CrawlRun, Enterprise, Record

BEIJING = ZoneInfo("Asia/Shanghai")
PERIOD = "2026-10"
AS_OF = dt.date(2026, 11, 5)
EVIL_MARK = '=HYPERLINK("http://evil.example/steal","click me")'
EVIL_APPLICANT = "@SUM(A1)"
MARKUP_MARK = "ACME <script>alert(1)</script> | [win](javascript:alert(1)) **x**"
SHOW = "CIEME 2026 中国国际装备制造业博览会"
# The link the USPTO spider stores: an official register, so the markdown report makes it clickable.
TSDR_URL = "https://tsdr.uspto.gov/#caseNumber={serial}&caseType=SERIAL_NO&searchType=statusSearch"


@dataclass(frozen=True)
class Row:
    number: int
    enterprise: str
    office: str | None  # None for exhibitors
    country: str | None
    risk: str
    status: str
    triage_hours: float | None
    applicant: str
    deadline: dt.date | None
    created: dt.datetime  # local time
    text: str = ""
    hall: str | None = None
    booth: str | None = None


def _local(day: int, hour: int = 10, minute: int = 0, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BEIJING)


ROWS: tuple[Row, ...] = (
    Row(
        1, "acme", "US", "CN", "high", "confirmed", 2, "Copycat Trading Ltd", dt.date(2026, 11, 15), _local(3)
    ),
    Row(2, "acme", "US", "CN", "high", "dismissed", 4, "COPYCAT TRADING LIMITED", None, _local(5)),
    Row(3, "acme", "EM", "CN", "medium", "escalated", 6, "Copycat Trading Co., Ltd.", None, _local(7)),
    Row(4, "acme", "KR", "KR", "medium", "new", None, "Kim Holdings", None, _local(9), text=MARKUP_MARK),
    Row(
        5,
        "acme",
        None,
        "CN",
        "low",
        "confirmed",
        8,
        "ACME智能装备",
        None,
        _local(12),
        hall="E2",
        booth="A320",
    ),
    Row(
        6,
        "acme",
        "US",
        "US",
        "low",
        "new",
        None,
        EVIL_APPLICANT,
        dt.date(2026, 11, 20),
        _local(14),
        text=EVIL_MARK,
    ),
    Row(7, "beta", "US", "CN", "high", "confirmed", 10, "Copycat Trading Ltd", None, _local(15)),
    Row(8, "beta", "EM", "DE", "low", "new", None, "Muster GmbH", dt.date(2026, 12, 6), _local(18)),
    Row(
        9,
        "beta",
        None,
        None,
        "medium",
        "dismissed",
        20,
        "北塔仿冒电子",
        None,
        _local(20),
        hall="E3",
        booth="B101",
    ),
    Row(
        10,
        "beta",
        "US",
        "CN",
        "medium",
        "new",
        None,
        "Shenzhen Betacopy Co",
        dt.date(2026, 12, 5),
        _local(25),
    ),
    Row(
        11, "acme", "JP", "JP", "low", "new", None, "Nippon Mimic KK", dt.date(2026, 11, 4), _local(1, 0, 30)
    ),
    Row(
        12,
        "acme",
        "US",
        "CN",
        "low",
        "new",
        None,
        "Sept Filer Ltd",
        dt.date(2026, 11, 25),
        _local(30, 23, 30, 9),
    ),
    Row(13, "beta", "US", "CN", "high", "new", None, "Late Filer Ltd", None, _local(2, 9, 0, 11)),
)
OCTOBER = tuple(row for row in ROWS if row.created.month == 10)
BETA_ONLY_STRINGS = (
    "BETA电子",
    "Muster GmbH",
    "Shenzhen Betacopy",
    "北塔仿冒电子",
    "B101",
)


def seed(factory: SessionFactory) -> dict[int, int]:
    """Store the rows above (enterprises, records, alerts, triage audit entries, crawl runs); returns
    row number -> alert id."""
    ids: dict[int, int] = {}
    with transaction(factory) as session:
        session.add(Enterprise(id="acme", name_zh="ACME机械", name_en="ACME Machinery", marks=["ACME"]))
        session.add(Enterprise(id="beta", name_zh="BETA电子", name_en="Beta Electronics", marks=["BETA"]))
        session.flush()
        for row in ROWS:
            mark = row.enterprise.upper()
            exhibitor = row.office is None
            record = Record(
                source_key="cieme-2026" if exhibitor else f"{row.office.lower()}-tm",
                native_id=f"n{row.number}",
                kind="exhibitor" if exhibitor else "trademark",
                text=row.text or (row.applicant if exhibitor else f"{mark} {row.number}"),
                applicant=row.applicant,
                applicant_country=row.country,
                office=None if exhibitor else row.office,
                opposition_end=row.deadline,
                hall=row.hall,
                booth=row.booth,
                raw={"show": SHOW, "name_raw": row.applicant} if exhibitor else {},
                url=(
                    TSDR_URL.format(serial=f"9{row.number:07d}")
                    if row.office == "US"
                    else f"https://example.test/{row.number}"  # not an official register: printed inert
                ),
            )
            session.add(record)
            session.flush()
            created = row.created.astimezone(dt.UTC)
            alert = Alert(
                record_id=record.id,  # type: ignore[arg-type]
                enterprise_id=row.enterprise,
                risk=row.risk,
                status=row.status,
                mark=mark,
                variant=mark,
                applicant_key=applicant_key(row.applicant),
                created_at=created,
                updated_at=created,
            )
            session.add(alert)
            session.flush()
            assert alert.id is not None
            ids[row.number] = alert.id
            if row.triage_hours is not None:
                action = {"confirmed": "confirm", "dismissed": "dismiss", "escalated": "escalate"}[row.status]
                session.add(
                    AuditLog(
                        at=created + dt.timedelta(hours=row.triage_hours),
                        actor="staff:test",
                        action=f"alert.{action}",
                        entity_type="alert",
                        entity_id=str(alert.id),
                        before={"status": "new"},
                        after={"status": row.status},
                    )
                )
                # A later change of mind does not move the first triage time.
                session.add(
                    AuditLog(
                        at=created + dt.timedelta(hours=row.triage_hours + 100),
                        actor="staff:test",
                        action="alert.escalate" if row.status != "escalated" else "alert.confirm",
                        entity_type="alert",
                        entity_id=str(alert.id),
                    )
                )
        runs = [
            ("us-tm", "ok", 100, 10, 0, 0, _local(2)),
            ("us-tm", "ok", 50, 5, 1, 0, _local(9)),
            ("us-tm", "error", 0, 0, 0, 1, _local(16)),
            ("kipris", "partial", 20, 20, 2, 2, _local(20)),
            ("kipris", "ok", 999, 999, 0, 0, _local(28, 10, 0, 9)),  # September: not counted
        ]
        for source, status, seen, new, quarantined, errors, started in runs:
            session.add(
                CrawlRun(
                    source_key=source,
                    spider=source,
                    started_at=started.astimezone(dt.UTC),
                    finished_at=started.astimezone(dt.UTC) + dt.timedelta(minutes=5),
                    status=status,
                    records_seen=seen,
                    records_new=new,
                    quarantined=quarantined,
                    errors=errors,
                    error_detail="HTTP 503 from gazette server" if status == "error" else None,
                )
            )
    return ids
