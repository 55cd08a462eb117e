"""Statistics over a city's worth of cases: `/stats` for one month and the monthly summary.

Run from the repository root:

    .venv/bin/python bench/stats.py [--cases 1000000] [--months 36] [--rounds 5]
    .venv/bin/python bench/stats.py --database-url postgresql+asyncpg://…   # PostgreSQL

The cases are generated with bulk inserts (executemany on SQLite, COPY on PostgreSQL) into a
database migrated with the real Alembic chain, spread evenly over `--months` months that end
on `NOW` below, and kept between runs: the SQLite file lives in data/bench/ and is reused when
it already holds the requested number of cases (`--fresh` rebuilds it). Timed, best and
median of `--rounds`:

- `/stats` (this month, as of NOW): `storage.reports.monthly_report` with `now`, plus the text
  the bot replies with;
- `/stats 上月 <网格>`: last month for one grid (the LIKE filter on the merchants' grid);
- the monthly summary of last month: the same report, plus the summary text (the chart is
  timed on its own: it is drawn once a month, not per room);
- the SQL alone: the three queries the report runs (active this month, received last month,
  received in the same month last year), fetched without building the report;
- the same figures as SQL aggregates over the report indexes of migration 0006 (every
  figure but `overdue`, which needs each case's deadlines), checked against the report; and
  the average working days to close, the one figure that needs the calendar per case, from
  the closed cases' two timestamps.

The reference is the target of 100 ms per command; the ratio printed is time / 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession  # noqa: E402

from mediation import templates  # noqa: E402
from mediation.cases import CaseStatus  # noqa: E402
from mediation.deadlines import DeadlinePolicy  # noqa: E402
from mediation.parsing.categories import GOODS, SERVICES, category_group  # noqa: E402
from mediation.parsing.problems import PROBLEMS  # noqa: E402
from mediation.reports import Month  # noqa: E402
from mediation.workdays import WorkingCalendar  # noqa: E402
from storage import reports  # noqa: E402
from storage.db import create_engine, create_session_factory  # noqa: E402
from storage.migrate import upgrade_to_head  # noqa: E402
from storage.models import Case, Merchant  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=TZ).astimezone(UTC)
TARGET_MS = 100.0
MERCHANTS = 5_000
ROOMS = 200
GRIDS = [
    f"{street}街道{n}社区"
    for street in ("湖西", "东湖", "城南", "江北", "新城")
    for n in range(1, 21)
]
BATCH = 50_000
OPEN_WINDOW = timedelta(days=60)  # only cases this recent may still be open
CATEGORIES = (*GOODS, *SERVICES)


@dataclass(frozen=True)
class GeneratedCase:
    number: str
    room_id: str
    reporter_id: str
    merchant_id: int
    merchant_name: str
    amount: Decimal
    category: str
    problem: str
    status: str
    money_returned: Decimal | None
    rating: int | None
    received_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None


def generate(cases: int, months: int, seed: int = 8) -> Iterator[GeneratedCase]:
    """`cases` cases received evenly over the `months` months before NOW, oldest first."""
    rng = random.Random(seed)
    span = timedelta(days=30.44 * months)
    start = NOW - span
    step = span / cases
    sequence: dict[str, int] = {}
    for index in range(cases):
        received = start + step * index + timedelta(seconds=rng.random() * 60)
        period = received.astimezone(TZ).strftime("%Y%m")
        sequence[period] = sequence.get(period, 0) + 1
        merchant = rng.randrange(1, MERCHANTS + 1)
        accepted = received + timedelta(hours=rng.uniform(1, 96)) if rng.random() < 0.9 else None
        closed: datetime | None = (accepted or received) + timedelta(days=rng.uniform(0.5, 40))
        if closed is not None and closed > NOW:
            closed = None
        if NOW - received < OPEN_WINDOW and rng.random() < 0.3:
            closed = None
        if closed is None:
            status = CaseStatus.MEDIATING if accepted else CaseStatus.PENDING
        elif accepted is None:
            status = rng.choice((CaseStatus.WITHDRAWN, CaseStatus.REFUSED))
        else:
            status = CaseStatus.RESOLVED if rng.random() < 0.8 else CaseStatus.FAILED
        amount = Decimal(rng.randrange(20, 20_000))
        resolved = status is CaseStatus.RESOLVED
        yield GeneratedCase(
            number=f"CY-{period}-{sequence[period]:06d}",
            room_id=f"room-{merchant % ROOMS}",
            reporter_id=f"grid-{rng.randrange(2_000)}",
            merchant_id=merchant,
            merchant_name=f"商户{merchant}",
            amount=amount,
            category=rng.choice(CATEGORIES),
            problem=rng.choice(PROBLEMS),
            status=status.value,
            money_returned=amount if resolved else None,
            rating=rng.randint(1, 5) if resolved and rng.random() < 0.6 else None,
            received_at=received,
            accepted_at=accepted if accepted is None or accepted <= NOW else None,
            closed_at=closed,
        )


CASE_COLUMNS = (
    "number", "room_id", "reporter_id", "reporter_name", "merchant_id", "merchant_name",
    "raw_text", "masked_text", "amount", "demands", "category", "category_group", "problem",
    "contacts", "missing", "status", "outcome", "money_returned", "rating", "received_at",
    "accepted_at", "closed_at", "updated_at",
)  # fmt: skip


def case_values(case: GeneratedCase, timestamp: Callable[[datetime | None], Any]) -> tuple:  # type: ignore[type-arg]
    text_ = f"【投诉】{case.merchant_name}多收消费者{case.amount}元，要求退款"
    return (
        case.number,
        case.room_id,
        case.reporter_id,
        "网格员",
        case.merchant_id,
        case.merchant_name,
        text_,
        text_,
        case.amount,
        "[]",
        case.category,
        category_group(case.category),
        case.problem,
        "[]",
        "[]",
        case.status,
        None,
        case.money_returned,
        case.rating,
        timestamp(case.received_at),
        timestamp(case.accepted_at),
        timestamp(case.closed_at),
        timestamp(case.closed_at or case.accepted_at or case.received_at),
    )


def sqlite_timestamp(value: datetime | None) -> str | None:
    """The text SQLAlchemy stores for a UTC datetime on SQLite."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def sqlite_number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def load_sqlite(path: Path, cases: int, months: int) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        created = sqlite_timestamp(NOW - timedelta(days=30.44 * months))
        connection.executemany(
            "INSERT INTO rooms (id, name, first_seen_at) VALUES (?, ?, ?)",
            [(f"room-{n}", f"群{n}", created) for n in range(ROOMS)],
        )
        connection.executemany(
            "INSERT INTO merchants (id, name, aliases, grid, created_at) VALUES (?, ?, ?, ?, ?)",
            [
                (n, f"商户{n}", "[]", GRIDS[n % len(GRIDS)], created)
                for n in range(1, MERCHANTS + 1)
            ],
        )
        placeholders = ", ".join("?" for _ in CASE_COLUMNS)
        insert = f"INSERT INTO cases ({', '.join(CASE_COLUMNS)}) VALUES ({placeholders})"
        batch: list[tuple] = []  # type: ignore[type-arg]
        for case in generate(cases, months):
            values = list(case_values(case, sqlite_timestamp))
            values[8] = sqlite_number(values[8])
            values[17] = sqlite_number(values[17])
            batch.append(tuple(values))
            if len(batch) >= BATCH:
                connection.executemany(insert, batch)
                batch.clear()
        connection.executemany(insert, batch)
        connection.commit()
        connection.execute("ANALYZE")
        connection.commit()
    finally:
        connection.close()


