"""Migration 0005 keeps existing enterprise subscribers bound to their enterprise and widens Telegram ids, on
SQLite and PostgreSQL."""

from __future__ import annotations

import json

import sqlalchemy as sa

from alertbot import db
from alertbot.settings import Settings


def test_0005_backfills_enterprise_ids_and_stores_64_bit_telegram_ids(any_settings: Settings) -> None:
    url = any_settings.resolved_database_url()
    db.upgrade(url, "0004")
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO enterprise (id, name_zh, name_en, marks, classes, affiliates, markets, contacts, active)"
                " VALUES ('acme', '', 'ACME', '[]', '[]', '[]', '[]', '[]', true)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO subscriber (name, role, enterprise_id, language, min_risk, digest, digest_time,"
                " channels, active) VALUES ('old', 'enterprise', 'acme', 'zh', 'low', 'instant', '08:30', '{}', true),"
                " ('boss', 'staff', NULL, 'zh', 'low', 'instant', '08:30', '{}', true)"
            )
        )
    db.upgrade(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE subscriber SET telegram_user_id = 5000000000 WHERE name = 'boss'"))
        rows = conn.execute(
            sa.text("SELECT name, enterprise_ids, telegram_user_id FROM subscriber ORDER BY name")
        ).all()
    engine.dispose()
    db.dispose_engine(url)
    decoded = [(name, ids if isinstance(ids, list) else json.loads(ids), tg) for name, ids, tg in rows]
    assert decoded == [("boss", [], 5000000000), ("old", ["acme"], None)]
