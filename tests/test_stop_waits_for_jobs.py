"""Stopping lets a running timed job end before the database goes away: a job cut off
inside a statement left SQLite's connection thread running, and `tiaojie run` with it."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from bot.app import BotApp
from bot.settings import Settings
from mediation.clock import ManualClock


async def test_stopping_waits_for_a_running_job_and_then_stops(
    settings: Settings, clock: ManualClock
) -> None:
    bot = BotApp(settings, clock=clock)
    await bot.start()
    started, release = asyncio.Event(), asyncio.Event()
    answers: list[int] = []

    async def slow_job() -> None:
        started.set()
        await release.wait()
        async with bot.sessions() as session:
            answers.append(await session.scalar(text("SELECT 1")))

    job = asyncio.create_task(bot.timed_work.tracked(slow_job)())
    await started.wait()
    stopping = asyncio.create_task(bot.stop())
    await asyncio.sleep(0.1)
    assert not stopping.done()  # the job still holds work: stop waits for it

    release.set()
    await asyncio.wait_for(stopping, timeout=10)
    assert answers == [1] and job.done() and not job.cancelled()


async def test_a_job_that_never_ends_is_cancelled_within_the_bound(
    settings: Settings, clock: ManualClock
) -> None:
    bot = BotApp(settings, clock=clock)
    await bot.start()
    job = asyncio.create_task(bot.timed_work.tracked(asyncio.Event().wait)())
    await asyncio.sleep(0)

    await bot.timed_work.finish(within=0.1)

    assert job.cancelled()
    await bot.stop()