async def load_postgres(url: str, cases: int, months: int) -> None:
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        created = NOW - timedelta(days=30.44 * months)
        await connection.copy_records_to_table(
            "rooms",
            records=[(f"room-{n}", f"群{n}", created) for n in range(ROOMS)],
            columns=["id", "name", "first_seen_at"],
        )
        await connection.copy_records_to_table(
            "merchants",
            records=[
                (n, f"商户{n}", "[]", GRIDS[n % len(GRIDS)], created)
                for n in range(1, MERCHANTS + 1)
            ],
            columns=["id", "name", "aliases", "grid", "created_at"],
        )
        await connection.execute(
            "SELECT setval('merchants_id_seq', (SELECT max(id) FROM merchants))"
        )
        batch: list[tuple] = []  # type: ignore[type-arg]
        for case in generate(cases, months):
            batch.append(case_values(case, lambda value: value))
            if len(batch) >= BATCH:
                await connection.copy_records_to_table("cases", records=batch, columns=CASE_COLUMNS)
                batch.clear()
        await connection.copy_records_to_table("cases", records=batch, columns=CASE_COLUMNS)
        await connection.execute("VACUUM ANALYZE")  # index-only scans need the visibility map
    finally:
        await connection.close()


async def prepare(url: str, cases: int, months: int, fresh: bool) -> tuple[AsyncEngine, float]:
    """A migrated database holding exactly `cases` generated cases; seconds spent loading."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite" and fresh:
        path = Path(make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    engine = create_engine(url)
    await upgrade_to_head(engine)
    async with engine.connect() as connection:
        present = await connection.scalar(select(func.count()).select_from(Case))
    if present == cases and not fresh:
        if backend == "sqlite":  # migrations may have added indexes since the load
            async with engine.begin() as connection:
                await connection.execute(text("ANALYZE"))
        return engine, 0.0
    async with engine.begin() as connection:
        for table in ("case_events", "cases", "members", "merchants", "monthly_summaries", "rooms"):
            await connection.execute(text(f"DELETE FROM {table}"))
    started = time.perf_counter()
    if backend == "sqlite":
        await engine.dispose()
        await asyncio.to_thread(load_sqlite, Path(make_url(url).database or ""), cases, months)
    else:
        await load_postgres(url, cases, months)
    return engine, time.perf_counter() - started


@dataclass
class Timing:
    name: str
    seconds: list[float]
    rows: int = 0

    @property
    def best_ms(self) -> float:
        return min(self.seconds) * 1000

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000


async def timed(name: str, rounds: int, work: Callable[[], Awaitable[int]]) -> Timing:
    await work()  # warm: caches, prepared statements, the calendar
    timing = Timing(name, [])
    for _ in range(rounds):
        started = time.perf_counter()
        timing.rows = await work()
        timing.seconds.append(time.perf_counter() - started)
    return timing


async def run(url: str, cases: int, months: int, rounds: int, fresh: bool) -> int:
    engine, loading = await prepare(url, cases, months, fresh)
    sessions = create_session_factory(engine)
    calendar = WorkingCalendar()
    policy = DeadlinePolicy()
    this_month = Month.of(NOW, TZ)
    last_month = this_month.previous()
    grid = GRIDS[3]

    async def stats_now() -> int:
        async with sessions() as session:
            report = await reports.monthly_report(
                session, this_month, TZ, calendar, policy=policy, now=NOW
            )
        templates.stats_report(report)
        return report.received

    async def stats_grid() -> int:
        async with sessions() as session:
            report = await reports.monthly_report(
                session, last_month, TZ, calendar, grid=grid, policy=policy
            )
        templates.stats_report(report, grid)
        return report.received

    async def summary() -> int:
        async with sessions() as session:
            report = await reports.monthly_report(session, last_month, TZ, calendar, policy=policy)
        templates.monthly_summary(report)
        return report.received

    async def sql_only() -> int:
        async with sessions() as session:
            return await fetch_report_rows(session, this_month)

    async def aggregates() -> int:
        async with sessions() as session:
            figures = await aggregate_figures(session, last_month)
        return int(figures["received"])  # type: ignore[call-overload]

    async def working_days() -> int:
        async with sessions() as session:
            return (await average_working_days(session, last_month, calendar))[1]

    timings = [
        await timed("/stats (this month)", rounds, stats_now),
        await timed("/stats 上月 <grid>", rounds, stats_grid),
        await timed("monthly summary (last month, text)", rounds, summary),
        await timed("  of which SQL: the 3 queries, this month", rounds, sql_only),
        await timed("SQL aggregates, last month (no overdue)", rounds, aggregates),
        await timed("avg working days to close, last month", rounds, working_days),
    ]
    mismatches = await check_aggregates(sessions, last_month, calendar, policy)
    chart_seconds = await draw_chart(sessions, last_month, calendar, policy)
    plan = await query_plan(engine, this_month)
    await engine.dispose()

    print_report(url, cases, months, loading, timings, chart_seconds, plan)
    print(
        "SQL aggregates agree with storage.reports.monthly_report: "
        + ("yes" if not mismatches else f"NO: {mismatches}")
    )
    return 0


async def aggregate_figures(session: AsyncSession, month: Month) -> dict[str, object]:
    """The month's figures (all but `overdue` and the working days) as SQL aggregates."""
    start, end = month.start_utc(TZ), month.end_utc(TZ)
    received = (Case.received_at >= start) & (Case.received_at < end)
    closed = (Case.closed_at >= start) & (Case.closed_at < end)
    by_category: Counter[str] = Counter()
    by_problem: Counter[str] = Counter()
    for category, problem, count in await session.execute(
        select(Case.category, Case.problem, func.count())
        .where(received)
        .group_by(Case.category, Case.problem)
    ):
        by_category[category or "未分类"] += count
        by_problem[problem or "未分类"] += count
    per_merchant = (
        select(Case.merchant_id, func.count().label("cases"))
        .where(received, Case.merchant_id.is_not(None))
        .group_by(Case.merchant_id)
        .subquery()
    )
    by_name: Counter[str] = Counter()
    by_grid: Counter[str] = Counter()
    for name, grid, count in await session.execute(
        select(Merchant.name, Merchant.grid, per_merchant.c.cases).join(
            Merchant, Merchant.id == per_merchant.c.merchant_id
        )
    ):
        by_name[name] += count
        if grid and grid.strip():
            by_grid[grid] += count
    for name, count in await session.execute(
        select(Case.merchant_name, func.count())
        .where(received, Case.merchant_id.is_(None), Case.merchant_name.is_not(None))
        .group_by(Case.merchant_name)
    ):
        if name.strip():
            by_name[name] += count
    outcomes = {
        row.status: row
        for row in await session.execute(
            select(
                Case.status,
                func.count().label("cases"),
                func.sum(Case.money_returned).label("money"),
                func.sum(Case.rating).label("rating_sum"),
                func.count(Case.rating).label("rated"),
            )
            .where(closed)
            .group_by(Case.status)
        )
    }
    accepted = await session.scalar(
        select(func.count()).where(Case.accepted_at >= start, Case.accepted_at < end)
    )
    previous, last_year = [
        await session.scalar(
            select(func.count()).where(
                Case.received_at >= other.start_utc(TZ), Case.received_at < other.end_utc(TZ)
            )
        )
        for other in (month.previous(), month.same_month_last_year())
    ]
    resolved = outcomes.get(CaseStatus.RESOLVED.value)
    failed = outcomes.get(CaseStatus.FAILED.value)
    rating_sum = sum(int(row.rating_sum or 0) for row in outcomes.values())
    rated = sum(int(row.rated) for row in outcomes.values())
    return {
        "received": sum(by_category.values()),
        "accepted": int(accepted or 0),
        "closed": sum(int(row.cases) for row in outcomes.values()),
        "resolved": int(resolved.cases) if resolved else 0,
        "failed": int(failed.cases) if failed else 0,
        "money_returned": Decimal(resolved.money or 0) if resolved else Decimal(0),
        "avg_rating": round(rating_sum / rated, 1) if rated else None,
        "rated": rated,
        "by_category": ranked(by_category),
        "by_problem": ranked(by_problem),
        "top_merchants": ranked(by_name)[:5],
        "hot_spots": ranked(by_grid)[:5],
        "previous_received": int(previous or 0),
        "last_year_received": int(last_year or 0),
        "typical_cases": await typical_cases(session, closed),
    }


def ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


async def typical_cases(session: AsyncSession, closed: Any) -> list[str]:
    """The three resolved cases with the most money returned (ties: by number)."""
    resolved = closed & (Case.status == CaseStatus.RESOLVED.value)
    money = func.coalesce(Case.money_returned, 0)
    third = await session.scalar(
        select(money).where(resolved).order_by(money.desc()).limit(1).offset(2)
    )
    floor = select(Case.number, money.label("money")).where(resolved)
    if third is not None:
        floor = floor.where(money >= third)
    rows = (await session.execute(floor)).all()
    return [row.number for row in sorted(rows, key=lambda r: (-r.money, r.number))[:3]]


async def average_working_days(
    session: AsyncSession, month: Month, calendar: WorkingCalendar
) -> tuple[float | None, int]:
    """Mean working days from receipt to closing over the month's closed cases.

    The database groups the cases by (local day received, local day closed), so the
    calendar is asked once per pair of days, not once per case.
    """
    start, end = month.start_utc(TZ), month.end_utc(TZ)
    received_day, closed_day = (
        local_day(session, Case.received_at, start),
        local_day(session, Case.closed_at, start),
    )
    rows = (
        await session.execute(
            select(received_day, closed_day, func.count())
            .where(Case.closed_at >= start, Case.closed_at < end)
            .group_by(received_day, closed_day)
        )
    ).all()
    total = sum(count for _, _, count in rows)
    days = sum(
        count * calendar.working_days_between(as_date(received), as_date(closed))
        for received, closed, count in rows
    )
    return (round(days / total, 1) if total else None), total


