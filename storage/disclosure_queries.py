"""The case facts per-merchant disclosure (公示) and the 放心消费 review count, read as
`mediation.disclosure.DisclosureCase`s: no text, no consumer, only what the figures need.

A case's first-answer deadline is worked out with the working-day calendar from its
acceptance (`mediation.deadlines.case_deadlines`); its first answer is the earliest
merchant reply recorded in its events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.cases import CaseStatus, EventKind
from mediation.deadlines import CaseTimes, DeadlinePolicy, case_deadlines
from mediation.disclosure import DisclosureCase
from mediation.workdays import WorkingCalendar

from .models import Case, CaseEvent, Merchant
from .report_queries import counted


async def disclosure_cases(
    session: AsyncSession,
    since: datetime,
    *,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy,
    tz: ZoneInfo,
) -> list[DisclosureCase]:
    """Cases received since `since` (UTC), with their registered merchant if any (not the
    duplicates merged into another case)."""
    first_answers = (
        select(CaseEvent.case_id, func.min(CaseEvent.at).label("first_answered_at"))
        .where(CaseEvent.kind == EventKind.MERCHANT_REPLIED.value)
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            Case.number,
            Case.merchant_id,
            Merchant.name,
            Merchant.committed,
            Case.status,
            Case.received_at,
            Case.accepted_at,
            Case.closed_at,
            Case.working_days_to_close,
            first_answers.c.first_answered_at,
        )
        .outerjoin(Merchant, Merchant.id == Case.merchant_id)
        .outerjoin(first_answers, first_answers.c.case_id == Case.id)
        .where(Case.received_at >= since, counted())  # not merged or voided (UNCOUNTED_STATUSES)
    )
    facts = []
    for row in rows.all():
        status = CaseStatus(row.status)
        due = None
        if row.accepted_at is not None:
            times = CaseTimes(status, row.received_at, row.accepted_at, None, frozenset())
            by = case_deadlines(times, calendar, policy, tz).first_answer_by
            if by is not None:
                due = _end_of_day(by, tz)
        facts.append(
            DisclosureCase(
                number=row.number,
                merchant_id=row.merchant_id,
                merchant_name=row.name,
                registered=row.name is not None,
                committed=bool(row.committed),
                status=status,
                received_at=row.received_at,
                closed_at=row.closed_at,
                first_answer_due=due,
                first_answered_at=row.first_answered_at,
                working_days_to_close=row.working_days_to_close,
            )
        )
    return facts


@dataclass(frozen=True)
class CommittedMerchant:
    merchant_id: int
    name: str
    committed_on: date | None


async def committed_merchants(session: AsyncSession) -> list[CommittedMerchant]:
    """The registry's 放心消费 committed merchants, by name."""
    rows = await session.execute(
        select(Merchant.id, Merchant.name, Merchant.committed_on)
        .where(Merchant.committed.is_(True))
        .order_by(Merchant.name)
    )
    return [CommittedMerchant(*row) for row in rows.all()]


def _end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The instant `day` has ended (the deadline module's rule: 00:00 local next day)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
