"""report indexes

Covering indexes for the monthly statistics over a city's worth of cases: cases received in
a month by category, problem and merchant; cases closed in a month with outcome, money
returned and rating; cases accepted in a month.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 16:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_received_report",
            ["received_at", "status", "category", "problem", "merchant_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_cases_closed_report",
            ["closed_at", "status", "money_returned", "rating", "received_at"],
            unique=False,
        )
        batch_op.create_index("ix_cases_accepted_at", ["accepted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_accepted_at")
        batch_op.drop_index("ix_cases_closed_report")
        batch_op.drop_index("ix_cases_received_report")
