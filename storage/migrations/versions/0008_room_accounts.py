"""room accounts and reference versions

Which bot account serves each group (and which account each incoming message came to), so
that with several processes each sends only to its own groups; and a version counter per
kind of reference data, so that every process reloads merchants and calendar overrides
changed by another.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.String(length=128), nullable=True))
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.String(length=128), nullable=True))
    op.create_table(
        "reference_versions",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("reference_versions")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_column("account_id")
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_column("account_id")
