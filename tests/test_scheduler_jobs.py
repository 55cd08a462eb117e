"""The job table (`scheduler/jobs.py`): what runs when, on a real APScheduler."""

from __future__ import annotations

import asyncio
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import BotApp
from scheduler import JobSettings, TimedWork, add_jobs, build_scheduler, catch_up, timed_jobs
from scheduler.jobs import Job

SHANGHAI = ZoneInfo("Asia/Shanghai")


def work_for(bot: BotApp, **overrides: object) -> TimedWork:
    values: dict[str, object] = {
        "sweep_minutes": 15,
        "summary_day": 2,
        "summary_time": time(8, 30),
        "contact_retention_days": 0,
        "media_dir": Path("media"),
    }
    values.update(overrides)
    return TimedWork(
        bot.sessions,
        bot.clock,
        bot.handler_config,
        calendar=lambda: bot.shared.calendar,
        settings=JobSettings(**values),  # type: ignore[arg-type]
    )


async def test_the_table_says_what_runs_when(bot: BotApp) -> None:
    work = work_for(bot)
    jobs = {job.id: job for job in timed_jobs(work)}
    assert set(jobs) == {"deadline-sweep", "monthly-summary", "staff-digest"}
    sweep, summary = jobs["deadline-sweep"], jobs["monthly-summary"]
    assert (sweep.trigger, dict(sweep.trigger_args), sweep.first_run_now) == (
        "interval",
        {"minutes": 15},
        True,
    )
    assert (summary.trigger, dict(summary.trigger_args), summary.catch_up_at_start) == (
        "cron",
        {"day": 2, "hour": 8, "minute": 30},
        True,
    )
    # each run is tracked, so that stopping waits for it (tests/test_stop_waits_for_jobs.py)
    assert sweep.run.__wrapped__ == work.sweep  # type: ignore[attr-defined]
    assert summary.run.__wrapped__ == work.monthly_summary  # type: ignore[attr-defined]


async def test_no_sweep_when_it_is_switched_off(bot: BotApp) -> None:
    assert [job.id for job in timed_jobs(work_for(bot, sweep_minutes=0))] == [
        "monthly-summary",
        "staff-digest",
    ]


async def test_a_real_scheduler_gets_the_jobs_with_their_triggers(bot: BotApp) -> None:
    scheduler = build_scheduler(SHANGHAI)
    add_jobs(scheduler, timed_jobs(work_for(bot)), SHANGHAI)
    scheduler.start(paused=True)
    try:
        sweep = scheduler.get_job("deadline-sweep")
        summary = scheduler.get_job("monthly-summary")
        assert isinstance(sweep.trigger, IntervalTrigger)
        assert sweep.trigger.interval.total_seconds() == 15 * 60
        assert sweep.next_run_time <= datetime.now(SHANGHAI)  # the first sweep at once
        assert isinstance(summary.trigger, CronTrigger)
        after = summary.trigger.get_next_fire_time(None, datetime(2026, 6, 5, tzinfo=SHANGHAI))
        assert after == datetime(2026, 7, 2, 8, 30, tzinfo=SHANGHAI)
    finally:
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)


async def test_catch_up_runs_only_the_jobs_that_make_up_for_downtime() -> None:
    ran: list[str] = []

    def job(name: str, catch_up_at_start: bool) -> Job:
        async def run() -> None:
            ran.append(name)

        return Job(name, run, "cron", {"hour": 1}, catch_up_at_start=catch_up_at_start)

    await catch_up([job("sweep", False), job("summary", True)])
    assert ran == ["summary"]


async def test_the_bot_runs_its_jobs_from_the_table(bot: BotApp) -> None:
    assert (await bot.sweep_deadlines()).examined == 0
    assert await bot.post_monthly_summaries() == 0
