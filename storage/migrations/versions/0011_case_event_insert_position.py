"""case events inserted several to a statement

`case_events.insert_position` is an insert sentinel: when the ORM flushes several events at
once it numbers the rows of the one INSERT and matches the ids RETURNING gives back by it.
SQLite returns them in no promised order and its ids cannot be matched otherwise, so
without the column every event was an INSERT of its own: 0.57 statements a message, each
costing SQLAlchemy's Python more than SQLite's work. A nullable column without a default:
adding it rewrites nothing on SQLite or PostgreSQL.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("case_events", sa.Column("insert_position", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_events") as table:
        table.drop_column("insert_position")
