"""The questions the service layer asks about cases: which are open, which wait for a
merchant, which deadline actions a case has had. (Writing cases: `storage.cases`.)"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from operator import attrgetter

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.cases import OPEN_STATUSES, CaseStatus, EventKind

from .models import Case, CaseEvent, InboxMessage


async def done_deadline_keys(session: AsyncSession, case_id: int) -> frozenset[str]:
    """The deadline actions already recorded for the case (its events' dedupe keys)."""
    rows = await session.scalars(
        select(CaseEvent.dedupe_key).where(
            CaseEvent.case_id == case_id, CaseEvent.dedupe_key.is_not(None)
        )
    )
    return frozenset(key for key in rows if key)


async def open_case_ids(session: AsyncSession) -> list[int]:
    rows = await session.scalars(
        select(Case.id).where(Case.status.in_([s.value for s in OPEN_STATUSES])).order_by(Case.id)
    )
    return list(rows)


async def open_cases(
    session: AsyncSession,
    *,
    reporter_id: str | None = None,
    merchant_id: int | None = None,
    assignee_id: str | None = None,
    office_id: int | None = None,
    room_id: str | None = None,
) -> list[Case]:
    """Open cases, oldest first, narrowed by reporter / merchant / assignee / office / room."""
    statement = (
        select(Case)
        .where(Case.status.in_([status.value for status in OPEN_STATUSES]))
        .order_by(Case.received_at, Case.id)
    )
    if reporter_id is not None:
        statement = statement.where(Case.reporter_id == reporter_id)
    if merchant_id is not None:
        statement = statement.where(Case.merchant_id == merchant_id)
    if assignee_id is not None:
        statement = statement.where(Case.assignee_id == assignee_id)
    if office_id is not None:
        statement = statement.where(Case.office_id == office_id)
    if room_id is not None:
        statement = statement.where(Case.room_id == room_id)
    return list(await session.scalars(statement))


async def open_for_merchant(
    session: AsyncSession, merchant_id: int, names: Collection[str]
) -> list[Case]:
    """Every open case of the merchant, in any group: by id, or naming it exactly (its name
    or an alias) without a registry merchant yet; by id."""
    exact = [name for name in names if name]
    rows = await session.scalars(
        select(Case)
        .where(Case.status.in_([s.value for s in OPEN_STATUSES]))
        .where(
            or_(
                Case.merchant_id == merchant_id,
                and_(Case.merchant_id.is_(None), Case.merchant_name.in_(exact)),
            )
        )
        .order_by(Case.id)
    )
    return list(rows)


async def notified_case_ids(session: AsyncSession, case_ids: Collection[int]) -> set[int]:
    """Which of these cases have had their merchant notified."""
    if not case_ids:
        return set()
    rows = await session.scalars(
        select(CaseEvent.case_id).where(
            CaseEvent.case_id.in_(case_ids), CaseEvent.kind == EventKind.NOTIFIED.value
        )
    )
    return set(rows)


async def in_room(
    session: AsyncSession,
    room_id: str,
    statuses: Collection[CaseStatus],
    *,
    reporter_id: str | None = None,
    merchant_id: int | None = None,
) -> list[Case]:
    """The room's cases in one of `statuses`, of a reporter or a merchant, by id."""
    statement = select(Case).where(
        Case.room_id == room_id, Case.status.in_([s.value for s in statuses])
    )
    if reporter_id is not None:
        statement = statement.where(Case.reporter_id == reporter_id)
    if merchant_id is not None:
        statement = statement.where(Case.merchant_id == merchant_id)
    # sorted here: asked to, SQLite read the room's every case in id order instead of using
    # the index on the reporter, the room and the status
    return sorted(await session.scalars(statement), key=attrgetter("id"))


async def closed_before_not_erased(
    session: AsyncSession, before: datetime, limit: int
) -> list[Case]:
    """Cases closed before `before` whose personal data is still there, by id."""
    rows = await session.scalars(
        select(Case)
        .where(Case.closed_at.is_not(None), Case.closed_at < before)
        .where(Case.personal_data_erased_at.is_(None))
        .order_by(Case.id)
        .limit(limit)
    )
    return list(rows)


async def source_messages(session: AsyncSession, case: Case) -> list[InboxMessage]:
    """The inbox messages the case was made of: its first, and those its events name."""
    inbox_ids = {
        event.data.get("inbox_id")
        for event in await session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))
    }
    inbox_ids.discard(None)
    rows = await session.scalars(
        select(InboxMessage).where(
            (InboxMessage.id.in_(inbox_ids)) | (InboxMessage.message_id == case.source_message_id)
        )
    )
    return list(rows)
