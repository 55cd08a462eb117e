"""Stopping lets a running timed job end before the database goes away: a job cut off
inside a statement left SQLite's connection thread running, and `tiaojie run` with it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import select, text

from bot.app import BotApp
from bot.gateway import Delivery, MessageSink, send_one_by_one
from bot.messages import IncomingMessage, OutgoingMessage
from bot.outbox_sender import OutboxSender
from bot.settings import Settings
from mediation.clock import ManualClock
from storage import outbox
from storage.models import OutboxMessage


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


class HeldPlatform:
    """A platform whose sends wait until the test lets them through."""

    name = "held"
    ready = True
    parallel_sends = 1

    def __init__(self) -> None:
        self.sending, self.release = asyncio.Event(), asyncio.Event()

    async def start(self, sink: MessageSink) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send_in_order(self, messages: Sequence[OutgoingMessage]) -> Delivery:
        return await send_one_by_one(self, messages)

    async def send(self, message: OutgoingMessage) -> str | None:
        self.sending.set()
        await self.release.wait()
        return f"platform-{message.outbox_id}"


async def test_stopping_the_sender_finishes_the_delivery_under_way(bot: BotApp) -> None:
    platform = HeldPlatform()
    sender = OutboxSender(bot.sessions, platform, clock=bot.clock, room_messages_per_minute=60)
    async with bot.sessions.begin() as session:
        await outbox.enqueue(session, room_id="room-1", text="通知", now=bot.clock.now())
    await sender.start()
    await platform.sending.wait()

    stopping = asyncio.create_task(sender.stop())
    await asyncio.sleep(0.1)
    assert not stopping.done()  # not cut off in the middle of the round

    platform.release.set()
    await asyncio.wait_for(stopping, timeout=10)
    async with bot.sessions() as session:
        states = list(await session.scalars(select(OutboxMessage.state)))
    assert states == ["sent"]


async def test_stopping_the_dispatcher_finishes_the_message_in_hand(bot: BotApp) -> None:
    handled = asyncio.Event()
    release = asyncio.Event()
    real_process = bot.dispatcher.process

    async def slow_process(inbox_id: int) -> None:
        await release.wait()
        await real_process(inbox_id)
        handled.set()

    bot.dispatcher.process = slow_process  # type: ignore[method-assign]
    await bot.dispatcher.accept(
        IncomingMessage(
            message_id="m-1",
            room_id="room-1",
            sender_id="grid-li",
            sender_name="网格员李",
            text="收到",
            sent_at=bot.clock.now(),
        )
    )
    await asyncio.sleep(0.05)
    stopping = asyncio.create_task(bot.dispatcher.stop())
    await asyncio.sleep(0.1)
    assert not stopping.done()

    release.set()
    await asyncio.wait_for(stopping, timeout=10)
    assert handled.is_set()


async def test_a_job_the_scheduler_started_is_not_cancelled_by_stopping(
    settings: Settings, clock: ManualClock
) -> None:
    """APScheduler's asyncio executor cancels every running job when it shuts down (and
    logs the cancellation as a traceback): stopping waits for the jobs first."""
    bot = BotApp(settings, clock=clock)
    await bot.start()
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[bool] = []

    async def slow_job() -> None:
        started.set()
        await release.wait()
        finished.append(True)

    bot.scheduler.add_job(bot.timed_work.tracked(slow_job), "date", run_date=None)
    await asyncio.wait_for(started.wait(), timeout=10)
    stopping = asyncio.create_task(bot.stop())
    await asyncio.sleep(0.1)
    release.set()
    await asyncio.wait_for(stopping, timeout=10)

    assert finished == [True]
