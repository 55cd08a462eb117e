"""How long the staff export of one month takes over a city's worth of cases, and how long
it holds the event loop up meanwhile.

Run from the repository root, after bench/stats.py has generated its database:

    .venv/bin/python bench/export.py [--cases 1000000] [--database-url URL]

It does what `/export 上月` does (the month's report, the month's cases read as plain rows,
the workbook built and saved in a thread) while a ticker coroutine asks to wake every
10 ms; the longest gap between its wake-ups is how long the bot could not answer anyone.
The reference is the export's own duration: before the rows were streamed and the workbook
built in a thread, the loop was held for all of it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from handlers.exports import build_workbook, save_workbook  # noqa: E402
from mediation.deadlines import DeadlinePolicy  # noqa: E402
from mediation.reports import Month  # noqa: E402
from mediation.workdays import WorkingCalendar  # noqa: E402
from storage import reports  # noqa: E402
from storage.db import create_engine, create_session_factory  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
TICK_SECONDS = 0.01


async def ticker(gaps: list[float], stop: asyncio.Event) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(TICK_SECONDS)
        now = time.perf_counter()
        gaps.append(now - last - TICK_SECONDS)
        last = now


async def export_last_month(url: str, directory: Path) -> tuple[int, float, float, float]:
    """(cases, seconds, longest stall of the loop, 99th percentile gap), in seconds."""
    import openpyxl  # noqa: F401  imported before timing: the bot pays it once, in the thread

    engine = create_engine(url)
    sessions = create_session_factory(engine)
    calendar, policy = WorkingCalendar(), DeadlinePolicy()
    now = datetime.now(UTC)
    month = Month.of(now, TZ).previous()
    gaps: list[float] = []
    stop = asyncio.Event()
    ticking = asyncio.create_task(ticker(gaps, stop))
    started = time.perf_counter()
    try:
        async with sessions() as session:
            report = await reports.monthly_report(
                session, month, TZ, calendar, policy=policy, now=now
            )
            rows = await reports.export_rows(session, month, TZ)
        as_of = min(month.end_utc(TZ), now)
        workbook = await asyncio.to_thread(
            build_workbook, report, rows, as_of=as_of, calendar=calendar, policy=policy, tz=TZ
        )
        await asyncio.to_thread(save_workbook, workbook, directory, month.key)
    finally:
        seconds = time.perf_counter() - started
        stop.set()
        await ticking
        await engine.dispose()
    gaps.sort()
    return len(rows), seconds, gaps[-1], gaps[int(len(gaps) * 0.99)]


def main(argv: list[str] | None = None) -> int:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--cases", type=int, default=1_000_000)
    arguments.add_argument("--database-url", default="", help="default: bench/stats.py's file")
    options = arguments.parse_args(argv)
    url = options.database_url
    if not url:
        path = REPO / "data" / "bench" / f"stats-{options.cases}.sqlite3"
        if not path.exists():
            print(f"no {path}: run bench/stats.py first", file=sys.stderr)
            return 2
        url = f"sqlite+aiosqlite:///{path}"
    with tempfile.TemporaryDirectory(prefix="tiaojie-export-") as scratch:
        cases, seconds, longest, p99 = asyncio.run(export_last_month(url, Path(scratch)))
    print(f"export of last month: {cases} cases in {seconds:.1f} s")
    print(
        f"event loop: longest stall {longest * 1000:.0f} ms, "
        f"99th percentile gap {p99 * 1000:.0f} ms"
    )
    print(f"longest stall / export time: {longest / seconds:.3f} (1.000: held throughout)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
