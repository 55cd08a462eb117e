"""a reporter's cases in a room, by status

The index on the reporter alone becomes one on the reporter, the room, the status and the
receipt. Each batch of messages asks which of its senders have a pending case in their
room still waiting for details, and a reporter's reply looks up their cases in the room by
status. Without it SQLite answered the first from the index on the status, reading every
pending case of every room: under a steady load a grid worker's cases pile up (pending
until their merchant is bound), and the question grew with them, to 7 % of the bot's CPU
after a minute at 200 messages a second. Queries by the reporter alone still have an index
led by it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 02:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_cases_reporter_id", table_name="cases")
    op.create_index(
        "ix_cases_reporter_room",
        "cases",
        ["reporter_id", "room_id", "status", "received_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_cases_reporter_room", table_name="cases")
    op.create_index("ix_cases_reporter_id", "cases", ["reporter_id"], unique=False)
