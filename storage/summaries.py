"""The monthly summaries' records: which rooms have had which month's summary."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import MonthlySummary, Room
from .upsert import insert_ignore

DIRECT_ROOM_PREFIX = "dm:"  # private chats get no public summary


async def rooms_without_summary(
    session: AsyncSession, month_key: str, month_end: datetime
) -> list[str]:
    """Group rooms the bot was in when the month ended (`month_end`, UTC) that have not had
    the summary of `month_key` (YYYY-MM)."""
    done = select(MonthlySummary.room_id).where(MonthlySummary.month == month_key)
    rows = await session.scalars(
        select(Room.id)
        .where(Room.first_seen_at < month_end)
        .where(Room.id.not_in(done), Room.id.not_like(f"{DIRECT_ROOM_PREFIX}%"))
        .order_by(Room.id)
    )
    return list(rows)


async def record_summary(
    session: AsyncSession, room_id: str, month_key: str, now: datetime
) -> bool:
    """Record that the room gets the month's summary; False if it already had it."""
    recorded = await insert_ignore(
        session,
        MonthlySummary,
        {"room_id": room_id, "month": month_key, "posted_at": now},
        returning=MonthlySummary.id,
    )
    return recorded is not None
