"""Cases and their audit trail. A case change and its event are flushed together."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.case_numbers import format_case_number
from mediation.cases import CaseStatus

from .models import Case, CaseCounter, CaseEvent
from .upsert import count_up


async def next_case_number(session: AsyncSession, period: str, prefix: str = "CY") -> str:
    """Allocate the next number of an office prefix in a period inside the caller's
    transaction. Each prefix counts on its own (the counter key is the period for CY, as
    before offices existed, else prefix + period); the first case of a period creates its
    counter."""
    key = period if prefix == "CY" else f"{prefix}{period}"
    sequence = await count_up(session, CaseCounter, {"period": key}, "last_sequence")
    return format_case_number(period, sequence, prefix)


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
    return event


async def recent_open_cases(
    session: AsyncSession,
    room_id: str,
    statuses: Collection[str],
    since: datetime,
    limit: int,
) -> list[Row[Any]]:
    """The room's newest `limit` cases received since `since` in one of `statuses`, newest
    first: the columns a new complaint is compared with (see `mediation.duplicates`)."""
    rows = await session.execute(
        select(
            Case.id,
            Case.masked_text,
            Case.contacts,
            Case.amount,
            Case.merchant_id,
            Case.merchant_name,
            Case.reporter_id,
        )
        .where(
            Case.room_id == room_id,
            Case.status.in_(list(statuses)),
            Case.received_at >= since,
        )
        .order_by(Case.id.desc())
        .limit(limit)
    )
    return list(rows)


async def awaiting_details(
    session: AsyncSession, room_id: str, reporter_id: str, since: datetime
) -> Case | None:
    """The reporter's most recent pending case in the room, received since `since`, that
    still waits for details (merchant, facts, demand or contact)."""
    rows = await session.scalars(
        select(Case)
        .where(
            Case.room_id == room_id,
            Case.reporter_id == reporter_id,
            Case.status == CaseStatus.PENDING,
            Case.received_at >= since,
        )
        .order_by(Case.id.desc())
        .limit(5)
    )
    return next((case for case in rows if case.missing), None)


async def by_number(session: AsyncSession, number: str) -> Case | None:
    return await session.scalar(select(Case).where(Case.number == number.upper()))


async def timeline(session: AsyncSession, case_id: int) -> list[CaseEvent]:
    rows = await session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.at, CaseEvent.id)
    )
    return list(rows)
