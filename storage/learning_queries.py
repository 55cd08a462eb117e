"""What /案例 searches and what spike alerts and hot issues count (issue 21)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.cases import CLOSED_STATUSES, UNCOUNTED_STATUSES
from mediation.hot_issues import HotIssueCase

from .models import Case, TypicalCase
from .typical_cases import PUBLISHED

SEARCHED_CLOSED_CASES = 2000  # an office's newest closed cases /案例 searches


async def closed_cases(
    session: AsyncSession, office_id: int | None, limit: int = SEARCHED_CLOSED_CASES
) -> list[Case]:
    query = select(Case).where(
        Case.status.in_([status.value for status in CLOSED_STATUSES - UNCOUNTED_STATUSES])
    )
    if office_id is not None:
        query = query.where(Case.office_id == office_id)
    query = query.order_by(Case.closed_at.desc(), Case.id.desc()).limit(limit)
    return list(await session.scalars(query))


async def published_with_cases(
    session: AsyncSession, office_id: int | None
) -> list[tuple[TypicalCase, Case]]:
    query = (
        select(TypicalCase, Case)
        .join(Case, Case.id == TypicalCase.case_id)
        .where(TypicalCase.state == PUBLISHED)
    )
    if office_id is not None:
        query = query.where(TypicalCase.office_id == office_id)
    rows = await session.execute(query.order_by(TypicalCase.published_at.desc()))
    return [(typical, case) for typical, case in rows.all()]


async def hot_issue_cases(
    session: AsyncSession,
    since: datetime,
    until: datetime | None = None,
    office_id: int | None = None,
    alike: Case | None = None,
) -> list[HotIssueCase]:
    """Complaints received from `since` (to `until`), as the hot-issue functions read them;
    with `alike`, only those of its merchant or its category: all a spike of it is made of."""
    query = select(
        Case.number,
        Case.received_at,
        Case.category,
        Case.problem,
        Case.merchant_id,
        Case.merchant_name,
        Case.masked_text,
    ).where(Case.received_at >= since)
    if until is not None:
        query = query.where(Case.received_at < until)
    if office_id is not None:
        query = query.where(Case.office_id == office_id)
    if alike is not None:
        query = query.where(_same_merchant_or_category(alike))
    rows = await session.execute(query.order_by(Case.received_at, Case.id))
    return [HotIssueCase(*row) for row in rows.all()]


def _same_merchant_or_category(case: Case) -> ColumnElement[bool]:
    """The cases of `case`'s merchant (by id; without one, by name) or of its category."""
    alike = []
    if case.merchant_id is not None:
        alike.append(Case.merchant_id == case.merchant_id)
    elif case.merchant_name and case.merchant_name.strip():
        alike.append(Case.merchant_name == case.merchant_name)
    if case.category:
        alike.append(Case.category == case.category)
    return or_(false(), *alike)
