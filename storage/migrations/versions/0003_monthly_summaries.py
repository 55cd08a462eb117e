"""monthly summaries

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 15:19:59.718199
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monthly_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.String(length=128), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("room_id", "month", name="uq_monthly_summary_once"),
    )


def downgrade() -> None:
    op.drop_table("monthly_summaries")
