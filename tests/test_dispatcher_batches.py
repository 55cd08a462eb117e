"""Messages that queue up are handled several to a transaction, with the same outcome as
one at a time: one case per complaint, one reply each, a bad message costing only itself."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bot import dispatcher as dispatcher_module
from bot.app import BotApp
from bot.messages import IncomingMessage
from mediation.cases import EventKind
from storage import collected, outbox
from storage.models import Case, CaseEvent, InboxMessage, Merchant, OutboxMessage

from .conftest import START
from .conversation import GRID_WORKER, STAFF, Person

COMPLAINTS = [
    "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678",
    "【投诉】东湖好又多超市卖过期牛奶，消费者要求退货并赔偿，电话13900001111",
    "【投诉】湖西路李记面馆外卖少送一份，多收32元，要求退款，电话13711112222",
]
CHATTER = "收到，辛苦了"


def message(
    number: int, text: str, sender: Person = GRID_WORKER, room: str = ""
) -> IncomingMessage:
    return IncomingMessage(
        message_id=f"batch-{number}",
        room_id=room or f"room-{number % 2}",
        sender_id=sender.id,
        sender_name=sender.name,
        text=text,
        sent_at=START,
    )


async def queue_without_handling(bot: BotApp, messages: list[IncomingMessage]) -> list[int]:
    """Accept the messages while the worker is stopped, as if it were busy meanwhile. The
    sender is stopped too: only the handling transactions are counted."""
    await bot.dispatcher.stop()
    await bot.sender.stop()
    for incoming in messages:
        await bot.dispatcher.accept(incoming)
    async with bot.sessions() as session:
        return list(await session.scalars(select(InboxMessage.id).order_by(InboxMessage.id)))


def count_commits(bot: BotApp) -> Callable[[], int]:
    commits = 0

    def counted(_connection: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(bot.engine.sync_engine, "commit", counted)
    return lambda: commits


def statements_run(bot: BotApp) -> list[str]:
    """Every statement the engine runs from now on, as SQL, in order."""
    statements: list[str] = []
    event.listen(
        bot.engine.sync_engine,
        "before_cursor_execute",
        lambda _conn, _cursor, sql, *_rest: statements.append(sql),
    )
    return statements


async def scalar(bot: BotApp, statement: Any) -> Any:
    async with bot.sessions() as session:
        return await session.scalar(statement)


async def test_messages_queued_while_the_worker_was_busy_share_one_transaction(
    bot: BotApp,
) -> None:
    texts = [*COMPLAINTS, CHATTER, CHATTER]
    ids = await queue_without_handling(bot, [message(n, t) for n, t in enumerate(texts)])
    bot.dispatcher.batch_seconds = 600  # however slow the machine, all five fit in one batch
    commits = count_commits(bot)

    await bot.dispatcher.process_batch(ids)

    assert commits() == 1
    assert await scalar(bot, select(func.count()).select_from(Case)) == 3
    assert bot.dispatcher.cuts_kept() == 0
    handled = select(func.count()).select_from(InboxMessage).where(InboxMessage.state == "handled")
    assert await scalar(bot, handled) == 5
    case_replies = select(func.count(func.distinct(OutboxMessage.case_id)))  # queued, not sent
    assert await scalar(bot, case_replies) == 3


async def test_a_message_that_fails_costs_only_itself_and_the_rest_are_handled_once(
    bot: BotApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await queue_without_handling(bot, [message(n, t) for n, t in enumerate(COMPLAINTS)])
    real_handler = dispatcher_module.handle_message

    async def failing_on_the_second(session: Any, inbox_message: InboxMessage, **kw: Any) -> Any:
        if inbox_message.message_id == "batch-1":
            raise RuntimeError("a handler bug")
        return await real_handler(session, inbox_message, **kw)

    monkeypatch.setattr(dispatcher_module, "handle_message", failing_on_the_second)

    await bot.dispatcher.process_batch(ids)

    assert await scalar(bot, select(func.count()).select_from(Case)) == 2
    async with bot.sessions() as session:
        states = dict(
            (await session.execute(select(InboxMessage.message_id, InboxMessage.state))).all()
        )
        failed = await session.scalar(
            select(InboxMessage).where(InboxMessage.message_id == "batch-1")
        )
    assert states == {"batch-0": "handled", "batch-1": "received", "batch-2": "handled"}
    assert failed is not None and failed.attempts == 1 and "a handler bug" in (failed.error or "")
    one_reply_per_case = select(func.count()).select_from(OutboxMessage)
    assert await scalar(bot, one_reply_per_case) == 2


async def test_a_registry_change_ends_the_batch_so_the_next_message_is_read_with_it(
    bot: BotApp,
) -> None:
    messages = [  # STAFF is an admin in the settings of these tests
        message(
            0, "/merchant add 王家面馆 91310000MA1FL8XQ3K 湖西社区", sender=STAFF, room="room-0"
        ),
        message(1, "【投诉】王家面馆多收消费者20元，要求退款，电话13812345678", room="room-0"),
    ]
    ids = await queue_without_handling(bot, messages)

    await bot.dispatcher.process_batch(ids)

    # read in the command's transaction, the complaint would not know the new merchant
    merchant_id = await scalar(bot, select(Merchant.id).where(Merchant.name == "王家面馆"))
    case = await scalar(bot, select(Case))
    assert case is not None and merchant_id is not None
    assert case.merchant_id == merchant_id


async def test_a_batch_that_runs_out_of_time_commits_what_it_did_and_goes_on(bot: BotApp) -> None:
    ids = await queue_without_handling(bot, [message(n, t) for n, t in enumerate(COMPLAINTS)])
    bot.dispatcher.batch_seconds = 0  # every message is over the limit: one per transaction
    commits = count_commits(bot)

    await bot.dispatcher.process_batch(ids)

    assert commits() == 3
    assert await scalar(bot, select(func.count()).select_from(Case)) == 3
    assert bot.dispatcher.cuts_kept() == 0  # read ahead for the later batches, then let go


async def test_a_complaint_repeated_in_one_batch_is_linked_to_the_case_the_batch_opened(
    bot: BotApp,
) -> None:
    ids = await queue_without_handling(
        bot, [message(0, COMPLAINTS[0], room="room-0"), message(1, COMPLAINTS[0], room="room-0")]
    )
    bot.dispatcher.batch_seconds = 600

    await bot.dispatcher.process_batch(ids)

    async with bot.sessions() as session:
        (case,) = (await session.scalars(select(Case))).all()
        kinds = list(await session.scalars(select(CaseEvent.kind).order_by(CaseEvent.id)))
        reply_cases = list(await session.scalars(select(OutboxMessage.case_id)))
    assert kinds.count(EventKind.DUPLICATE_LINKED) == 1
    assert reply_cases and set(reply_cases) == {case.id}


async def test_details_posted_in_the_batch_that_opened_the_case_fill_it(bot: BotApp) -> None:
    ids = await queue_without_handling(
        bot,
        [
            message(0, "【投诉】湖西路张记饺子馆多收消费者58元", room="room-0"),
            message(1, "要求退款，电话13812345678", room="room-0"),
        ],
    )
    bot.dispatcher.batch_seconds = 600

    await bot.dispatcher.process_batch(ids)

    async with bot.sessions() as session:
        case = await session.scalar(select(Case))
        routes = list(await session.scalars(select(InboxMessage.route).order_by(InboxMessage.id)))
    assert routes == ["complaint", "details"]
    assert case is not None and case.missing == [] and case.demands == ["退款"]


async def test_a_batch_inserts_its_replies_cases_and_events_together_numbered_in_sequence(
    bot: BotApp,
) -> None:
    rooms_seen = [message(20 + n, CHATTER, room=f"room-{n}") for n in (0, 1, 9)]
    await bot.dispatcher.process_batch(await queue_without_handling(bot, rooms_seen))
    complaints = [message(n, t) for n, t in enumerate(COMPLAINTS)]
    ids = await queue_without_handling(bot, complaints)
    bot.dispatcher.batch_seconds = 600
    statements = statements_run(bot)

    await bot.dispatcher.process_batch(ids)
    later = await queue_without_handling(bot, [message(9, COMPLAINTS[1], room="room-9")])
    await bot.dispatcher.process_batch(later)

    def inserts_into(table: str) -> int:
        return sum(1 for s in statements if s.startswith(f"INSERT INTO {table} "))

    counter_writes = [s for s in statements if s.startswith("UPDATE case_counters")]
    inserted = {table: inserts_into(table) for table in ("outbox", "cases", "case_events")}
    assert inserted == {"outbox": 2, "cases": 2, "case_events": 2}  # one of each per batch
    assert len(counter_writes) <= 3  # first number, last number; the later batch's one
    async with bot.sessions() as session:
        numbers = list(await session.scalars(select(Case.number).order_by(Case.id)))
        untied = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.case_id.is_(None))
        )
        # each case got its own id back, and so did its event: they still belong together
        opened = (
            await session.execute(
                select(Case.source_message_id, InboxMessage.message_id)
                .join(CaseEvent, CaseEvent.case_id == Case.id)
                .join(InboxMessage, InboxMessage.id == CaseEvent.data["inbox_id"].as_integer())
                .where(CaseEvent.kind == EventKind.OPENED)
            )
        ).all()
    assert [int(number[-4:]) for number in numbers] == [1, 2, 3, 4]
    assert untied == 0
    assert len(opened) == 4
    assert all(case_source == event_source for case_source, event_source in opened)


async def test_a_commit_with_collected_replies_not_written_is_refused(bot: BotApp) -> None:
    with pytest.raises(RuntimeError, match="write_collected"):
        async with bot.sessions.begin() as session:
            collected.start_collecting(session)
            await outbox.enqueue(session, room_id="room-0", text="好", now=START)

    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_messages_arriving_one_by_one_while_the_first_waits_share_its_transaction(
    bot: BotApp,
) -> None:
    await bot.sender.stop()  # only the handling transactions are counted
    bot.dispatcher.gather_seconds = 30  # longer than the accepts below take on any machine
    bot.dispatcher.batch_seconds = 600  # however slow the machine, all three fit in one batch
    handling_transactions: list[str] = []

    def marks_handled(_conn: object, _cursor: object, sql: str, *_rest: object) -> None:
        if sql.startswith("UPDATE inbox SET state=") and " route=" in sql:
            handling_transactions.append(sql)

    event.listen(bot.engine.sync_engine, "before_cursor_execute", marks_handled)
    await bot.dispatcher.accept(message(0, COMPLAINTS[0]))
    while bot.dispatcher.waiting():  # noqa: ASYNC110 - until the worker has taken it
        await asyncio.sleep(0)
    for number, text in enumerate(COMPLAINTS[1:], start=1):
        await bot.dispatcher.accept(message(number, text))

    await bot.dispatcher.drain()  # no more to come: the batch goes at once

    assert len(handling_transactions) == 1  # each marks its messages handled once
    assert await scalar(bot, select(func.count()).select_from(Case)) == 3


async def test_a_stop_while_a_message_waits_for_company_loses_nothing_and_drain_still_ends(
    bot: BotApp,
) -> None:
    bot.dispatcher.gather_seconds = 30
    await bot.dispatcher.accept(message(0, COMPLAINTS[0]))
    while bot.dispatcher.waiting():  # noqa: ASYNC110 - until the worker has taken it
        await asyncio.sleep(0)

    await bot.dispatcher.stop()  # the message is still only in the inbox
    await bot.dispatcher.start()  # which queues it again
    async with asyncio.timeout(120):  # a guard against a hang, not a measure of speed
        await bot.dispatcher.drain()

    assert await scalar(bot, select(func.count()).select_from(Case)) == 1


async def test_a_batch_waiting_for_company_goes_as_soon_as_enough_have_joined_it(
    bot: BotApp,
) -> None:
    await bot.sender.stop()
    bot.dispatcher.gather_seconds = 600  # the batch could only go early because it filled
    bot.dispatcher.batch_seconds = 600
    enough = dispatcher_module.GATHER_UNTIL

    for number in range(enough):
        await bot.dispatcher.accept(message(number, CHATTER, room="room-0"))
    async with asyncio.timeout(120):  # a guard against a hang, not a measure of speed
        handled = select(func.count()).where(InboxMessage.state == "handled")
        while await scalar(bot, handled) < 1:  # noqa: ASYNC110 - until the batch has gone
            await asyncio.sleep(0.01)
        await bot.dispatcher.drain()

    assert await scalar(bot, handled) == enough


async def test_a_room_new_to_the_process_is_written_once_by_the_batch_it_first_appears_in(
    bot: BotApp,
) -> None:
    ids = await queue_without_handling(
        bot, [message(n, text, room="room-new") for n, text in enumerate([*COMPLAINTS, CHATTER])]
    )
    bot.dispatcher.batch_seconds = 600
    statements = statements_run(bot)

    await bot.dispatcher.process_batch(ids)

    assert sum(1 for s in statements if s.startswith("INSERT INTO rooms ")) == 1
    assert await scalar(bot, select(func.count()).select_from(Case)) == len(COMPLAINTS)
