"""The inbox: incoming messages are committed here before anything handles them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .models import InboxMessage
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


async def accept(
    session: AsyncSession,
    *,
    message_id: str,
    room_id: str,
    sender_id: str,
    sender_name: str,
    text: str,
    mention_ids: list[str],
    is_direct: bool,
    sent_at: datetime,
    received_at: datetime,
    max_chars: int,
    account_id: str | None = None,
) -> int | None:
    """Store a message; return its inbox id, or None when this message id was seen before."""
    stored_text, truncated = fit_text(text, max_chars)
    return await insert_ignore(
        session,
        InboxMessage,
        {
            "message_id": message_id,
            "room_id": room_id,
            "sender_id": sender_id,
            "sender_name": sender_name[:200],
            "text": stored_text,
            "truncated": truncated,
            "mention_ids": mention_ids,
            "is_direct": is_direct,
            "sent_at": sent_at,
            "received_at": received_at,
            "account_id": account_id,
            "state": RECEIVED,
            "attempts": 0,
        },
        returning=InboxMessage.id,
    )


async def unhandled_ids(session: AsyncSession) -> list[int]:
    rows = await session.scalars(
        select(InboxMessage.id).where(InboxMessage.state == RECEIVED).order_by(InboxMessage.id)
    )
    return list(rows)


async def claim(session: AsyncSession, inbox_id: int) -> InboxMessage | None:
    """The message, held for this transaction, if it still waits to be handled."""
    taken = await claim_many(session, [inbox_id])
    return taken[0] if taken else None


async def claim_many(session: AsyncSession, inbox_ids: Collection[int]) -> list[InboxMessage]:
    """The messages among `inbox_ids` that still wait, held for this transaction, in order.

    Several processes may queue the same message (each queues every `received` row on
    start-up), so checking the state and taking the rows must be one step. PostgreSQL: the
    rows are locked FOR UPDATE SKIP LOCKED, and a message another process is handling right
    now is skipped, not waited for. SQLite: a write to the rows opens the transaction and
    takes the database's one write lock first, so a second process waits for it and then
    finds the messages handled.
    """
    waiting = (InboxMessage.id.in_(list(inbox_ids)), InboxMessage.state == RECEIVED)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        locked = select(InboxMessage).where(*waiting).with_for_update(skip_locked=True)
        taken = list(await session.scalars(locked))
    else:
        rows = await session.scalars(
            update(InboxMessage).where(*waiting).values(state=RECEIVED).returning(InboxMessage)
        )
        taken = list(rows)
    return sorted(taken, key=lambda message: message.id)


def mark_handled(message: InboxMessage, route: str, now: datetime) -> None:
    message.state = HANDLED
    message.route = route
    message.handled_at = now
    message.attempts += 1


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
