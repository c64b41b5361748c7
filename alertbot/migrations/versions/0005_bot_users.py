"""bot users, invites and settings (issue 12)

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401
from alembic import op  # noqa: F401

import alertbot.models  # noqa: F401

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invite",
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("enterprise_ids", sa.JSON(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", alertbot.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", alertbot.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", alertbot.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("code_hash"),
    )
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enterprise_ids", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.alter_column("telegram_user_id", existing_type=sa.Integer(), type_=sa.BigInteger())
    # Existing enterprise subscribers keep their one enterprise in the new list too.
    array = "json_build_array" if op.get_bind().dialect.name == "postgresql" else "json_array"
    op.execute(
        f"UPDATE subscriber SET enterprise_ids = {array}(enterprise_id) WHERE enterprise_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.alter_column("telegram_user_id", existing_type=sa.BigInteger(), type_=sa.Integer())
        batch_op.drop_column("enterprise_ids")
    op.drop_table("invite")
