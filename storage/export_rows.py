"""The staff export's rows: a month's cases as plain rows for the workbook."""

from __future__ import annotations

import asyncio
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.cases import UNCOUNTED_STATUSES
from mediation.reports import Month

from .models import Case, Merchant
from .report_queries import active_in

EXPORT_ROWS_AT_ONCE = 1000


async def export_rows(session: AsyncSession, month: Month, tz: ZoneInfo) -> list[Row[Any]]:
    """The cases active in the month for the staff export, as plain rows: the workbook's
    columns, the registry grid and the stored calendar facts (`overdue_at`,
    `working_days_to_close`). A city's month is tens of thousands of cases: nothing is
    loaded into the session, and the rows can be handed to a thread."""
    statement = (
        select(
            Case.number,
            Case.received_at,
            Case.accepted_at,
            Case.closed_at,
            Case.status,
            Case.merchant_name,
            Merchant.grid,
            Case.category,
            Case.category_group,
            Case.problem,
            Case.amount,
            Case.demands,
            Case.money_returned,
            Case.rating,
            # 投诉人 is the consumer: a relayed complaint's, not the relaying grid worker
            case(
                (Case.relayed, func.coalesce(Case.consumer_name, "")), else_=Case.reporter_name
            ).label("reporter_name"),
            Case.contacts,
            Case.raw_text,
            Case.overdue_at,
            Case.working_days_to_close,
        )
        .outerjoin(Merchant, Merchant.id == Case.merchant_id)
        .where(active_in(month, tz), Case.status.not_in([s.value for s in UNCOUNTED_STATUSES]))
        .order_by(Case.received_at, Case.id)
    )
    rows: list[Row[Any]] = []
    streamed = await session.stream(statement)
    async for part in streamed.partitions(EXPORT_ROWS_AT_ONCE):
        rows.extend(part)
        await asyncio.sleep(0)  # the loop serves others between parts
    return rows
