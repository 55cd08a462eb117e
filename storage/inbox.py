"""The inbox: incoming messages are committed here before anything handles them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .models import InboxMessage, OutboxMessage
from .upsert import insert_ignore

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


async def accept(session: AsyncSession, arrival: Arrival, *, max_chars: int) -> int | None:
    """Store the message; its inbox id, or None when its message id was seen before."""
    stored_text, truncated = fit_text(arrival.text, max_chars)
    row = {
        **asdict(arrival),
        "sender_name": arrival.sender_name[:200],
        "text": stored_text,
        "truncated": truncated,
        "state": RECEIVED,
        "attempts": 0,
    }
    return await insert_ignore(session, InboxMessage, row, returning=InboxMessage.id)


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """A stored message taken for handling, as it was accepted (plain values: handling
    only reads it)."""

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


_INBOX = InboxMessage.__table__
_CLAIMED_COLUMNS = [_INBOX.c[name] for name in ClaimedMessage.__dataclass_fields__]


async def claim(session: AsyncSession, inbox_id: int) -> ClaimedMessage | None:
    """The message, held for this transaction, if it still waits to be handled.

    Several processes may queue the same message (each queues every `received` row on
    start-up), so checking the state and taking the row must be one step. PostgreSQL: the
    row is locked FOR UPDATE SKIP LOCKED, and a message another process is handling right
    now is skipped, not waited for. SQLite: a write to the row opens the transaction and
    takes the database's one write lock first, so a second process waits for it and then
    finds the message handled.
    """
    waiting = (_INBOX.c.id == inbox_id, _INBOX.c.state == RECEIVED)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        statement = select(*_CLAIMED_COLUMNS).where(*waiting).with_for_update(skip_locked=True)
    else:
        statement = (
            update(_INBOX).where(*waiting).values(state=RECEIVED).returning(*_CLAIMED_COLUMNS)
        )
    row = (await session.execute(statement)).first()
    return None if row is None else ClaimedMessage(*row)


async def record_handled(session: AsyncSession, inbox_id: int, route: str, now: datetime) -> None:
    await session.execute(
        update(InboxMessage)
        .where(InboxMessage.id == inbox_id)
        .values(state=HANDLED, route=route, attempts=InboxMessage.attempts + 1, handled_at=now)
    )


async def record_failure(
    session: AsyncSession, inbox_id: int, error: str, *, give_up: bool
) -> int:
    """Count the failed attempt and keep its error; the attempts so far."""
    attempts = await session.scalar(
        update(InboxMessage)
        .where(InboxMessage.id == inbox_id)
        .values(
            attempts=InboxMessage.attempts + 1,
            error=error[:2000],
            state=FAILED if give_up else RECEIVED,
        )
        .returning(InboxMessage.attempts)
    )
    return attempts or 0


async def answered_since(
    session: AsyncSession, room_id: str, sender_id: str, route: str, since: datetime
) -> bool:
    """Whether the bot answered one of the sender's messages of this route in this room
    since `since` (one question per sender and room in a while)."""
    answered = await session.scalar(
        select(OutboxMessage.id)
        .join(InboxMessage, OutboxMessage.cause_inbox_id == InboxMessage.id)
        .where(
            InboxMessage.room_id == room_id,
            InboxMessage.sender_id == sender_id,
            InboxMessage.route == route,
            InboxMessage.received_at >= since,
        )
        .limit(1)
    )
    return answered is not None
