"""Statistics over a city's worth of cases: `/stats` for one month and the monthly summary.

Run from the repository root:

    .venv/bin/python bench/stats.py [--cases 1000000] [--months 36] [--rounds 5]
    .venv/bin/python bench/stats.py --database-url postgresql+asyncpg://…   # PostgreSQL

The cases are generated with bulk inserts (executemany on SQLite, COPY on PostgreSQL) into a
database migrated with the real Alembic chain, spread evenly over `--months` months that end
on `NOW` below, and kept between runs: the SQLite file lives in data/bench/ and is reused when
it already holds the requested number of cases (`--fresh` rebuilds it). Each case carries its
calendar facts (`overdue_at`, `working_days_to_close`) as the bot writes them when a case is
accepted or closed. The SQLite file gets no `ANALYZE`, as the bot's own database does not;
PostgreSQL is vacuumed and analysed after the load, as autovacuum would.

Timed, best and median of `--rounds` after a warm-up, each in a session of its own:

- `/stats` (this month, as of NOW): `storage.reports.monthly_report` with `now`, plus the text
  the bot replies with;
- `/stats 上月 <网格>`: last month for one grid (the LIKE filter on the merchants' grid);
- the monthly summary of last month: the same report, plus the summary text (the chart is
  timed on its own: it is drawn once a month, not per room);
- each query of the report on its own, this month.

Then the report of this month and of last month is checked against the per-case computation
the report used before migration 0007 (every case loaded and judged with the calendar), and
the time that took is printed as the "before" figure. The reference is the target of 100 ms
per command; the ratio printed is time / 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from mediation import templates  # noqa: E402
from mediation.cases import CaseStatus  # noqa: E402
from mediation.deadlines import DeadlinePolicy  # noqa: E402
from mediation.parsing.categories import GOODS, SERVICES, category_group  # noqa: E402
from mediation.parsing.problems import PROBLEMS  # noqa: E402
from mediation.reports import (  # noqa: E402
    CalendarFactsCalculator,
    Month,
    MonthlyReport,
    build_monthly_report,
)
from mediation.workdays import WorkingCalendar  # noqa: E402
from storage import report_queries as reports  # noqa: E402
from storage.db import create_engine, create_session_factory  # noqa: E402
from storage.migrate import upgrade_to_head  # noqa: E402
from storage.models import Case  # noqa: E402

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
FACTS = CalendarFactsCalculator(WorkingCalendar(), DeadlinePolicy(), TZ)
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
    overdue_at: datetime | None
    working_days_to_close: int | None


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
        accepted = accepted if accepted is None or accepted <= NOW else None
        facts = FACTS.facts(received, accepted, closed)  # as the bot writes them
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
            accepted_at=accepted,
            closed_at=closed,
            overdue_at=facts.overdue_at,
            working_days_to_close=facts.working_days_to_close,
        )


CASE_COLUMNS = (
    "number", "room_id", "reporter_id", "reporter_name", "merchant_id", "merchant_name",
    "raw_text", "masked_text", "amount", "demands", "category", "category_group", "problem",
    "contacts", "missing", "status", "outcome", "money_returned", "rating", "received_at",
    "accepted_at", "closed_at", "updated_at", "overdue_at", "working_days_to_close",
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
        timestamp(case.overdue_at),
        case.working_days_to_close,
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

    timings = [
        await timed("/stats (this month)", rounds, stats_now),
        await timed("/stats 上月 <grid>", rounds, stats_grid),
        await timed("monthly summary (last month, text)", rounds, summary),
    ]
    parts = await time_parts(sessions, this_month, rounds)
    checks = [
        await check_against_per_case(sessions, this_month, calendar, policy, NOW),
        await check_against_per_case(sessions, last_month, calendar, policy, None),
    ]
    chart_seconds = await draw_chart(sessions, last_month, calendar, policy)
    plans = await query_plans(engine, this_month)
    await engine.dispose()

    print_report(url, cases, months, loading, timings, parts, chart_seconds, plans)
    for month, seconds, mismatches in checks:
        verdict = "yes" if not mismatches else f"NO: {', '.join(mismatches)}"
        print(
            f"{month.key}: same figures as the per-case computation: {verdict} "
            f"(per-case, as before 0007: {seconds * 1000:.0f} ms)"
        )
    return 0 if not any(mismatches for _, _, mismatches in checks) else 1


async def time_parts(sessions: Any, month: Month, rounds: int) -> list[Timing]:
    """Each query of `monthly_report` on its own (private helpers: a benchmark may look)."""
    scope = reports.ReportScope(month, TZ, None)
    queries: list[tuple[str, Callable[[Any], Awaitable[object]]]] = [
        (
            "  received by category and problem",
            lambda s: reports._received_by_category_and_problem(s, scope),
        ),
        ("  received by merchant and grid", lambda s: reports._received_by_merchant(s, scope)),
        (
            "  closed, open at the end, accepted, 环比/同比",
            lambda s: reports._month_totals(s, scope, NOW),
        ),
        ("  typical cases", lambda s: reports._typical_candidates(s, scope)),
    ]
    timings = []
    for name, query in queries:

        async def work(query: Callable[[Any], Awaitable[object]] = query) -> int:
            async with sessions() as session:
                await query(session)
            return 0

        timings.append(await timed(name, rounds, work))
    return timings


async def check_against_per_case(
    sessions: Any,
    month: Month,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy,
    now: datetime | None,
) -> tuple[Month, float, list[str]]:
    """(month, seconds the per-case computation took, the figures that differ)."""
    async with sessions() as session:
        report = await reports.monthly_report(session, month, TZ, calendar, policy=policy, now=now)
        started = time.perf_counter()
        before = await per_case_report(session, month, calendar, policy, now)
        seconds = time.perf_counter() - started
    names = [name for name in MonthlyReport.__dataclass_fields__ if name != "month"]
    return month, seconds, [n for n in names if getattr(report, n) != getattr(before, n)]


async def per_case_report(
    session: Any,
    month: Month,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy,
    now: datetime | None,
) -> MonthlyReport:
    """The report as computed before migration 0007: every case loaded and judged."""
    current = await reports.case_facts(session, month, TZ, calendar, policy=policy, now=now)
    previous = await reports.received_facts(session, month.previous(), TZ, calendar, policy=policy)
    last_year = await reports.received_facts(
        session, month.same_month_last_year(), TZ, calendar, policy=policy
    )
    return build_monthly_report(month, current, previous, last_year, tz=TZ)


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


async def query_plans(engine: AsyncEngine, month: Month) -> list[str]:
    """How the database answers the widest of the report's queries (the month's totals,
    received per merchant, the typical cases), to show which index each uses."""
    params = reports.ReportScope(month, TZ, None).with_as_of(NOW)
    largest_of_all, _, _ = reports._typical_statements(False)
    lines = []
    async with engine.connect() as connection:
        by_month_index = connection.dialect.name == "sqlite"  # as `monthly_report` chooses
        statements = [
            reports._month_totals_statement(False),
            reports._received_by_merchant_statements(False, by_month_index)[0],
            largest_of_all,
        ]
        for statement in statements:
            compiled = statement.params(**params).compile(
                dialect=connection.dialect, compile_kwargs={"literal_binds": True}
            )
            if connection.dialect.name == "sqlite":
                rows = await connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
                lines += [str(row[-1]) for row in rows]
            else:
                rows = await connection.execute(text(f"EXPLAIN {compiled}"))
                lines += [str(row[0]) for row in rows]
            lines.append("")
    return lines


def print_report(
    url: str,
    cases: int,
    months: int,
    loading: float,
    timings: list[Timing],
    parts: list[Timing],
    chart_seconds: float,
    plans: list[str],
) -> None:
    backend = make_url(url).get_backend_name()
    print(f"database: {backend} ({make_url(url).render_as_string(hide_password=True)})")
    print(
        "load average (1, 5, 15 min) at the end: " + ", ".join(f"{n:.2f}" for n in os.getloadavg())
    )
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
    print("the queries of /stats (this month), each on its own:")
    for timing in parts:
        print(f"{timing.name:44} {timing.best_ms:7.1f}ms {timing.median_ms:7.1f}ms")
    print(f"chart (once a month, not per room): {chart_seconds * 1000:.0f} ms")
    print("query plans (the month's totals; received per merchant; typical cases):")
    for line in plans:
        print(f"  {line}")
    print(
        json.dumps(
            {t.name.strip(): round(t.median_ms, 1) for t in [*timings, *parts]},
            ensure_ascii=False,
        )
    )


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
