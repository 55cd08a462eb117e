"""What runs when: every timed job of the bot, its trigger and what it runs, in one table.

APScheduler runs the jobs in the bot's event loop. Each reads the time from the bot's clock
(a `ManualClock` in tests) and lets the database decide what is due, so a job that runs
twice, late or after a restart does each thing once (docs/ARCHITECTURE.md, Scheduled work).
`bot/app.py` only wires: it hands in a `TimedWork` and starts the scheduler.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers import HandlerConfig
from handlers.deadline_sweep import SweepResult, sweep_deadlines, warn_if_next_year_unknown
from handlers.erasure import erase_expired
from handlers.monthly_summary import post_monthly_summaries
from handlers.registry_alerts import send_registry_alerts
from handlers.staff_digest import DIGEST_TIME, post_staff_digest
from mediation.clock import Clock
from mediation.workdays import WorkingCalendar

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler


@dataclass(frozen=True)
class JobSettings:
    sweep_minutes: int  # 0: no sweep
    summary_day: int
    summary_time: time
    contact_retention_days: int  # 0: personal data is kept
    media_dir: Path  # charts and exports (exports are deleted with the personal data)
    fangxin_review_threshold: int = 3  # 放心消费: more complaints in a month flag a merchant
    digest_time: time | None = DIGEST_TIME  # the staff digest, working days (None: none)
    staff_room: str = ""  # the digest goes there; empty: to each staff member privately


@dataclass
class TimedWork:
    """What the jobs run, with what the running bot hands them."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    config: HandlerConfig
    calendar: Callable[[], WorkingCalendar]  # the current one: a reload replaces it
    settings: JobSettings
    on_queued: Callable[[], None] = field(default=lambda: None)  # wake the outbox sender
    # the jobs running now: stopping waits for them before the database goes away (a job
    # cut off inside a statement left SQLite's connection thread running, and the process
    # with it)
    running: set[asyncio.Task[object]] = field(default_factory=set, init=False, repr=False)

    def tracked(self, run: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
        @functools.wraps(run)
        async def tracked_run() -> object:
            task = asyncio.current_task()
            assert task is not None
            self.running.add(task)
            try:
                return await run()
            finally:
                self.running.discard(task)

        return tracked_run

    async def finish(self, within: float) -> None:
        """Let the running jobs end (each does one thing at a time, in its own transaction);
        cancel those still running after `within` seconds."""
        if not self.running:
            return
        _, late = await asyncio.wait(set(self.running), timeout=within)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=within)

    async def sweep(self) -> SweepResult:
        """Deadline reminders and escalations, then the December warning about next year's
        调休 days, the registry alerts (放心消费 review, expiring licences), then the erasure
        of personal data past its retention."""
        result = await sweep_deadlines(
            self.sessions, now=self.clock.now(), config=self.config, calendar=self.calendar()
        )
        warnings = await warn_if_next_year_unknown(
            self.sessions, now=self.clock.now(), config=self.config, calendar=self.calendar()
        )
        alerts = await send_registry_alerts(
            self.sessions,
            now=self.clock.now(),
            config=self.config,
            calendar=self.calendar(),
            review_threshold=self.settings.fangxin_review_threshold,
        )
        if self.settings.contact_retention_days > 0:
            await erase_expired(
                self.sessions,
                now=self.clock.now(),
                retention=timedelta(days=self.settings.contact_retention_days),
                media_dir=self.settings.media_dir,
            )
        if result.actions or warnings or alerts:
            self.on_queued()
        return result

    async def monthly_summary(self) -> int:
        """The summary of the month just ended, once per room (nothing before it is due)."""
        posted = await post_monthly_summaries(
            self.sessions,
            now=self.clock.now(),
            config=self.config,
            calendar=self.calendar(),
            charts_dir=self.settings.media_dir,
            publish_day=self.settings.summary_day,
            publish_time=self.settings.summary_time,
        )
        if posted:
            self.on_queued()
        return posted

    async def staff_digest(self) -> int:
        """Today's staff digest, once per recipient (nothing on a day off or before its
        time)."""
        if self.settings.digest_time is None:
            return 0
        queued = await post_staff_digest(
            self.sessions,
            now=self.clock.now(),
            config=self.config,
            calendar=self.calendar(),
            at=self.settings.digest_time,
            staff_room=self.settings.staff_room,
        )
        if queued:
            self.on_queued()
        return queued


@dataclass(frozen=True)
class Job:
    id: str
    run: Callable[[], Awaitable[object]]
    trigger: Literal["interval", "cron"]
    trigger_args: Mapping[str, Any]
    first_run_now: bool = False  # an interval job: first run as the scheduler starts
    catch_up_at_start: bool = False  # run once before the scheduler starts (missed while down)


def timed_jobs(work: TimedWork) -> list[Job]:
    """The table: what runs when."""
    settings = work.settings
    jobs = []
    if settings.sweep_minutes > 0:
        jobs.append(
            Job(
                "deadline-sweep",  # with the December warning and the erasure
                work.sweep,
                "interval",
                {"minutes": settings.sweep_minutes},
                first_run_now=True,
            )
        )
    jobs.append(
        Job(
            "monthly-summary",
            work.monthly_summary,
            "cron",
            {
                "day": settings.summary_day,
                "hour": settings.summary_time.hour,
                "minute": settings.summary_time.minute,
            },
            catch_up_at_start=True,
        )
    )
    if settings.digest_time is not None:
        jobs.append(
            Job(
                "staff-digest",  # every day: the digest itself skips days off (调休 included)
                work.staff_digest,
                "cron",
                {"hour": settings.digest_time.hour, "minute": settings.digest_time.minute},
                catch_up_at_start=True,
            )
        )
    return [replace(job, run=work.tracked(job.run)) for job in jobs]


async def catch_up(jobs: list[Job]) -> None:
    """Run the jobs that make up at start-up for time the bot was down."""
    for job in jobs:
        if job.catch_up_at_start:
            await job.run()


def add_jobs(scheduler: AsyncIOScheduler, jobs: list[Job], timezone: ZoneInfo) -> None:
    for job in jobs:
        extra = {"next_run_time": datetime.now(timezone)} if job.first_run_now else {}
        scheduler.add_job(job.run, job.trigger, id=job.id, **job.trigger_args, **extra)


def build_scheduler(timezone: ZoneInfo) -> AsyncIOScheduler:
    # imported here: APScheduler is not worth waiting for at start-up
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    return AsyncIOScheduler(
        timezone=timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
