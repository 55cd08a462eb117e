"""The outbox: replies are written with the change that caused them, then delivered.

Several processes may run a sender over the same table. A sender claims rows before it
sends them (`claim`): the rows become `sending`, held until a lease runs out, and
`next_attempt_at` holds the end of the lease. A row another sender holds is therefore simply
"not due yet": it also holds back the later replies of its room, which keeps each room's
replies in order. A sender that dies while holding rows leaves them to be claimed again once
the lease has run out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Case, OutboxMessage, Room
from .upsert import insert_ignore

PENDING = "pending"
SENDING = "sending"
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
    case: Case | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Queue a reply; it commits with the caller's transaction. With a `dedupe_key` the
    same reply is never queued twice: the new row's id is returned, None if it was queued
    before. The case may be one not flushed yet: it is flushed first, for its id."""
    row: dict[str, object] = {
        "room_id": room_id,
        "text": text,
        "mention_ids": mention_ids or [],
        "image_path": image_path,
        "state": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "cause_inbox_id": cause_inbox_id,
        "case_id": None,
        "dedupe_key": dedupe_key,
    }
    if case is not None:
        if case.id is None:
            await session.flush()
        row["case_id"] = case.id
    return await insert_ignore(session, OutboxMessage, row, returning=OutboxMessage.id)


# Built once: building these cost more than running them (everything goes in as parameters).
_WAITING = select(OutboxMessage).where(OutboxMessage.state.in_([PENDING, SENDING]))
_DUE = _WAITING.order_by(OutboxMessage.id).limit(bindparam("due_limit"))
_DUE_FOR_ACCOUNT = (
    _WAITING.outerjoin(Room, Room.id == OutboxMessage.room_id)
    .where(or_(Room.account_id.is_(None), Room.account_id == bindparam("account")))
    .order_by(OutboxMessage.id)
    .limit(bindparam("due_limit"))
)
_TABLE = OutboxMessage.__table__  # plain SQL: no ORM objects are held for these rows
_FREE = (
    select(_TABLE.c.id)
    .where(
        _TABLE.c.id.in_(bindparam("claim_ids", expanding=True)),
        _TABLE.c.state.in_([PENDING, SENDING]),
        _TABLE.c.next_attempt_at <= bindparam("claim_now", type_=_TABLE.c.next_attempt_at.type),
    )
    .with_for_update(skip_locked=True)
)
_CLAIM = (
    update(_TABLE)
    .where(_TABLE.c.id.in_(_FREE.scalar_subquery()))
    .values(
        state=SENDING,
        next_attempt_at=bindparam("lease_until", type_=_TABLE.c.next_attempt_at.type),
    )
    .returning(_TABLE.c.id)
)
_MARK_SENT = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("sent_id"))
    .values(
        state=SENT,
        sent_at=bindparam("sent_time", type_=_TABLE.c.sent_at.type),
        attempts=_TABLE.c.attempts + 1,
        platform_message_id=bindparam("sent_platform_id"),
    )
)


async def due(
    session: AsyncSession, now: datetime, limit: int = 50, *, account_id: str | None = None
) -> list[OutboxMessage]:
    """Pending replies in the order they were written, including ones not yet due.

    Not-yet-due rows are returned too so that the sender can hold back later replies to
    the same room and keep each room's messages in order. With `account_id`, only the
    replies for rooms that account serves (or that no account has claimed yet).
    """
    if account_id is None:
        rows = await session.scalars(_DUE, {"due_limit": limit})
    else:
        rows = await session.scalars(_DUE_FOR_ACCOUNT, {"due_limit": limit, "account": account_id})
    return list(rows)


async def claim(
    session: AsyncSession, outbox_ids: Collection[int], now: datetime, *, until: datetime
) -> set[int]:
    """Take the rows that are due for this sender until `until`; return the ids taken.

    Rows another sender holds (a lease not yet run out, or locked this instant), and rows
    sent or given up on meanwhile, are not taken. PostgreSQL skips rows locked by a
    concurrent claim instead of waiting for them; SQLite runs one writer at a time.
    """
    result = await session.execute(
        _CLAIM, {"claim_ids": list(outbox_ids), "claim_now": now, "lease_until": until}
    )
    return set(result.scalars())


async def release_claims(session: AsyncSession, now: datetime) -> int:
    """Make every held row pending again (a single process starting: the holder is gone)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == SENDING)
        .values(state=PENDING, next_attempt_at=now)
    )
    return int(result.rowcount or 0)


async def release(session: AsyncSession, outbox_ids: Collection[int], now: datetime) -> None:
    """Give claimed rows back unsent, due at once."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(outbox_ids)), OutboxMessage.state == SENDING)
        .values(state=PENDING, next_attempt_at=now)
    )


async def mark_sent_many(
    session: AsyncSession,
    deliveries: Sequence[tuple[Collection[int], str | None]],
    now: datetime,
) -> None:
    """Mark delivered replies sent: each delivery is the ids sent as one platform message
    and that message's platform id."""
    rows: list[dict[str, object]] = [
        {"sent_id": outbox_id, "sent_platform_id": platform_message_id}
        for outbox_ids, platform_message_id in deliveries
        for outbox_id in outbox_ids
    ]
    for row in rows:
        row["sent_time"] = now
    if rows:
        await session.execute(_MARK_SENT, rows)


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
    """Rows per state; replies being sent this moment count as pending."""
    rows = await session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    )
    counts: dict[str, int] = {}
    for state, count in rows.all():
        key = PENDING if state == SENDING else state
        counts[key] = counts.get(key, 0) + count
    return counts


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
