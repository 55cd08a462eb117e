"""Replies survive a platform that refuses them: kept, delivered in order, or marked failed."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from bot.app import BotApp
from bot.sandbox.gateway import SandboxFaults
from bot.settings import Settings
from mediation.clock import ManualClock
from storage import outbox
from storage.models import OutboxMessage

from .conversation import GRID_WORKER, STAFF, Group


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        admins=[STAFF.id],
        gateway="sandbox",
        sweep_minutes=0,
        outbox_max_attempts=3,
        _env_file=None,
    )


def complaint(n: int) -> str:
    return f"【投诉】湖西路第{n}家饺子馆多收消费者{50 + n}元，要求退款，电话1381234{n:04d}"


async def test_replies_wait_while_the_platform_refuses_and_arrive_in_order(
    group: Group, bot: BotApp, clock: ManualClock
) -> None:
    assert bot.sandbox is not None
    bot.sandbox.faults.refuse_sends = True
    for n in range(1, 4):
        await group.say(GRID_WORKER, complaint(n))
    assert await group.bot_replies() == []

    bot.sandbox.faults.refuse_sends = False
    clock.advance(timedelta(minutes=10))
    await bot.sender.deliver_due()

    replies = await group.bot_replies()
    numbers = [r.split("编号 ")[1][:14] for r in replies if "编号" in r]
    assert numbers == ["CY-202606-0001", "CY-202606-0002", "CY-202606-0003"]


async def test_reply_that_keeps_failing_is_marked_failed_and_staff_can_resend_it(
    group: Group, bot: BotApp, clock: ManualClock
) -> None:
    assert bot.sandbox is not None
    bot.sandbox.faults.refuse_sends = True
    await group.say(GRID_WORKER, complaint(1))
    for _ in range(5):
        clock.advance(timedelta(minutes=10))
        await bot.sender.deliver_due()
    async with bot.sessions() as session:
        row = await session.scalar(select(OutboxMessage))
    assert row is not None and row.state == "failed" and row.attempts == 3

    bot.sandbox.faults.refuse_sends = False
    await group.say(STAFF, "/outbox")
    (status,) = await group.bot_replies()
    assert "发送失败 1 条" in status and "13812340001" not in status

    await group.say(STAFF, "/outbox retry")
    replies = await group.bot_replies()
    assert any("重新排队" in r for r in replies)
    await bot.sender.deliver_due()
    assert any("CY-202606-0001" in r for r in replies + await group.bot_replies())


async def test_a_room_whose_send_is_refused_waits_while_the_other_rooms_get_their_replies(
    group: Group, http: httpx.AsyncClient, bot: BotApp, clock: ManualClock
) -> None:
    assert bot.sandbox is not None
    other = Group(bot, http, "room-next-door")
    bot.sandbox.faults.refuse_sends = True
    await group.say(GRID_WORKER, complaint(1))
    await other.say(GRID_WORKER, complaint(2))

    bot.sandbox.faults.refuse_sends = False
    bot.sandbox.faults.refuse_next = 1  # the first of the two sends of the next round
    clock.advance(timedelta(minutes=10))
    await bot.sender.deliver_due()
    shown = [len(await group.bot_replies()), len(await other.bot_replies())]
    assert sorted(shown) == [0, 1]

    clock.advance(timedelta(minutes=10))
    await bot.sender.deliver_due()
    shown[0] += len(await group.bot_replies())
    shown[1] += len(await other.bot_replies())
    assert shown == [1, 1]
    async with bot.sessions() as session:
        states = list(await session.scalars(select(OutboxMessage.state)))
    assert states == ["sent", "sent"]


def count_commits(bot: BotApp) -> Callable[[], int]:
    commits = 0

    def counted(_connection: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(bot.engine.sync_engine, "commit", counted)
    return lambda: commits


def count_statements(bot: BotApp, beginning: str) -> Callable[[], int]:
    """How many statements beginning so (in capitals) the bot has run since."""
    count = 0

    def counted(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        nonlocal count
        count += statement.lstrip().upper().startswith(beginning)

    event.listen(bot.engine.sync_engine, "before_cursor_execute", counted)
    return lambda: count


async def three_replies_due(group: Group, bot: BotApp, clock: ManualClock) -> SandboxFaults:
    """Three complaints' replies, queued while the platform refused sends and due again
    now; the platform's fault switches, for more."""
    assert bot.sandbox is not None
    bot.sandbox.faults.refuse_sends = True
    for n in range(1, 4):
        await group.say(GRID_WORKER, complaint(n))
    bot.sandbox.faults.refuse_sends = False
    clock.advance(timedelta(minutes=10))
    return bot.sandbox.faults


async def test_a_rooms_waiting_replies_are_claimed_shown_and_marked_sent_together(
    group: Group, bot: BotApp, clock: ManualClock
) -> None:
    await three_replies_due(group, bot, clock)
    updates = count_statements(bot, "UPDATE OUTBOX")
    commits = count_commits(bot)

    assert await bot.sender.deliver_due() == 3

    assert updates() == 2  # one claim, one "sent" for the three
    assert commits() == 3  # read and claim; the sandbox shows the three lines; mark them sent
    assert len(await group.bot_replies()) == 3


async def test_replies_behind_a_refused_one_are_given_back_untried_and_follow_it_in_order(
    group: Group, bot: BotApp, clock: ManualClock
) -> None:
    faults = await three_replies_due(group, bot, clock)
    faults.refuse_next = 1

    assert await bot.sender.deliver_due() == 0
    async with bot.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    # the first was refused once more; the two behind it were never tried this round
    assert [(row.state, row.attempts) for row in rows] == [
        ("pending", rows[0].attempts),
        ("pending", 0),
        ("pending", 0),
    ]
    assert rows[0].attempts >= 1

    clock.advance(timedelta(minutes=10))
    assert await bot.sender.deliver_due() == 3
    replies = await group.bot_replies()
    numbers = [r.split("编号 ")[1][:14] for r in replies if "编号" in r]
    assert numbers == ["CY-202606-0001", "CY-202606-0002", "CY-202606-0003"]


async def test_a_send_whose_failure_cannot_be_recorded_gives_its_claim_back_at_once(
    group: Group, bot: BotApp, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk: the platform refuses the send and the failure cannot be written either.
    The reply must not stay claimed for its whole lease, holding its room back."""
    faults = await three_replies_due(group, bot, clock)
    faults.refuse_next = 1

    async def disk_full(*_args: Any, **_kwargs: Any) -> bool:
        raise OperationalError("UPDATE outbox", {}, sqlite3.OperationalError("disk is full"))

    with monkeypatch.context() as patched:
        patched.setattr(outbox, "mark_attempt_failed", disk_full)
        with pytest.raises(OperationalError):
            await bot.sender.deliver_due()
    async with bot.sessions() as session:
        assert set(await session.scalars(select(OutboxMessage.state))) == {"pending"}

    assert await bot.sender.deliver_due() == 3  # the disk has room again: no lease to wait out
    assert len(await group.bot_replies()) == 3
