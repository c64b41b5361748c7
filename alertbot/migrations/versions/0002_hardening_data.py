"""data never lost, bounded fields (issue 8)

No schema change: the record limits are checked in code from the models (alertbot.ingest.record_problems).
Data: watchlist entries imported before issue 8 may hold line breaks, vertical tabs or hidden characters in
names, marks, affiliates or contacts (they broke e-mail headers and digests); they are cleaned as an import
now would clean them, each change audit-logged (actor ``migration:0002``). Downgrade keeps the cleaned text.

Revision ID: 0002
Revises: 0001
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import alertbot.models  # noqa: F401

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT_FIELDS = ("name_zh", "name_en")
_LIST_FIELDS = ("marks", "affiliates", "contacts")


def upgrade() -> None:
    from alertbot.watchlist import clean_text

    enterprise = sa.table(
        "enterprise",
        sa.column("id", sa.String()),
        *(sa.column(name, sa.String()) for name in _TEXT_FIELDS),
        *(sa.column(name, sa.JSON()) for name in _LIST_FIELDS),
    )
    audit = sa.table(
        "auditlog",
        sa.column("at", alertbot.models.UTCDateTime()),
        sa.column("actor", sa.String()),
        sa.column("action", sa.String()),
        sa.column("entity_type", sa.String()),
        sa.column("entity_id", sa.String()),
        sa.column("before", sa.JSON()),
        sa.column("after", sa.JSON()),
        sa.column("note", sa.String()),
    )
    connection = op.get_bind()
    for row in connection.execute(sa.select(enterprise)).mappings().all():
        changes: dict[str, object] = {}
        for name in _TEXT_FIELDS:
            value = row[name] or ""
            if clean_text(value) != value:
                changes[name] = clean_text(value)
        for name in _LIST_FIELDS:
            values = list(row[name] or [])
            cleaned = [text for text in (clean_text(str(v)) for v in values) if text]
            if cleaned != values:
                changes[name] = cleaned
        if not changes:
            continue
        connection.execute(sa.update(enterprise).where(enterprise.c.id == row["id"]).values(**changes))
        connection.execute(
            sa.insert(audit).values(
                at=dt.datetime.now(dt.UTC),
                actor="migration:0002",
                action="watchlist.update",
                entity_type="enterprise",
                entity_id=row["id"],
                before={name: row[name] for name in changes},
                after=changes,
                note="control and hidden characters removed (issue 8)",
            )
        )


def downgrade() -> None:
    pass
