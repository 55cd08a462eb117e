"""who is in which group; relayed complaints

`room_members` records that a member is in a group (seen posting there, or @-mentioned
there by staff), so a merchant bound in one group is notified about a case from another
group where it actually is. `cases.consumer_name` and `cases.relayed` keep the consumer of
a relayed complaint (「居民王阿姨反映…」, 投诉人：刘建国) apart from the grid worker who
posted it.


Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "room_members",
        sa.Column("room_id", sa.String(length=128), nullable=False),
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("room_id", "member_id"),
    )
    op.create_index("ix_room_members_member", "room_members", ["member_id", "room_id"])
    op.add_column("cases", sa.Column("consumer_name", sa.String(length=200), nullable=True))
    op.add_column(
        "cases",
        sa.Column("relayed", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy of `cases` would lose
    # its expression indexes
    for column in ("relayed", "consumer_name"):
        op.execute(f"ALTER TABLE cases DROP COLUMN {column}")
    op.drop_index("ix_room_members_member", table_name="room_members")
    op.drop_table("room_members")
