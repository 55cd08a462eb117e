"""mediation thread

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 15:06:23.883178
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_overrides",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_working_day", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("offer_amount", sa.Numeric(precision=14, scale=2), nullable=True)
        )
        batch_op.add_column(sa.Column("offer_remedy", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("merchant_replied_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("rating_requested_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("rating_requested_at")
        batch_op.drop_column("merchant_replied_at")
        batch_op.drop_column("offer_remedy")
        batch_op.drop_column("offer_amount")

    op.drop_table("calendar_overrides")
