"""Writes that arrive together share a commit, and each writer still returns only after its
own row is committed: messages accepted at the same instant, sandbox lines, sent replies."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy import func, select

from bot.app import BotApp
from bot.messages import IncomingMessage
from storage.db import not_transient
from storage.group_commit import GroupCommit
from storage.models import Case, InboxMessage, OutboxMessage, SandboxMessage

from .conftest import START
from .conversation import GRID_WORKER
from .test_dispatcher_batches import count_commits, scalar


def incoming(number: int, text: str = "收到，辛苦了", room: str = "") -> IncomingMessage:
    return IncomingMessage(
        message_id=f"together-{number}",
        room_id=room or f"room-{number % 3}",
        sender_id=f"member-{number}",
        sender_name=f"群成员{number}",
        text=text,
        sent_at=START,
    )


async def test_messages_accepted_at_the_same_instant_share_one_commit_and_are_all_queued(
    bot: BotApp,
) -> None:
    await bot.dispatcher.stop()  # count the accepting commits alone
    commits = count_commits(bot)

    await asyncio.gather(*(bot.dispatcher.accept(incoming(n)) for n in range(40)))

    assert commits() == 1
    stored = select(func.count()).select_from(InboxMessage)
    assert await scalar(bot, stored) == 40
    await bot.dispatcher.start()  # queues what is waiting, as after a restart
    await bot.dispatcher.drain()
    handled = stored.where(InboxMessage.state == "handled")
    assert await scalar(bot, handled) == 40


async def test_one_message_delivered_twice_at_the_same_instant_opens_one_case(
    bot: BotApp,
) -> None:
    complaint = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678"
    twice = [incoming(1, complaint, room="room-a")] * 2

    await asyncio.gather(*(bot.dispatcher.accept(message) for message in twice))
    await bot.dispatcher.drain()

    assert await scalar(bot, select(func.count()).select_from(InboxMessage)) == 1
    assert await scalar(bot, select(func.count()).select_from(Case)) == 1
    assert await scalar(bot, select(func.count()).select_from(OutboxMessage)) == 1


async def test_sandbox_posts_and_the_replies_they_cause_are_each_shown_once(bot: BotApp) -> None:
    assert bot.sandbox is not None
    posts = [
        bot.sandbox.post(
            f"room-{n % 2}",
            sender_id=GRID_WORKER.id,
            sender_name=GRID_WORKER.name,
            text=f"【投诉】湖西路第{n}家饺子馆多收消费者{50 + n}元，要求退款",
            mention_ids=[],
            message_id=f"post-{n}",
        )
        for n in range(6)
    ]
    await asyncio.gather(*posts)
    await bot.dispatcher.drain()
    while await bot.sender.deliver_due():
        pass

    async with bot.sessions() as session:
        lines = list(await session.scalars(select(SandboxMessage.sender_id)))
    assert lines.count(GRID_WORKER.id) == 6
    assert lines.count(bot.sandbox.bot_id) == 6  # one reply per complaint, none twice
    sent = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "sent")
    assert await scalar(bot, sent) == 6


class Doubler:
    """Writes numbers; a negative number cannot be written and fails its whole group."""

    def __init__(self) -> None:
        self.groups: list[list[int]] = []
        self.written: list[int] = []

    async def write_many(self, numbers: Sequence[int]) -> list[int]:
        self.groups.append(list(numbers))
        await asyncio.sleep(0)  # a real write yields to the loop
        if any(number < 0 for number in numbers):
            raise ValueError("negative")
        self.written.extend(numbers)
        return [number * 2 for number in numbers]


async def test_an_item_that_cannot_be_written_fails_alone_and_the_others_are_written() -> None:
    doubler = Doubler()
    commit = GroupCommit(doubler.write_many)

    outcomes = await asyncio.gather(
        *(commit.submit(number) for number in (1, -1, 2)), return_exceptions=True
    )

    assert outcomes[0] == 2 and outcomes[2] == 4
    assert isinstance(outcomes[1], ValueError)
    assert doubler.groups == [[1, -1, 2], [1], [-1], [2]]
    assert doubler.written == [1, 2]


async def test_a_writer_that_gives_up_waiting_still_has_its_item_written() -> None:
    doubler = Doubler()
    commit = GroupCommit(doubler.write_many)
    impatient = asyncio.ensure_future(commit.submit(1))
    patient = asyncio.ensure_future(commit.submit(2))
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # the flush has taken both

    impatient.cancel()
    assert await patient == 4
    await commit.finish()

    with pytest.raises(asyncio.CancelledError):
        await impatient
    assert doubler.written == [1, 2]


async def test_writes_submitted_while_a_flush_runs_share_the_next_one() -> None:
    doubler = Doubler()
    commit = GroupCommit(doubler.write_many, max_items=3)

    await asyncio.gather(*(commit.submit(number) for number in range(7)))

    assert doubler.groups == [[0, 1, 2], [3, 4, 5], [6]]


async def test_a_database_that_is_away_fails_the_whole_group_at_once() -> None:
    groups: list[list[int]] = []

    async def database_away(numbers: Sequence[int]) -> list[int]:
        groups.append(list(numbers))
        raise TimeoutError("database away")

    commit = GroupCommit(database_away, retry_singly=not_transient)
    outcomes = await asyncio.gather(
        *(commit.submit(number) for number in (1, 2, 3)), return_exceptions=True
    )

    assert all(isinstance(outcome, TimeoutError) for outcome in outcomes)
    assert groups == [[1, 2, 3]]  # not once more for each row: each would wait again


async def test_stopping_in_the_middle_of_a_write_leaves_no_writer_waiting() -> None:
    started = asyncio.Event()

    async def slow(numbers: Sequence[int]) -> list[int]:
        started.set()
        await asyncio.sleep(3600)
        return list(numbers)

    commit = GroupCommit(slow)
    writers = [asyncio.ensure_future(commit.submit(number)) for number in (1, 2)]
    await started.wait()
    late = asyncio.ensure_future(commit.submit(3))  # waits for the next flush
    await asyncio.sleep(0)
    (flushing,) = [task for task in asyncio.all_tasks() if task.get_name() == "group-commit"]
    flushing.cancel()  # the loop shutting down

    outcomes = await asyncio.gather(*writers, late, return_exceptions=True)
    assert all(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes)


async def test_items_submitted_together_share_one_flush_in_their_order() -> None:
    flushes: list[list[int]] = []

    async def write_many(items: Sequence[int]) -> list[int]:
        flushes.append(list(items))
        return [item * 10 for item in items]

    group = GroupCommit(write_many)

    assert await group.submit_many([3, 1, 2]) == [30, 10, 20]
    assert flushes == [[3, 1, 2]]
    assert await group.submit_many([]) == []
