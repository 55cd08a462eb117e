"""Calendar overrides staff apply from the State Council's yearly holiday notice."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import CalendarOverride


async def load_overrides(session: AsyncSession) -> tuple[list[date], list[date]]:
    """(extra holidays, extra working days)."""
    rows = await session.scalars(select(CalendarOverride).order_by(CalendarOverride.day))
    holidays, working_days = [], []
    for row in rows:
        (working_days if row.is_working_day else holidays).append(row.day)
    return holidays, working_days


async def set_override(session: AsyncSession, day: date, is_working_day: bool, note: str) -> None:
    row = await session.get(CalendarOverride, day)
    if row is None:
        session.add(CalendarOverride(day=day, is_working_day=is_working_day, note=note))
    else:
        row.is_working_day = is_working_day
        row.note = note


async def list_overrides(session: AsyncSession, year: int) -> list[CalendarOverride]:
    rows = await session.scalars(
        select(CalendarOverride)
        .where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
        .order_by(CalendarOverride.day)
    )
    return list(rows)
