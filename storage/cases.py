"""Cases and their audit trail. A case change and its event are flushed together."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from mediation.case_numbers import format_case_number
from mediation.cases import CaseStatus

from .collected import collecting
from .models import Case, CaseCounter, CaseEvent
from .upsert import insert_ignore

_CHANGED_KEY = "cases_changed"  # in `session.info`, set by `record_event`: the cases changed

# what duplicate detection compares, with the case id and its room
COMPARED_COLUMNS = (
    "id",
    "room_id",
    "masked_text",
    "contacts",
    "amount",
    "merchant_id",
    "merchant_name",
    "reporter_id",
    "received_at",
)


async def next_case_number(session: AsyncSession, period: str, prefix: str = "CY") -> str:
    """Allocate the next number of an office prefix in a period inside the caller's
    transaction. Each prefix counts on its own (the counter key is the period for CY, as
    before offices existed, else prefix + period).

    The first case of a period creates its counter; when another process creates it at the
    same moment, this one takes the next number from that counter instead. A transaction
    that collects its writes (storage/collected.py) takes its first number of a period from
    the row, which it then holds locked, and the following ones in memory; the row is
    brought up to date once, before the commit.
    """
    key = period if prefix == "CY" else f"{prefix}{period}"
    collected = collecting(session)
    if collected is not None and key in collected.counters:
        sequence = collected.counters[key] + 1
        collected.counters[key] = sequence
        collected.counters_behind.add(key)
        return format_case_number(period, sequence, prefix)
    sequence = await _increment(session, key)
    if sequence is None:
        values = {"period": key, "last_sequence": 1}
        created = await insert_ignore(session, CaseCounter, values, returning=CaseCounter.period)
        sequence = 1 if created is not None else await _increment(session, key)
    assert sequence is not None
    if collected is not None:
        collected.counters[key] = sequence
    return format_case_number(period, sequence, prefix)


async def _increment(session: AsyncSession, period: str) -> int | None:
    result = await session.execute(_INCREMENT, {"counter_period": period})
    return result.scalar_one_or_none()


_COUNTERS = CaseCounter.__table__  # plain SQL: the ORM's bookkeeping cost more than the row
_INCREMENT = (
    update(_COUNTERS)
    .where(_COUNTERS.c.period == bindparam("counter_period"))
    .values(last_sequence=_COUNTERS.c.last_sequence + 1)
    .returning(_COUNTERS.c.last_sequence)
)


def record_event(
    session: AsyncSession,
    case: Case,
    kind: str,
    *,
    actor: str,
    at: datetime,
    actor_id: str | None = None,
    data: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case=case,
        kind=kind,
        actor=actor,
        actor_id=actor_id,
        at=at,
        data=data or {},
        dedupe_key=dedupe_key,
    )
    session.add(event)
    case.updated_at = at
    changed: dict[int, Case] = session.info.setdefault(_CHANGED_KEY, {})
    changed.setdefault(id(case), case)  # by identity: a new case has no id until flushed
    return event


def changed_in(session: AsyncSession) -> bool:
    """Whether `record_event` was called in this session's transaction: it has changed a
    case, not committed yet (every change to a case records an event with it)."""
    return bool(session.info.get(_CHANGED_KEY))


def cases_changed_in(session: AsyncSession) -> list[Case]:
    """The cases `record_event` was called for in this session's transaction, first changed
    first."""
    return list(session.info.get(_CHANGED_KEY, {}).values())


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    """Committed or rolled back, the changes are no longer the session's own."""
    if transaction.parent is None:  # the session's transaction, not a savepoint in it
        session.info.pop(_CHANGED_KEY, None)


