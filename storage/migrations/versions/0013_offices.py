"""offices (监管所): groups, staff and cases belong to one

`offices` holds the offices of `TIAOJIE_OFFICES` (brought in line at start-up,
`storage.offices.sync_offices`); office 1 is the default one. Rooms, members and cases get
an `office_id`; everything that existed before goes to office 1, which this migration
creates as 本所 / CY until the settings say otherwise. Case counters are kept per office
prefix and month, so their key grows from YYYYMM to at most 16 characters.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLES = ("rooms", "members", "cases")


def upgrade() -> None:
    offices = op.create_table(
        "offices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("prefix", sa.String(length=4), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("prefix"),
    )
    op.bulk_insert(offices, [{"id": 1, "name": "本所", "prefix": "CY"}])
    for table in TABLES:
        op.add_column(
            table,
            # no foreign key: SQLite cannot add one to an existing table with a default
            sa.Column("office_id", sa.Integer(), nullable=False, server_default=sa.text("1")),
        )
    op.create_index("ix_cases_office_received", "cases", ["office_id", "received_at"])
    with op.batch_alter_table("case_counters") as table:
        table.alter_column("period", type_=sa.String(length=16), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("case_counters") as table:
        table.alter_column("period", type_=sa.String(length=6), existing_nullable=False)
    op.drop_index("ix_cases_office_received", table_name="cases")
    for table in TABLES:
        op.drop_column(table, "office_id")
    op.drop_table("offices")
