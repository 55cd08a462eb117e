"""Rooms' open cases remembered between batches: a repeat is still linked, and a case that
closed, changed or was never committed is never compared with. Comparing a complaint with
the room's cases all at once finds what comparing them one by one does."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import BotApp
from bot.messages import IncomingMessage
from handlers.intake import NEAR_IDENTICAL_RATIO, near_identical
from handlers.open_cases import (
    MAX_COMPARED_CASES,
    OPEN_STATUS_VALUES,
    OpenCase,
    OpenCasesMemory,
)
from mediation.cases import Actor, CaseStatus, EventKind
from storage import cases
from storage.db import create_engine, create_session_factory
from storage.models import Case, CaseEvent, Room

from .conftest import START
from .conversation import GRID_WORKER, STAFF, Person

COMPLAINT = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678"
ROOM = "room-huxi"


async def post(bot: BotApp, number: int, text: str, sender: Person = GRID_WORKER) -> None:
    """One message, handled in a transaction (a batch) of its own."""
    await bot.dispatcher.accept(
        IncomingMessage(
            message_id=f"memory-{number}",
            room_id=ROOM,
            sender_id=sender.id,
            sender_name=sender.name,
            text=text,
            sent_at=START,
        )
    )
    await bot.dispatcher.drain()


async def case_count(bot: BotApp) -> int:
    async with bot.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Case)) or 0)


async def links(bot: BotApp) -> int:
    async with bot.sessions() as session:
        kind_is_link = CaseEvent.kind == EventKind.DUPLICATE_LINKED
        return int(await session.scalar(select(func.count()).where(kind_is_link)) or 0)


def remembers(bot: BotApp) -> bool:
    """The memory is used on SQLite only (see handlers/open_cases.py)."""
    return bot.engine.dialect.name == "sqlite"


async def test_a_complaint_repeated_in_a_later_batch_is_linked_to_the_remembered_case(
    bot: BotApp,
) -> None:
    await post(bot, 1, COMPLAINT)
    await post(bot, 2, "收到，辛苦了")
    await post(bot, 3, COMPLAINT)
    await post(bot, 4, COMPLAINT)

    assert await case_count(bot) == 1
    assert await links(bot) == 2
    assert bot.services.open_cases.rooms_remembered() == (1 if remembers(bot) else 0)


async def test_a_case_closed_by_staff_between_batches_is_no_longer_compared_with(
    bot: BotApp,
) -> None:
    await post(bot, 1, COMPLAINT)
    await post(bot, 2, COMPLAINT)  # remembered and linked
    async with bot.sessions() as session:
        number = await session.scalar(select(Case.number))

    await post(bot, 3, f"/close {number} 成功", sender=STAFF)
    await post(bot, 4, COMPLAINT)

    assert await case_count(bot) == 2
    assert await links(bot) == 1


async def test_a_case_another_process_closes_is_seen_by_the_next_batch(bot: BotApp) -> None:
    await post(bot, 1, COMPLAINT)
    await post(bot, 2, COMPLAINT)
    other_process = bot.sessions  # a separate transaction, as the CLI or a second bot commits
    async with other_process.begin() as session:
        case = await session.scalar(select(Case))
        assert case is not None
        case.status = CaseStatus.WITHDRAWN
        cases.record_event(session, case, EventKind.WITHDRAWN, actor=Actor.STAFF, at=START)

    await post(bot, 3, COMPLAINT)

    assert await case_count(bot) == 2


async def open_case_directly(session: AsyncSession, number: str, at: datetime) -> Case:
    if await session.get(Room, ROOM) is None:
        session.add(Room(id=ROOM, first_seen_at=at))
        await session.flush()
    case = Case(
        number=number,
        room_id=ROOM,
        reporter_id=GRID_WORKER.id,
        status=CaseStatus.PENDING,
        raw_text=COMPLAINT,
        masked_text=COMPLAINT,
        received_at=at,
        updated_at=at,
    )
    session.add(case)
    cases.record_event(session, case, EventKind.OPENED, actor=Actor.SYSTEM, at=at)
    await session.flush()
    return case


async def cases_opened_a_minute_apart(bot: BotApp, count: int) -> list[Case]:
    async with bot.sessions.begin() as session:
        return [
            await open_case_directly(session, f"CY-202606-09{n:02d}", START + timedelta(minutes=n))
            for n in range(count)
        ]


async def opened_by_another_process(bot: BotApp, number: str) -> Case:
    """Committed through an engine of its own, while the bot's one connection is in use."""
    other_engine = create_engine(bot.engine.url.render_as_string(hide_password=False))
    try:
        async with create_session_factory(other_engine).begin() as other_process:
            return await open_case_directly(other_process, number, START)
    finally:
        await other_engine.dispose()


