"""Writes a handling transaction collects and makes once, just before it commits.

A batch of messages queues a reply for most of them and takes a case number for every
complaint. Written as they come, each costs a statement of its own; collected, a batch's
replies are one INSERT and each period's case counter one UPDATE. The dispatcher starts
collecting when it opens a handling transaction and calls `write_collected` before it
commits; a commit with anything still collected is refused (see `_refuse_unwritten`), so a
forgotten write fails loudly instead of losing a reply. Sessions that never start
collecting write at once, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, event, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from .models import Case, CaseCounter, OutboxMessage
from .upsert import insert_ignore_many

_KEY = "collected_writes"
_COUNTERS = CaseCounter.__table__
_SET_COUNTER = (
    update(_COUNTERS)
    .where(_COUNTERS.c.period == bindparam("counter_period"))
    .values(last_sequence=bindparam("counter_last"))
)


@dataclass
class CollectedWrites:
    # outbox rows in the order queued, each with the case it is about (maybe not flushed)
    replies: list[tuple[dict[str, Any], Case | None]] = field(default_factory=list)
    # period -> the last sequence handed out; the counter row holds an older value until
    # `write_collected`, and this transaction holds its lock from the first number on
    counters: dict[str, int] = field(default_factory=dict)
    counters_behind: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.replies or self.counters_behind)


def start_collecting(session: AsyncSession) -> None:
    session.info[_KEY] = CollectedWrites()


def collecting(session: AsyncSession) -> CollectedWrites | None:
    collected = session.info.get(_KEY)
    return collected if isinstance(collected, CollectedWrites) else None


async def write_collected(session: AsyncSession) -> None:
    """Write what was collected: the counters' last values, then the replies in the order
    they were queued. Collecting goes on (a batch may write more than once)."""
    collected = collecting(session)
    if not collected:
        return
    if collected.counters_behind:
        await session.execute(
            _SET_COUNTER,
            [
                {"counter_period": period, "counter_last": collected.counters[period]}
                for period in sorted(collected.counters_behind)
            ],
        )
        collected.counters_behind.clear()
    if collected.replies:
        replies, collected.replies = collected.replies, []
        await session.flush()  # cases opened in this transaction get their ids
        rows = [{**row, "case_id": case.id if case is not None else None} for row, case in replies]
        await insert_ignore_many(session, OutboxMessage, rows)


@event.listens_for(Session, "before_commit")
def _refuse_unwritten(session: Session) -> None:
    collected = session.info.get(_KEY)
    if collected:
        raise RuntimeError("commit with collected writes not written (call write_collected)")


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_collected(session: Session) -> None:
    """Collected state belongs to one transaction: a counter value read in it is stale in
    the next."""
    session.info.pop(_KEY, None)
