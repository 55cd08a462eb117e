"""case calendar facts

What the working-day calendar says about each case, kept on the case so the monthly
statistics are aggregates: `overdue_at` (the instant it missed, or will miss, a handling
deadline) and `working_days_to_close`. Existing cases are worked out here, in batches, with
the deadline settings the bot runs with (handed in through Alembic's config by
`storage.migrate`: `TIAOJIE_ACCEPTANCE_DAYS`, `TIAOJIE_SETTLEMENT_DAYS`, `TIAOJIE_TIMEZONE`, …)
and the `calendar_overrides` table.

Indexes: the closed-cases report index also covers `overdue_at` (second, so the overdue
among open cases are one range), the merchant, the working days and the id (PostgreSQL's
indexes do not carry it by themselves); the accepted index covers the merchant and the
month filter; two new ones answer the counts by category and by problem with one short
range per value; three indexes led by the merchant (replacing the one on the merchant
alone) answer the report of one grid with a short range per merchant; a partial index
lists the cases whose facts are still unknown. The single-column indexes on `received_at`
and `closed_at` go: the report indexes start with those columns, and planners preferred
the narrow ones and then read the table.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 18:30:00
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.engine import Connection

from mediation.deadlines import DeadlinePolicy
from mediation.reports import CalendarFactsCalculator
from mediation.workdays import WorkingCalendar
from storage.migrate import DEADLINE_POLICY, DEFAULT_TIMEZONE, TIMEZONE
from storage.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 5_000
FACTS_UNKNOWN = "overdue_at IS NULL AND working_days_to_close IS NULL"

_cases = sa.table(
    "cases",
    sa.column("id", sa.Integer),
    sa.column("received_at", UTCDateTime),
    sa.column("accepted_at", UTCDateTime),
    sa.column("closed_at", UTCDateTime),
    sa.column("overdue_at", UTCDateTime),
    sa.column("working_days_to_close", sa.Integer),
)
_overrides = sa.table(
    "calendar_overrides", sa.column("day", sa.Date), sa.column("is_working_day", sa.Boolean)
)


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("working_days_to_close", sa.Integer(), nullable=True))
        batch_op.drop_index("ix_cases_received_at")
        batch_op.drop_index("ix_cases_closed_at")
        batch_op.drop_index("ix_cases_closed_report")
        batch_op.drop_index("ix_cases_accepted_at")
        batch_op.drop_index("ix_cases_merchant_id")
    backfill(op.get_bind())
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_closed_report",
            [
                "closed_at",
                "overdue_at",
                "status",
                "money_returned",
                "rating",
                "received_at",
                "merchant_id",
                "working_days_to_close",
                "id",
            ],
            unique=False,
        )
        batch_op.create_index(
            "ix_cases_accepted_at",
            ["accepted_at", "merchant_id", "received_at", "closed_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_cases_merchant_received", ["merchant_id", "received_at"], unique=False
        )
        batch_op.create_index(
            "ix_cases_merchant_closed", ["merchant_id", "closed_at"], unique=False
        )
        batch_op.create_index(
            "ix_cases_merchant_accepted", ["merchant_id", "accepted_at"], unique=False
        )
        batch_op.create_index(
            "ix_cases_category_report", ["category", "received_at", "merchant_id"], unique=False
        )
        batch_op.create_index(
            "ix_cases_problem_report", ["problem", "received_at", "merchant_id"], unique=False
        )
        batch_op.create_index(
            "ix_cases_facts_unknown",
            ["overdue_at", "working_days_to_close"],
            unique=False,
            sqlite_where=sa.text(FACTS_UNKNOWN),
            postgresql_where=sa.text(FACTS_UNKNOWN),
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_facts_unknown")
        batch_op.drop_index("ix_cases_problem_report")
        batch_op.drop_index("ix_cases_category_report")
        batch_op.drop_index("ix_cases_merchant_accepted")
        batch_op.drop_index("ix_cases_merchant_closed")
        batch_op.drop_index("ix_cases_merchant_received")
        batch_op.drop_index("ix_cases_accepted_at")
        batch_op.drop_index("ix_cases_closed_report")
        batch_op.drop_column("working_days_to_close")
        batch_op.drop_column("overdue_at")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_merchant_id", ["merchant_id"], unique=False)
        batch_op.create_index("ix_cases_received_at", ["received_at"], unique=False)
        batch_op.create_index("ix_cases_closed_at", ["closed_at"], unique=False)
        batch_op.create_index(
            "ix_cases_closed_report",
            ["closed_at", "status", "money_returned", "rating", "received_at"],
            unique=False,
        )
        batch_op.create_index("ix_cases_accepted_at", ["accepted_at"], unique=False)


def backfill(connection: Connection) -> None:
    """Work out the facts of every case, `BATCH` cases per statement, in id order."""
    if connection.scalar(sa.select(sa.func.count()).select_from(_cases)) == 0:
        return
    extra_holidays: list[date] = []
    extra_working_days: list[date] = []
    for day, is_working_day in connection.execute(
        sa.select(_overrides.c.day, _overrides.c.is_working_day)
    ):
        (extra_working_days if is_working_day else extra_holidays).append(day)
    policy, tz = _settings()
    calculator = CalendarFactsCalculator(
        WorkingCalendar(extra_holidays, extra_working_days), policy, tz
    )
    update = (
        sa.update(_cases)
        .where(_cases.c.id == sa.bindparam("case_id"))
        .values(
            overdue_at=sa.bindparam("facts_overdue_at", type_=UTCDateTime),
            working_days_to_close=sa.bindparam("facts_working_days"),
        )
    )
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(_cases.c.id, _cases.c.received_at, _cases.c.accepted_at, _cases.c.closed_at)
            .where(_cases.c.id > last_id)
            .order_by(_cases.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = []
        for row in rows:
            facts = calculator.facts(row.received_at, row.accepted_at, row.closed_at)
            values.append(
                {
                    "case_id": row.id,
                    "facts_overdue_at": facts.overdue_at,
                    "facts_working_days": facts.working_days_to_close,
                }
            )
        connection.execute(update, values)
        last_id = rows[-1].id


def _settings() -> tuple[DeadlinePolicy, ZoneInfo]:
    """The deadline settings the bot runs with, handed in by whoever runs the migrations
    (`storage.migrate.alembic_config`); the defaults without them. A migration reads no
    settings of its own: `storage/` does not know where they come from."""
    attributes = context.config.attributes
    policy = attributes.get(DEADLINE_POLICY) or DeadlinePolicy()
    return policy, attributes.get(TIMEZONE) or ZoneInfo(DEFAULT_TIMEZONE)