async def withdraw(session: AsyncSession, case_id: int) -> Case:
    case = await session.get(Case, case_id)
    assert case is not None
    case.status = CaseStatus.WITHDRAWN
    cases.record_event(session, case, EventKind.WITHDRAWN, actor=Actor.STAFF, at=START)
    return case


async def test_cases_a_session_has_not_committed_are_never_remembered(bot: BotApp) -> None:
    memory = OpenCasesMemory()
    since = START - timedelta(days=7)
    async with bot.sessions() as session:
        assert await memory.read(session, [ROOM], since) == {ROOM: []}
    async with bot.sessions() as session:
        opened = await open_case_directly(session, "CY-202606-0901", START)
        (seen,) = (await memory.read(session, [ROOM], since))[ROOM]  # its own, uncommitted
        assert seen.id == opened.id
        await session.rollback()

    async with bot.sessions() as session:
        assert await memory.read(session, [ROOM], since) == {ROOM: []}


async def test_a_full_room_that_loses_a_case_is_read_again(bot: BotApp) -> None:
    memory = OpenCasesMemory(per_room=2)
    since = START - timedelta(days=7)
    opened = await cases_opened_a_minute_apart(bot, 3)
    async with bot.sessions() as session:
        first = [row.id for row in (await memory.read(session, [ROOM], since))[ROOM]]
    assert first == [opened[2].id, opened[1].id]

    async with bot.sessions.begin() as session:
        await withdraw(session, opened[2].id)
    async with bot.sessions() as session:
        after = [row.id for row in (await memory.read(session, [ROOM], since))[ROOM]]

    assert after == [opened[1].id, opened[0].id]  # the oldest comes back into the list


async def test_cases_that_fall_out_of_the_window_are_dropped(bot: BotApp) -> None:
    memory = OpenCasesMemory()
    async with bot.sessions.begin() as session:
        old = await open_case_directly(session, "CY-202606-0901", START)
        new = await open_case_directly(session, "CY-202606-0902", START + timedelta(days=3))
    async with bot.sessions() as session:
        rows = (await memory.read(session, [ROOM], START - timedelta(days=7)))[ROOM]
        assert [row.id for row in rows] == [new.id, old.id]
        later = (await memory.read(session, [ROOM], START + timedelta(days=1)))[ROOM]
        assert [row.id for row in later] == [new.id]
        earlier_again = (await memory.read(session, [ROOM], START - timedelta(days=1)))[ROOM]
        assert [row.id for row in earlier_again] == [new.id, old.id]  # read afresh


@pytest.mark.parametrize("max_changes", [0, 1000])
async def test_many_changes_at_once_make_the_memory_read_rooms_again(
    bot: BotApp, max_changes: int
) -> None:
    memory = OpenCasesMemory(max_changes=max_changes)
    since = START - timedelta(days=7)
    async with bot.sessions() as session:
        await memory.read(session, [ROOM], since)
    async with bot.sessions.begin() as session:
        opened = await open_case_directly(session, "CY-202606-0901", START)
    async with bot.sessions() as session:
        rows = (await memory.read(session, [ROOM], since))[ROOM]
    assert [row.id for row in rows] == [opened.id]


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="饺子馆多收元退款电话张记湖西路", min_size=1, max_size=30),
    st.lists(st.text(alphabet="饺子馆多收元退款电话张记湖西路", max_size=30), max_size=20),
)
def test_texts_compared_together_are_near_identical_exactly_where_one_by_one_they_are(
    text: str, others: list[str]
) -> None:
    one_by_one = {
        index
        for index, other in enumerate(others)
        if fuzz.ratio(text, other) >= NEAR_IDENTICAL_RATIO
    }
    assert near_identical(text, others) == one_by_one


def test_an_open_case_has_the_compared_columns_in_the_order_they_are_read() -> None:
    assert OpenCase._fields == cases.COMPARED_COLUMNS


