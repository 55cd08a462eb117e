"""The questions the service layer asks about cases: which are open, which wait for a
merchant, which deadline actions a case has had. (Writing cases: `storage.cases`.)"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.cases import OPEN_STATUSES, CaseStatus

from .models import Case, CaseEvent


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
) -> list[Case]:
    """Open cases, oldest first, narrowed by reporter / merchant / assignee when given."""
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
    return list(await session.scalars(statement))


async def pending_in_room_for_merchant(
    session: AsyncSession, room_id: str, merchant_id: int, names: Collection[str]
) -> list[Case]:
    """The room's cases waiting for acceptance that name the merchant (by id, or a name or
    alias of two characters or more in the merchant text), by id."""
    rows = await session.scalars(
        select(Case)
        .where(Case.room_id == room_id, Case.status == CaseStatus.PENDING)
        .where(
            or_(
                Case.merchant_id == merchant_id,
                *(Case.merchant_name.contains(n) for n in names if len(n) >= 2),
            )
        )
        .order_by(Case.id)
    )
    return list(rows)
