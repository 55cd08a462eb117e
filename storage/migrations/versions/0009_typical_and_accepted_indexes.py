"""typical cases and accepted cases indexes

Two changes for the monthly statistics over a city's worth of cases.

The index on `status` alone becomes one on the status followed by the money returned, so
that the month's typical cases (the resolved ones with the most money returned) are read
off the end of the resolved cases' range, largest first, instead of from a pass over every
case closed in the month. The closing and receipt instants and the id follow, so the month
filter needs no table row (PostgreSQL's indexes do not carry the id by themselves). Every
query that looked cases up by status still has an index led by it.

The accepted index becomes two partial ones. Counting the cases accepted in a month as the
report does (received before the month ended, not closed before it began) meant comparing
two more instants for each of them; a case received no later than it was accepted and not
closed before that passes both tests whenever it was accepted in the month, so
`ix_cases_accepted_at` now holds only those cases and is counted as a plain range. The new
`ix_cases_accepted_out_of_order` holds the others (a clock set back), normally none, with
the instants to check them one by one.

On SQLite, a new index on the UTC month of receipt and the merchant gives the month's cases
merchant by merchant, so counting them per merchant no longer sorts them all (SQLite has no
hash aggregation; PostgreSQL does, and gets no such index). The month is the first seven
characters of the stored instant. An index on an expression cannot be reflected, so Alembic
neither compares it with the models nor keeps it when a batch migration rebuilds the table:
such a migration must create it again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ACCEPTED_IN_ORDER = "received_at <= accepted_at AND (closed_at IS NULL OR closed_at >= accepted_at)"
ACCEPTED_OUT_OF_ORDER = "received_at > accepted_at OR closed_at < accepted_at"
RECEIVED_MONTH_INDEX = (
    "CREATE INDEX ix_cases_received_month"
    " ON cases (substr(received_at, 1, 7), merchant_id, received_at)"
)


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_status")
        batch_op.drop_index("ix_cases_accepted_at")
        batch_op.create_index(
            "ix_cases_status_money",
            ["status", "money_returned", "closed_at", "received_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_cases_accepted_at",
            ["accepted_at", "merchant_id"],
            unique=False,
            sqlite_where=sa.text(ACCEPTED_IN_ORDER),
            postgresql_where=sa.text(ACCEPTED_IN_ORDER),
        )
        batch_op.create_index(
            "ix_cases_accepted_out_of_order",
            ["accepted_at", "merchant_id", "received_at", "closed_at"],
            unique=False,
            sqlite_where=sa.text(ACCEPTED_OUT_OF_ORDER),
            postgresql_where=sa.text(ACCEPTED_OUT_OF_ORDER),
        )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(RECEIVED_MONTH_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX ix_cases_received_month")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_accepted_out_of_order")
        batch_op.drop_index("ix_cases_accepted_at")
        batch_op.drop_index("ix_cases_status_money")
        batch_op.create_index(
            "ix_cases_accepted_at",
            ["accepted_at", "merchant_id", "received_at", "closed_at"],
            unique=False,
        )
        batch_op.create_index("ix_cases_status", ["status"], unique=False)
