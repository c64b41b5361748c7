"""sources as data, schedules and health (issue 13)

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import alertbot.models

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'sourceconfig',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('spider', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('url', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('cron', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('paused', sa.Boolean(), nullable=False),
        sa.Column('health', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('health_detail', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('health_since', alertbot.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', alertbot.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('updated_at', alertbot.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('sourceconfig')
