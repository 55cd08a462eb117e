"""Loading what the statistics need: one query per month, on the cases' own timestamps.

Month boundaries are local midnights turned into UTC instants, so every filter is a plain
range on `received_at` / `closed_at` (both indexed for the 1,000,000-case optimisation to
come). The rows are turned into `CaseFacts` (no personal data) in Python; nothing here
queries case by case.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.cases import OPEN_STATUSES, CaseStatus
from mediation.deadlines import DeadlinePolicy
from mediation.reports import (
    CaseFacts,
    Month,
    MonthlyReport,
    build_monthly_report,
    was_overdue,
    working_days_to_close,
)
from mediation.workdays import WorkingCalendar

from .models import Case, Merchant

_FACT_COLUMNS = (
    Case.number,
    Case.received_at,
    Case.accepted_at,
    Case.closed_at,
    Case.status,
    Case.category,
    Case.category_group,
    Case.problem,
    func.coalesce(Merchant.name, Case.merchant_name).label("merchant_name"),
    Case.merchant_id,
    Merchant.grid,
    Case.money_returned,
    Case.rating,
)


def active_in(month: Month, tz: ZoneInfo) -> ColumnElement[bool]:
    """Cases received before the month ended and not closed before it began.

    That is every case received, accepted or closed in the month, or open at its end.
    """
    return and_(
        Case.received_at < month.end_utc(tz),
        or_(Case.closed_at.is_(None), Case.closed_at >= month.start_utc(tz)),
    )


def received_in(month: Month, tz: ZoneInfo) -> ColumnElement[bool]:
    return and_(Case.received_at >= month.start_utc(tz), Case.received_at < month.end_utc(tz))


def in_grid(grid: str) -> ColumnElement[bool]:
    """Cases against registry merchants whose grid (社区/网格) contains the given words."""
    return Merchant.grid.contains(grid.strip(), autoescape=True)


async def case_facts(
    session: AsyncSession,
    month: Month,
    tz: ZoneInfo,
    calendar: WorkingCalendar,
    *,
    grid: str | None = None,
    policy: DeadlinePolicy | None = None,
    now: datetime | None = None,
) -> list[CaseFacts]:
    """The cases active in the month (see `active_in`), overdue judged at its end.

    Pass `now` for a month that has not ended yet: overdue is then judged at `now`.
    """
    as_of = month.end_utc(tz) if now is None else min(month.end_utc(tz), now)
    return await _load(session, active_in(month, tz), grid, as_of, tz, calendar, policy)


async def received_facts(
    session: AsyncSession,
    month: Month,
    tz: ZoneInfo,
    calendar: WorkingCalendar,
    *,
    grid: str | None = None,
    policy: DeadlinePolicy | None = None,
) -> list[CaseFacts]:
    """Only the cases received in the month (enough for 环比 / 同比)."""
    as_of = month.end_utc(tz)
    return await _load(session, received_in(month, tz), grid, as_of, tz, calendar, policy)


async def monthly_report(
    session: AsyncSession,
    month: Month,
    tz: ZoneInfo,
    calendar: WorkingCalendar,
    *,
    grid: str | None = None,
    policy: DeadlinePolicy | None = None,
    now: datetime | None = None,
) -> MonthlyReport:
    """The month's report, with the previous month and the same month last year loaded."""
    current = await case_facts(session, month, tz, calendar, grid=grid, policy=policy, now=now)
    previous = await received_facts(
        session, month.previous(), tz, calendar, grid=grid, policy=policy
    )
    last_year = await received_facts(
        session, month.same_month_last_year(), tz, calendar, grid=grid, policy=policy
    )
    return build_monthly_report(month, current, previous, last_year, tz=tz)


async def _load(
    session: AsyncSession,
    where: ColumnElement[bool],
    grid: str | None,
    as_of: datetime,
    tz: ZoneInfo,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy | None,
) -> list[CaseFacts]:
    statement = (
        select(*_FACT_COLUMNS)
        .outerjoin(Merchant, Merchant.id == Case.merchant_id)
        .where(where)
        .order_by(Case.received_at, Case.id)
    )
    if grid:
        statement = statement.where(in_grid(grid))
    rows = (await session.execute(statement)).all()
    return facts_of(rows, as_of=as_of, tz=tz, calendar=calendar, policy=policy)


def facts_of(
    rows: Sequence[Row[tuple[object, ...]]],
    *,
    as_of: datetime,
    tz: ZoneInfo,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy | None = None,
) -> list[CaseFacts]:
    policy = policy or DeadlinePolicy()
    return [
        CaseFacts(
            number=row.number,
            received_at=row.received_at,
            accepted_at=row.accepted_at,
            closed_at=row.closed_at,
            status=CaseStatus(row.status),
            category=row.category,
            category_group=row.category_group,
            problem=row.problem,
            merchant_name=row.merchant_name,
            merchant_id=row.merchant_id,
            grid=row.grid,
            money_returned=row.money_returned,
            rating=row.rating,
            overdue=was_overdue(
                received_at=row.received_at,
                accepted_at=row.accepted_at,
                closed_at=row.closed_at,
                as_of=as_of,
                calendar=calendar,
                policy=policy,
                tz=tz,
            ),
            working_days_to_close=working_days_to_close(
                row.received_at, row.closed_at, calendar, tz
            ),
        )
        for row in rows
    ]


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


async def cases_active_in(
    session: AsyncSession, month: Month, tz: ZoneInfo
) -> list[tuple[Case, str | None]]:
    """Full case rows active in the month with their registry grid (for staff exports)."""
    rows = await session.execute(
        select(Case, Merchant.grid)
        .outerjoin(Merchant, Merchant.id == Case.merchant_id)
        .where(active_in(month, tz))
        .order_by(Case.received_at, Case.id)
    )
    return [(case, grid) for case, grid in rows.all()]
