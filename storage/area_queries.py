"""Where a month's complaints came from: the cases' street and community (taken from the
survey registry when the case's merchant was set, `handlers.case_merchant`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.cases import UNCOUNTED_STATUSES
from mediation.reports import Month

from .models import Case
from .report_queries import received_in


@dataclass(frozen=True)
class AreaSplit:
    """(name, cases received) largest first; cases without an area are left out."""

    by_street: list[tuple[str, int]]
    by_community: list[tuple[str, int]]
    by_grid: list[tuple[str, int]]

    @property
    def empty(self) -> bool:
        return not (self.by_street or self.by_community or self.by_grid)


async def received_by_area(
    session: AsyncSession, month: Month, tz: ZoneInfo, office_id: int | None = None
) -> AreaSplit:
    statement = (
        select(Case.street, Case.community, Case.grid, func.count())
        .where(received_in(month, tz), Case.status.not_in([s.value for s in UNCOUNTED_STATUSES]))
        .group_by(Case.street, Case.community, Case.grid)
    )
    if office_id is not None:
        statement = statement.where(Case.office_id == office_id)
    rows = (await session.execute(statement)).all()
    return AreaSplit(
        _ranked((street, count) for street, _, _, count in rows),
        _ranked((community, count) for _, community, _, count in rows),
        _ranked((grid, count) for _, _, grid, count in rows),
    )


def _ranked(pairs: Iterable[tuple[str | None, int]]) -> list[tuple[str, int]]:
    totals: dict[str, int] = {}
    for name, count in pairs:
        if name:
            totals[name] = totals.get(name, 0) + int(count)
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))
