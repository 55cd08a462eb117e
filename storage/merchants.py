"""The merchant registry's queries. Writes go through `handlers.merchants.save_merchant`,
which also raises the reference version so every process reloads the registry."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.cases import OPEN_STATUSES, CaseStatus

from .models import Case, Member, Merchant


async def by_name(session: AsyncSession, name: str) -> Merchant | None:
    return await session.scalar(select(Merchant).where(Merchant.name == name))


async def by_name_or_alias(session: AsyncSession, name: str) -> Merchant | None:
    """By registry name, else by alias (the registry is small: aliases are read in Python)."""
    merchant = await by_name(session, name)
    if merchant is not None:
        return merchant
    for candidate in await session.scalars(select(Merchant).order_by(Merchant.id)):
        if name in candidate.aliases:
            return candidate
    return None


async def all_merchants(session: AsyncSession, name_contains: str | None = None) -> list[Merchant]:
    """The registry by id, optionally only the names containing some words."""
    query = select(Merchant).order_by(Merchant.id)
    if name_contains:
        query = query.where(Merchant.name.contains(name_contains, autoescape=True))
    return list(await session.scalars(query))


async def with_open_case_counts(
    session: AsyncSession, grid: str | None = None
) -> list[tuple[str, str | None, int]]:
    """(name, grid, open cases) of every merchant by name, optionally of one grid only."""
    open_counts = (
        select(Case.merchant_id, func.count().label("open_cases"))
        .where(Case.status.in_([status.value for status in OPEN_STATUSES]))
        .group_by(Case.merchant_id)
        .subquery()
    )
    statement = (
        select(Merchant.name, Merchant.grid, func.coalesce(open_counts.c.open_cases, 0))
        .outerjoin(open_counts, open_counts.c.merchant_id == Merchant.id)
        .order_by(Merchant.name)
    )
    if grid:
        statement = statement.where(Merchant.grid.contains(grid.strip(), autoescape=True))
    result = await session.execute(statement)
    return [(name, grid, int(count)) for name, grid, count in result]


@dataclass(frozen=True)
class MerchantRecord:
    """What the registry knows of a merchant's cases and group members."""

    bound_members: int
    cases_by_status: dict[str, int]
    money_returned: Decimal

    @property
    def cases(self) -> int:
        return sum(self.cases_by_status.values())

    @property
    def open_cases(self) -> int:
        return sum(n for status, n in self.cases_by_status.items() if status in OPEN_STATUSES)

    @property
    def resolved(self) -> int:
        return self.cases_by_status.get(CaseStatus.RESOLVED.value, 0)


async def record_of(session: AsyncSession, merchant_id: int) -> MerchantRecord:
    bound = await bound_member_count(session, merchant_id)
    statuses = dict(
        (
            await session.execute(
                select(Case.status, func.count())
                .where(Case.merchant_id == merchant_id)
                .group_by(Case.status)
            )
        ).all()
    )
    money = await session.scalar(
        select(func.coalesce(func.sum(Case.money_returned), 0)).where(
            Case.merchant_id == merchant_id, Case.status == CaseStatus.RESOLVED.value
        )
    )
    return MerchantRecord(bound, statuses, Decimal(str(money or 0)))


async def bound_member_count(session: AsyncSession, merchant_id: int) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Member).where(Member.merchant_id == merchant_id)
    )
    return int(count or 0)


async def case_count(session: AsyncSession, merchant_id: int) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Case).where(Case.merchant_id == merchant_id)
    )
    return int(count or 0)


async def recent_cases(session: AsyncSession, merchant_id: int, limit: int = 5) -> list[Case]:
    """The merchant's latest cases, newest first."""
    rows = await session.scalars(
        select(Case)
        .where(Case.merchant_id == merchant_id)
        .order_by(Case.received_at.desc(), Case.id.desc())
        .limit(limit)
    )
    return list(rows)