async def test_the_rooms_asked_for_least_recently_are_forgotten_first(bot: BotApp) -> None:
    memory = OpenCasesMemory(max_rooms=2)
    since = START - timedelta(days=7)
    async with bot.sessions() as session:
        for room_id in ["room-a", "room-b", "room-a", "room-c"]:
            await memory.read(session, [room_id], since)

    assert memory.rooms_remembered() == (2 if remembers(bot) else 0)


async def take_the_write_lock(session: AsyncSession) -> None:
    """What the dispatcher's claim does first in every batch: a write, so SQLite's write
    lock is held (and nothing else commits) until the transaction ends."""
    await session.execute(update(Room).where(Room.id == ROOM).values(first_seen_at=START))


async def afresh(session: AsyncSession, since: datetime) -> list[int]:
    read = await cases.recent_open_cases(
        session, [ROOM], OPEN_STATUS_VALUES, since, MAX_COMPARED_CASES
    )
    return [row.id for row in read[ROOM]]


async def test_a_batch_that_changed_cases_is_answered_as_a_fresh_read_would_be(
    bot: BotApp,
) -> None:
    memory = OpenCasesMemory()
    since = START - timedelta(days=7)
    opened = await cases_opened_a_minute_apart(bot, 4)
    async with bot.sessions() as session:
        await take_the_write_lock(session)
        before = [row.id for row in (await memory.read(session, [ROOM], since))[ROOM]]
        await withdraw(session, opened[0].id)
        moved = await session.get(Case, opened[1].id)
        assert moved is not None
        moved.merchant_name = "张记饺子馆"
        cases.record_event(session, moved, EventKind.DETAILS_ADDED, actor=Actor.STAFF, at=START)
        newest = await open_case_directly(session, "CY-202606-0950", START + timedelta(hours=1))

        answered = (await memory.read(session, [ROOM], since))[ROOM]

        assert [case.id for case in answered] == await afresh(session, since)
        if remembers(bot):  # answered from the memory: the session's own cases as they are
            assert answered[0] is newest
            assert next(case for case in answered if case.id == moved.id) is moved
        await session.rollback()

    async with bot.sessions() as session:
        again = [row.id for row in (await memory.read(session, [ROOM], since))[ROOM]]
    assert again == before == [case.id for case in reversed(opened)]


async def test_a_batch_that_read_before_taking_the_write_lock_reads_afresh_once_changed(
    bot: BotApp,
) -> None:
    memory = OpenCasesMemory()
    since = START - timedelta(days=7)
    async with bot.sessions.begin() as session:
        first = await open_case_directly(session, "CY-202606-0901", START)
    async with bot.sessions() as batch:
        await memory.read(batch, [ROOM], since)  # no write yet: others may still commit
        second = await opened_by_another_process(bot, "CY-202606-0902")
        await withdraw(batch, first.id)

        answered = (await memory.read(batch, [ROOM], since))[ROOM]

        assert [case.id for case in answered] == [second.id]
        await batch.rollback()


async def test_a_full_room_whose_listed_case_the_batch_changed_is_read_afresh(
    bot: BotApp,
) -> None:
    memory = OpenCasesMemory(per_room=2)
    since = START - timedelta(days=7)
    opened = await cases_opened_a_minute_apart(bot, 3)
    async with bot.sessions() as session:
        await take_the_write_lock(session)
        await memory.read(session, [ROOM], since)
        await withdraw(session, opened[2].id)

        answered = (await memory.read(session, [ROOM], since))[ROOM]

        assert [case.id for case in answered] == [opened[1].id, opened[0].id]
        await session.rollback()


async def test_a_session_that_committed_and_changes_cases_again_sees_what_others_committed(
    bot: BotApp,
) -> None:
    memory = OpenCasesMemory()
    since = START - timedelta(days=7)
    (first,) = await cases_opened_a_minute_apart(bot, 1)
    async with bot.sessions() as session:
        await take_the_write_lock(session)
        await memory.read(session, [ROOM], since)
        await session.commit()  # its transaction ends; the session goes on
        second = await opened_by_another_process(bot, "CY-202606-0902")
        await take_the_write_lock(session)
        await withdraw(session, first.id)

        answered = (await memory.read(session, [ROOM], since))[ROOM]

        assert [case.id for case in answered] == [second.id]
        await session.rollback()
