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
