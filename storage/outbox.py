"""The outbox: replies are written with the change that caused them, then delivered."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .models import OutboxMessage
from .upsert import insert_ignore

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


async def enqueue(
    session: AsyncSession,
    *,
    room_id: str,
    text: str,
    now: datetime,
    mention_ids: list[str] | None = None,
    image_path: str | None = None,
    cause_inbox_id: int | None = None,
    case_id: int | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Queue a reply; with a `dedupe_key` the same reply is never queued twice."""
    return await insert_ignore(
        session,
        OutboxMessage,
        {
            "room_id": room_id,
            "text": text,
            "mention_ids": mention_ids or [],
            "image_path": image_path,
            "state": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "cause_inbox_id": cause_inbox_id,
            "case_id": case_id,
            "dedupe_key": dedupe_key,
        },
        returning=OutboxMessage.id,
    )


async def due(session: AsyncSession, now: datetime, limit: int = 50) -> list[OutboxMessage]:
    """Pending replies in the order they were written, including ones not yet due.

    Not-yet-due rows are returned too so that the sender can hold back later replies to
    the same room and keep each room's messages in order.
    """
    rows = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.state == PENDING)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(rows)


async def mark_sent(
    session: AsyncSession, outbox_id: int, now: datetime, platform_message_id: str | None
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .values(
            state=SENT,
            sent_at=now,
            attempts=OutboxMessage.attempts + 1,
            platform_message_id=platform_message_id,
        )
    )


async def mark_attempt_failed(
    session: AsyncSession,
    message: OutboxMessage,
    now: datetime,
    error: str,
    *,
    max_attempts: int,
    backoff: timedelta,
) -> bool:
    """Record a failed delivery; return True when the reply is now given up on."""
    attempts = message.attempts + 1
    give_up = attempts >= max_attempts
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(
            attempts=attempts,
            last_error=error[:2000],
            state=FAILED if give_up else PENDING,
            next_attempt_at=now + backoff,
        )
    )
    return give_up


async def delivery_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    )
    return {state: count for state, count in rows.all()}


async def failed(session: AsyncSession, limit: int = 5) -> list[OutboxMessage]:
    rows = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.state == FAILED)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    return list(rows)


async def retry_failed(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == FAILED)
        .values(state=PENDING, attempts=0, next_attempt_at=now)
    )
    return int(result.rowcount or 0)