def local_day(session: AsyncSession, column: Any, instant: datetime) -> Any:
    """The local calendar day of a UTC timestamp column, in the database's own dialect."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return func.date(func.timezone(TZ.key, column))
    offset = TZ.utcoffset(instant.replace(tzinfo=None))
    assert offset is not None
    return func.date(column, f"{int(offset.total_seconds()):+d} seconds")


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def check_aggregates(
    sessions: Any, month: Month, calendar: WorkingCalendar, policy: DeadlinePolicy
) -> list[str]:
    """The figures on which the aggregates and the report disagree (none, we hope)."""
    async with sessions() as session:
        report = await reports.monthly_report(session, month, TZ, calendar, policy=policy)
        figures = await aggregate_figures(session, month)
        figures["avg_working_days_to_close"] = (
            await average_working_days(session, month, calendar)
        )[0]
    return [name for name, value in figures.items() if getattr(report, name) != value]


async def fetch_report_rows(session: AsyncSession, month: Month) -> int:
    """The rows `monthly_report` reads, fetched the same way but not turned into a report."""
    rows = 0
    for where in (
        reports.active_in(month, TZ),
        reports.received_in(month.previous(), TZ),
        reports.received_in(month.same_month_last_year(), TZ),
    ):
        result = await session.execute(
            select(
                Case.number,
                Case.received_at,
                Case.accepted_at,
                Case.closed_at,
                Case.status,
                Case.category,
                Case.category_group,
                Case.problem,
                func.coalesce(Merchant.name, Case.merchant_name),
                Case.merchant_id,
                Merchant.grid,
                Case.money_returned,
                Case.rating,
            )
            .outerjoin(Merchant, Merchant.id == Case.merchant_id)
            .where(where)
            .order_by(Case.received_at, Case.id)
        )
        rows += len(result.all())
    return rows


async def draw_chart(
    sessions: Any, month: Month, calendar: WorkingCalendar, policy: DeadlinePolicy
) -> float:
    from mediation.charts import category_bar_chart

    async with sessions() as session:
        report = await reports.monthly_report(session, month, TZ, calendar, policy=policy)
    category_bar_chart("warm-up", report.by_category[:2])
    started = time.perf_counter()
    category_bar_chart(templates.category_chart_title(month.label), report.by_category)
    return time.perf_counter() - started


async def query_plan(engine: AsyncEngine, month: Month) -> list[str]:
    """How the database answers `active_in` (this month), to show which index it uses."""
    statement = (
        select(Case.id)
        .outerjoin(Merchant, Merchant.id == Case.merchant_id)
        .where(reports.active_in(month, TZ))
    )
    async with engine.connect() as connection:
        compiled = statement.compile(
            dialect=connection.dialect, compile_kwargs={"literal_binds": True}
        )
        if connection.dialect.name == "sqlite":
            rows = await connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
            return [str(row[-1]) for row in rows]
        rows = await connection.execute(text(f"EXPLAIN {compiled}"))
        return [str(row[0]) for row in rows]


def print_report(
    url: str,
    cases: int,
    months: int,
    loading: float,
    timings: list[Timing],
    chart_seconds: float,
    plan: list[str],
) -> None:
    backend = make_url(url).get_backend_name()
    print(f"database: {backend} ({make_url(url).render_as_string(hide_password=True)})")
    print(f"cases: {cases} over {months} months (about {cases // months} a month)")
    if loading:
        print(f"bulk load: {loading:.1f} s ({cases / loading:,.0f} cases/s)")
    else:
        print("bulk load: reused the existing database")
    print(f"{'':44} {'best':>9} {'median':>9} {'vs 100 ms':>10} {'rows':>8}")
    for timing in timings:
        print(
            f"{timing.name:44} {timing.best_ms:7.1f}ms {timing.median_ms:7.1f}ms "
            f"{timing.median_ms / TARGET_MS:9.2f}x {timing.rows:8d}"
        )
    print(f"chart (once a month, not per room): {chart_seconds * 1000:.0f} ms")
    print("query plan of `active this month`:")
    for line in plan:
        print(f"  {line}")
    print(json.dumps({t.name.strip(): round(t.median_ms, 1) for t in timings}, ensure_ascii=False))


def default_url(cases: int) -> str:
    path = REPO / "data" / "bench" / f"stats-{cases}.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{path}"


def main(argv: list[str] | None = None) -> int:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--cases", type=int, default=1_000_000)
    arguments.add_argument("--months", type=int, default=36)
    arguments.add_argument("--rounds", type=int, default=5)
    arguments.add_argument(
        "--database-url", default=None, help="default: a SQLite file in data/bench/"
    )
    arguments.add_argument("--fresh", action="store_true", help="generate the cases again")
    options = arguments.parse_args(argv)
    url = options.database_url or default_url(options.cases)
    return asyncio.run(run(url, options.cases, options.months, options.rounds, options.fresh))


if __name__ == "__main__":
    raise SystemExit(main())
