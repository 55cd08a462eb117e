"""Calendar facts kept on each case (`overdue_at`, `working_days_to_close`), so the
statistics are aggregates: written by the case's changes (`store_calendar_facts`), filled in
for cases fresh from intake by the deadline sweep (`refresh_calendar_facts`), and worked out
again when staff change a day of the calendar (`refresh_calendar_facts_around`)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.cases import OPEN_STATUSES
from mediation.deadlines import DeadlinePolicy
from mediation.reports import CalendarFactsCalculator
from mediation.workdays import WorkingCalendar

from .calendar import load_overrides
from .models import Case


def facts_unknown() -> ColumnElement[bool]:
    """Cases whose calendar facts are not worked out yet (see `storage.models.Case`)."""
    return and_(Case.overdue_at.is_(None), Case.working_days_to_close.is_(None))



def store_calendar_facts(case: Case, calculator: CalendarFactsCalculator) -> None:
    """Write the case's calendar facts on its row, in the caller's transaction."""
    facts = calculator.facts(case.received_at, case.accepted_at, case.closed_at)
    case.overdue_at = facts.overdue_at
    case.working_days_to_close = facts.working_days_to_close


def forget_calendar_facts(case: Case) -> None:
    """Mark the case's facts unknown: the report judges it itself until the sweep fills them."""
    case.overdue_at = None
    case.working_days_to_close = None


async def refresh_calendar_facts(
    session: AsyncSession,
    calculator: CalendarFactsCalculator,
    *,
    open_cases: bool = True,
    where: ColumnElement[bool] | None = None,
) -> int:
    """Work out again the facts of the cases whose facts are unknown and, with `open_cases`,
    of the open ones (or of the cases `where` picks); write the ones that changed and
    return how many did.

    Open cases are the ones a change of calendar or deadline settings can still move; the
    deadline sweep asks for them with each new calendar, so such a change reaches them
    within a sweep. Reading them all costs about a second per 30,000 open cases.
    """
    columns = (
        Case.id,
        Case.received_at,
        Case.accepted_at,
        Case.closed_at,
        Case.overdue_at,
        Case.working_days_to_close,
    )
    if where is not None:
        picks = [where]
    elif open_cases:
        picks = [facts_unknown(), Case.status.in_([status.value for status in OPEN_STATUSES])]
    else:
        picks = [facts_unknown()]
    rows: dict[int, Row[Any]] = {}
    for pick in picks:
        for row in (await session.execute(select(*columns).where(pick))).all():
            rows[row.id] = row
    changes = []
    for case_id in sorted(rows):  # one order for every process: no deadlock between sweeps
        row = rows[case_id]
        facts = calculator.facts(row.received_at, row.accepted_at, row.closed_at)
        if (row.overdue_at, row.working_days_to_close) != (
            facts.overdue_at,
            facts.working_days_to_close,
        ):
            changes.append(
                {
                    "id": case_id,
                    "overdue_at": facts.overdue_at,
                    "working_days_to_close": facts.working_days_to_close,
                }
            )
    if changes:
        await session.execute(update(Case), changes)
    return len(changes)


async def refresh_calendar_facts_around(
    session: AsyncSession, day: date, policy: DeadlinePolicy, tz: ZoneInfo
) -> int:
    """After staff have made `day` a holiday or a working day (`storage.calendar`): work
    out again, with the overrides as they now stand in `session`, the facts of every case
    the day can change, and return how many changed.

    Those are the cases received before the day and not closed before it: a deadline the
    day moves stays on the day or after it, so a case decided and closed earlier met or
    missed its deadlines as before, and one received on the day or later never counts it.
    """
    holidays, working_days = await load_overrides(session)
    calculator = CalendarFactsCalculator(WorkingCalendar(holidays, working_days), policy, tz)
    start = datetime.combine(day, time(0), tzinfo=tz)
    return await refresh_calendar_facts(
        session,
        calculator,
        where=and_(
            Case.received_at < start, or_(Case.closed_at.is_(None), Case.closed_at >= start)
        ),
    )


