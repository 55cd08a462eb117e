"""The inbox: incoming messages are committed here before anything handles them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from .driver_sql import DriverStatement
from .models import InboxMessage
from .upsert import insert_ignore_statement

RECEIVED = "received"
HANDLED = "handled"
FAILED = "failed"

TRUNCATION_MARKER = "…【消息过长，已截断】"


def fit_text(text: str, max_chars: int) -> tuple[str, bool]:
    """Messages over the limit are stored truncated with a visible marker."""
    if len(text) <= max_chars:
        return text, False
    return text[:max_chars] + TRUNCATION_MARKER, True


@dataclass(frozen=True)
class Arrival:
    """A message as the platform delivered it, before it is stored."""

    message_id: str
    room_id: str
    sender_id: str
    sender_name: str
    text: str
    mention_ids: list[str]
    is_direct: bool
    sent_at: datetime
    received_at: datetime
    account_id: str | None = None


# stores every incoming message: one statement per message on SQLite is cheaper than
# SQLAlchemy's one for several (see storage/driver_sql.py)
_ACCEPT = DriverStatement(
    lambda dialect: insert_ignore_statement(dialect, InboxMessage, ("id", "message_id"))
)


async def accept_many(
    on: AsyncSession | AsyncConnection, arrivals: Sequence[Arrival], *, max_chars: int
) -> list[int | None]:
    """Store messages in one statement; for each, its inbox id, or None when its message id
    was seen before (an earlier delivery, or an earlier arrival in the same list)."""
    if not arrivals:
        return []
    rows = []
    for arrival in arrivals:
        stored_text, truncated = fit_text(arrival.text, max_chars)
        rows.append(
            {
                "message_id": arrival.message_id,
                "room_id": arrival.room_id,
                "sender_id": arrival.sender_id,
                "sender_name": arrival.sender_name[:200],
                "text": stored_text,
                "truncated": truncated,
                "mention_ids": arrival.mention_ids,
                "is_direct": arrival.is_direct,
                "sent_at": arrival.sent_at,
                "received_at": arrival.received_at,
                "account_id": arrival.account_id,
                "state": RECEIVED,
                "attempts": 0,
            }
        )
    inserted = await _ACCEPT.rows_each(on, rows)
    new_ids = {message_id: inbox_id for inbox_id, message_id in inserted}
    results: list[int | None] = []
    for arrival in arrivals:
        results.append(new_ids.pop(arrival.message_id, None))  # a repeat gets None
    return results


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """A stored message taken for handling, as it was accepted (the columns handling reads;
    plain values: loading ORM objects for rows nobody changes cost more than the claim)."""

    id: int
    message_id: str
    room_id: str
    sender_id: str
    sender_name: str
    text: str
    truncated: bool
    mention_ids: list[str]
    is_direct: bool
    sent_at: datetime
    received_at: datetime
    account_id: str | None
    attempts: int


async def unhandled_ids(session: AsyncSession) -> list[int]:
    rows = await session.scalars(
        select(InboxMessage.id).where(InboxMessage.state == RECEIVED).order_by(InboxMessage.id)
    )
    return list(rows)


# Built once: building a statement cost more than running it (the ids go in as parameters).
_WAITING = (
    InboxMessage.id.in_(bindparam("claim_ids", expanding=True)),
    InboxMessage.state == RECEIVED,
)
_INBOX = InboxMessage.__table__
_CLAIMED_COLUMNS = [_INBOX.c[name] for name in ClaimedMessage.__dataclass_fields__]
_LOCK_WAITING = select(*_CLAIMED_COLUMNS).where(*_WAITING).with_for_update(skip_locked=True)
_TAKE_WAITING = update(_INBOX).where(*_WAITING).values(state=RECEIVED).returning(*_CLAIMED_COLUMNS)
_MARK_HANDLED = (
    update(_INBOX)
    .where(_INBOX.c.id == bindparam("handled_id"))
    .values(
        state=HANDLED,
        route=bindparam("handled_route"),
        attempts=_INBOX.c.attempts + 1,
        handled_at=bindparam("handled_at_time", type_=_INBOX.c.handled_at.type),
    )
)


async def claim(session: AsyncSession, inbox_id: int) -> ClaimedMessage | None:
    """The message, held for this transaction, if it still waits to be handled."""
    taken = await claim_many(session, [inbox_id])
    return taken[0] if taken else None


async def claim_many(session: AsyncSession, inbox_ids: Collection[int]) -> list[ClaimedMessage]:
    """The messages among `inbox_ids` that still wait, held for this transaction, in order.
    They come back as read-only snapshots: handling reads them, and `record_handled`
    writes the outcome of a whole batch in one statement.

    Several processes may queue the same message (each queues every `received` row on
    start-up), so checking the state and taking the rows must be one step. PostgreSQL: the
    rows are locked FOR UPDATE SKIP LOCKED, and a message another process is handling right
    now is skipped, not waited for. SQLite: a write to the rows opens the transaction and
    takes the database's one write lock first, so a second process waits for it and then
    finds the messages handled.
    """
    ids = {"claim_ids": list(inbox_ids)}
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        rows = await session.execute(_LOCK_WAITING, ids)
    else:
        rows = await session.execute(_TAKE_WAITING, ids)
    taken = [ClaimedMessage(*row) for row in rows]
    return sorted(taken, key=lambda message: message.id)


async def record_handled(
    session: AsyncSession, handled: Sequence[tuple[ClaimedMessage, str]], now: datetime
) -> None:
    """Mark claimed messages handled, each with its route, in one statement."""
    if not handled:
        return
    await session.execute(
        _MARK_HANDLED,
        [
            {"handled_id": message.id, "handled_route": route, "handled_at_time": now}
            for message, route in handled
        ],
    )


async def record_failure(
    session: AsyncSession, inbox_id: int, error: str, *, give_up: bool
) -> None:
    await session.execute(
        update(InboxMessage)
        .where(InboxMessage.id == inbox_id)
        .values(
            attempts=InboxMessage.attempts + 1,
            error=error[:2000],
            state=FAILED if give_up else RECEIVED,
        )
    )
