"""The report's aggregate queries give, figure for figure, what the per-case computation
gives, on months that take every path through them.

A few hundred generated cases over four months, on SQLite and (when configured) on
PostgreSQL: ties among the amounts returned, resolved cases without an amount or with 0,
a registry merchant with a blank name, complaints without a registry merchant (one under a
registry merchant's name), cases whose calendar facts are not worked out yet, cases closed
or received right at a month's local or UTC start, and cases accepted before they were
received or closed before they were accepted (a clock set back). The amount returned
depends on the month a case was closed in, so the months differ in how their typical
cases are found: May's many amounts among the largest of all time, June's top all tied
(every tied case read), July's and August's amounts of 0 or none from the month's own
range, and a grid's always from its own cases. Each time zone starts its months before
the UTC month (Shanghai), after it (New York) or with it.
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.cases import CaseStatus
from mediation.deadlines import DeadlinePolicy
from mediation.parsing.categories import category_group
from mediation.reports import CalendarFactsCalculator, Month, MonthlyReport, build_monthly_report
from mediation.workdays import WorkingCalendar
from storage import reports
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_to_head
from storage.models import Case, Merchant, Room

from .report_seed import SHANGHAI, sh

CALENDAR = WorkingCalendar()
POLICY = DeadlinePolicy()
CATEGORIES = ["餐饮住宿", "食品", "美容美发洗浴", None]
PROBLEMS = ["价格", "质量", "合同", None]
MERCHANTS = [
    ("张记饺子馆", "湖西街道1社区"),
    ("李氏美发", "湖西街道2社区"),
    ("好又多超市", "东湖街道1社区"),
    (" ", "东湖街道2社区"),  # a blank registry name: never among the top merchants
    ("王记面馆", None),
]
UNREGISTERED = ["张记饺子馆", "路边摊", None]  # the first is also a registry name
MAY, JUNE, JULY, AUGUST = (Month(2026, n) for n in (5, 6, 7, 8))
NOW = sh(2026, 8, 20, 15)
# months that begin before the UTC month (Shanghai), after it (New York), or with it
TIME_ZONES = (SHANGHAI, ZoneInfo("America/New_York"), ZoneInfo("UTC"))


def money_for(closed: datetime, rng: random.Random) -> Decimal | None:
    """Closed in May: many different amounts; in June: a top of ties; later: 0 or none."""
    month = Month.of(closed, SHANGHAI)
    if month == MAY:
        return Decimal(rng.randrange(1, 5_000)) / 4
    if month == JUNE:
        return rng.choice([Decimal("300"), Decimal("300"), Decimal("0"), None, Decimal("12.5")])
    return rng.choice([Decimal("0"), None])


def timeline(rng: random.Random, month: Month) -> tuple[datetime, datetime | None, datetime | None]:
    start = month.start_utc(SHANGHAI)
    received = start + timedelta(minutes=rng.randrange(0, 30 * 24 * 60))
    if rng.random() < 0.1:  # right at the local or the UTC month's start, on either side
        utc_start = datetime(month.year, month.month, 1, tzinfo=UTC)
        received = rng.choice([start, utc_start]) - timedelta(microseconds=rng.choice([0, 1]))
    accepted = received + timedelta(hours=rng.uniform(0, 200)) if rng.random() < 0.85 else None
    closed = None
    if rng.random() < 0.75:
        closed = (accepted or received) + timedelta(hours=rng.uniform(0, 700))
        if rng.random() < 0.05:  # closed on the stroke of the next month
            closed = max(closed, month.end_utc(SHANGHAI))
    if accepted is not None and rng.random() < 0.04:  # a clock set back: accepted first
        accepted = received - timedelta(hours=rng.uniform(0, 48))
    if closed is not None and accepted is not None and rng.random() < 0.04:  # closed first
        closed = accepted - timedelta(hours=rng.uniform(0, 48))
    if closed is not None and closed > NOW:
        closed = None
    if accepted is not None and accepted > NOW:
        accepted = None
    return received, accepted, closed


async def seed(session: AsyncSession, rng: random.Random, tz: ZoneInfo) -> None:
    """The cases, with their calendar facts as a bot in `tz` writes them, instead of any
    seeded before."""
    for table in (Case, Merchant, Room):
        await session.execute(delete(table))
    session.add(Room(id="room-1", name="", first_seen_at=sh(2025, 1, 1)))
    merchant_ids = []
    for name, grid in MERCHANTS:
        merchant = Merchant(name=name, aliases=[], grid=grid, created_at=sh(2025, 1, 1))
        session.add(merchant)
        await session.flush()
        merchant_ids.append(merchant.id)
    calculator = CalendarFactsCalculator(CALENDAR, POLICY, tz)
    per_month = {MAY: 160, JUNE: 120, JULY: 90, AUGUST: 40}
    number = 0
    for month, count in per_month.items():
        for _ in range(count):
            number += 1
            received, accepted, closed = timeline(rng, month)
            if closed is None:
                status = CaseStatus.MEDIATING if accepted else CaseStatus.PENDING
            elif accepted is None:
                status = rng.choice([CaseStatus.WITHDRAWN, CaseStatus.REFUSED])
            else:
                status = CaseStatus.RESOLVED if rng.random() < 0.75 else CaseStatus.FAILED
            if closed is not None and rng.random() < 0.05:  # a duplicate merged by staff
                status = CaseStatus.MERGED
            resolved = status is CaseStatus.RESOLVED
            registered = rng.random() < 0.8
            merchant_index = rng.randrange(len(MERCHANTS))
            category = rng.choice(CATEGORIES)
            facts = calculator.facts(received, accepted, closed)
            unknown = rng.random() < 0.05  # fresh from intake: the sweep has not run yet
            session.add(
                Case(
                    number=f"T-{number:05d}",
                    room_id="room-1",
                    reporter_id="grid-li",
                    merchant_id=merchant_ids[merchant_index] if registered else None,
                    merchant_name=(
                        MERCHANTS[merchant_index][0] if registered else rng.choice(UNREGISTERED)
                    ),
                    raw_text="",
                    masked_text="",
                    category=category,
                    category_group=category_group(category) if category else None,
                    problem=rng.choice(PROBLEMS),
                    status=status.value,
                    money_returned=money_for(closed, rng) if closed and resolved else None,
                    rating=rng.randint(1, 5) if resolved and rng.random() < 0.5 else None,
                    received_at=received,
                    accepted_at=accepted,
                    closed_at=closed,
                    updated_at=closed or accepted or received,
                    overdue_at=None if unknown else facts.overdue_at,
                    working_days_to_close=None if unknown else facts.working_days_to_close,
                )
            )


async def per_case(
    session: AsyncSession, month: Month, tz: ZoneInfo, grid: str | None, now: datetime | None
) -> MonthlyReport:
    """The report as computed case by case, every case judged with the calendar."""
    current = await reports.case_facts(
        session, month, tz, CALENDAR, grid=grid, policy=POLICY, now=now
    )
    before = [
        await reports.received_facts(session, other, tz, CALENDAR, grid=grid, policy=POLICY)
        for other in (month.previous(), month.same_month_last_year())
    ]
    return build_monthly_report(month, current, *before, tz=tz)


async def test_every_month_grid_and_time_zone_reports_what_the_cases_one_by_one_give(
    each_database: str,
) -> None:
    engine = create_engine(each_database)
    try:
        await upgrade_to_head(engine)
        sessions = create_session_factory(engine)
        for tz in TIME_ZONES:
            async with sessions.begin() as session:
                await seed(session, random.Random(8), tz)
            async with sessions() as session:
                for month, grid in itertools.product(
                    (MAY, JUNE, JULY, AUGUST), (None, "湖西", "东湖街道2")
                ):
                    now = NOW.astimezone(UTC) if month == AUGUST else None
                    report = await reports.monthly_report(
                        session, month, tz, CALENDAR, grid=grid, policy=POLICY, now=now
                    )
                    expected = await per_case(session, month, tz, grid, now)
                    assert report == expected, (tz, month, grid)
                    if grid is None:
                        assert report.received > 0 and report.typical_cases, (tz, month)
    finally:
        await engine.dispose()


async def test_sqlite_database_at_head_has_the_month_index_the_report_reads(
    tmp_path: Path,
) -> None:
    """The index on an expression that Alembic cannot compare with the models."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'schema.sqlite3'}")
    try:
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            definition = await connection.scalar(
                text("SELECT sql FROM sqlite_master WHERE name = 'ix_cases_received_month'")
            )
    finally:
        await engine.dispose()
    assert definition is not None
    assert "substr(received_at, 1, 7), merchant_id" in definition