# Built once: building these cost more than running them (everything goes in as parameters).
_AWAITING_DETAILS = select(Case.room_id, Case.reporter_id, Case.missing).where(
    Case.room_id.in_(bindparam("rooms", expanding=True)),
    Case.reporter_id.in_(bindparam("reporters", expanding=True)),
    Case.status == CaseStatus.PENDING,
    Case.received_at >= bindparam("since", type_=Case.__table__.c.received_at.type),
)
_RANKED = (
    select(
        *(getattr(Case, name) for name in COMPARED_COLUMNS),
        func.row_number().over(partition_by=Case.room_id, order_by=Case.id.desc()).label("rank"),
    )
    .where(
        Case.room_id.in_(bindparam("rooms", expanding=True)),
        Case.status.in_(bindparam("statuses", expanding=True)),
        Case.received_at >= bindparam("since", type_=Case.__table__.c.received_at.type),
    )
    .subquery()
)
_RECENT_OPEN_CASES = (
    select(*(_RANKED.c[name] for name in COMPARED_COLUMNS))
    .where(_RANKED.c.rank <= bindparam("per_room"))
    .order_by(_RANKED.c.room_id, _RANKED.c.id.desc())
)


# One row per event, led by the events' id range (the newest few): grouped by case in SQL,
# or joined the other way round, SQLite read every event or every case to find them.
_CASES_CHANGED_SINCE = (
    select(
        *(getattr(Case, name) for name in COMPARED_COLUMNS),
        Case.status,
        CaseEvent.id.label("event_id"),
    )
    .select_from(CaseEvent)
    .join(Case, Case.id == CaseEvent.case_id)
    .where(CaseEvent.id > bindparam("after"))
    .order_by(CaseEvent.id)
    .limit(bindparam("limit"))
)
_LATEST_EVENT_ID = select(func.coalesce(func.max(CaseEvent.id), 0))


async def latest_event_id(session: AsyncSession) -> int:
    """The id of the newest case event (0 when there is none)."""
    return int(await session.scalar(_LATEST_EVENT_ID) or 0)


async def cases_changed_since(
    session: AsyncSession, event_id: int, limit: int
) -> list[Row[Any]] | None:
    """The cases with an event newer than `event_id`: their compared columns, status and
    newest event id, each case once; None when more than `limit` events are newer. Every
    change to a case writes an event with it, so these are the cases that changed."""
    rows = list(
        await session.execute(_CASES_CHANGED_SINCE, {"after": event_id, "limit": limit + 1})
    )
    if len(rows) > limit:
        return None
    newest = {row.id: row for row in rows}  # in event order: a case's last row is its newest
    return list(newest.values())


async def reporters_awaiting_details(
    session: AsyncSession, rooms: Collection[str], reporters: Collection[str], since: datetime
) -> set[tuple[str, str]]:
    """(room, reporter) pairs among these with a pending case received since `since` that
    still waits for details (merchant, facts, demand or contact)."""
    if not rooms or not reporters:
        return set()
    rows = await session.execute(
        _AWAITING_DETAILS,
        {"rooms": sorted(set(rooms)), "reporters": sorted(set(reporters)), "since": since},
    )
    return {(room_id, reporter_id) for room_id, reporter_id, missing in rows if missing}


async def recent_open_cases(
    session: AsyncSession,
    rooms: Collection[str],
    statuses: Collection[str],
    since: datetime,
    per_room: int,
) -> dict[str, list[Row[Any]]]:
    """Each room's newest `per_room` cases received since `since` in one of `statuses`,
    newest first, as the columns duplicate detection compares (every room asked for has
    a list, maybe empty)."""
    found: dict[str, list[Row[Any]]] = {room_id: [] for room_id in rooms}
    if not found:
        return found
    rows = await session.execute(
        _RECENT_OPEN_CASES,
        {
            "rooms": sorted(found),
            "statuses": sorted(statuses),
            "since": since,
            "per_room": per_room,
        },
    )
    for row in rows:
        found[row.room_id].append(row)
    return found


async def by_number(session: AsyncSession, number: str) -> Case | None:
    return await session.scalar(select(Case).where(Case.number == number.upper()))


async def timeline(session: AsyncSession, case_id: int) -> list[CaseEvent]:
    rows = await session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.at, CaseEvent.id)
    )
    return list(rows)
