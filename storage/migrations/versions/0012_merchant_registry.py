"""the merchant registry from the street survey (摸排), and where a case happened

Merchants get what the survey records: street, community (grid existed), business status,
licences, the licence's end date and the 放心消费 commitment with its date. The credit code
stays in `licence_no`. Cases get the merchant's street, community and grid, copied when the
case's merchant is set, so statistics split by area as it was when the complaint came in;
existing cases take their merchant's grid. All columns are nullable or have a default:
adding them rewrites nothing.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("merchants", sa.Column("street", sa.String(length=100), nullable=True))
    op.add_column("merchants", sa.Column("community", sa.String(length=100), nullable=True))
    op.add_column("merchants", sa.Column("business_status", sa.String(length=8), nullable=True))
    op.add_column(
        "merchants",
        sa.Column("licences", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    op.add_column("merchants", sa.Column("licence_valid_until", sa.Date(), nullable=True))
    op.add_column(
        "merchants",
        sa.Column("committed", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("merchants", sa.Column("committed_on", sa.Date(), nullable=True))
    op.add_column("cases", sa.Column("street", sa.String(length=100), nullable=True))
    op.add_column("cases", sa.Column("community", sa.String(length=100), nullable=True))
    op.add_column("cases", sa.Column("grid", sa.String(length=100), nullable=True))
    op.execute(
        "UPDATE cases SET grid = (SELECT merchants.grid FROM merchants"
        " WHERE merchants.id = cases.merchant_id) WHERE merchant_id IS NOT NULL"
    )


def downgrade() -> None:
    # plain DROP COLUMN (SQLite 3.35+): a batch rebuild of `cases` would lose the SQLite
    # expression index of migration 0009
    for column in ("grid", "community", "street"):
        op.drop_column("cases", column)
    for column in (
        "committed_on", "committed", "licence_valid_until", "licences",
        "business_status", "community", "street",
    ):  # fmt: skip
        op.drop_column("merchants", column)
