"""What the joint-meeting pack (联席会议) reads: a month's cases, open cases, the registry."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.reports import Month

from .models import Case, Merchant


async def received_in_month(
    session: AsyncSession, month: Month, tz: ZoneInfo, office_id: int | None = None
) -> list[Case]:
    query = select(Case).where(
        Case.received_at >= month.start_utc(tz), Case.received_at < month.end_utc(tz)
    )
    if office_id is not None:
        query = query.where(Case.office_id == office_id)
    return list(await session.scalars(query.order_by(Case.received_at, Case.id)))


async def registered_merchants(session: AsyncSession) -> list[Merchant]:
    return list(await session.scalars(select(Merchant).order_by(Merchant.name)))
