"""expo editions and exhibitors (issue 9)

No schema change: an exhibitor is a ``record`` row (kind ``exhibitor``, source key = edition id, hall, booth,
the published fields in ``raw``), an edition's crawl state is a ``source`` row (kind ``expo``) and its diff is
kept in ``crawlrun.stats``; the editions themselves are YAML files. The revision stays in the chain.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401
from alembic import op  # noqa: F401

import alertbot.models  # noqa: F401

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
