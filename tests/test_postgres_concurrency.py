"""Two bots on one database, inside one test: the claims that keep shared work done once.

Each "process" here is a BotApp (or an outbox sender) with its own engine and connection
pool on the same database, so the two compete exactly as two `tiaojie run` processes do,
but at chosen moments: both handle the same inbox message, both sweep the same overdue
cases, both post the same month's summary, both deliver the same outbox. Every test runs
on PostgreSQL (skipped when none is configured) and on a SQLite file, which must stay
correct with its single writer.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import BotApp
from bot.gateway import Delivery, MessageSink, send_one_by_one
from bot.messages import IncomingMessage, OutgoingMessage
from bot.outbox_sender import OutboxSender
from bot.settings import Settings
from handlers.merchants import save_merchant
from mediation.cases import EventKind
from mediation.clock import ManualClock
from storage import outbox
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_to_head
from storage.models import Case, CaseEvent, InboxMessage, MonthlySummary, OutboxMessage, Room

from .load_client import MessageFactory

START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 on the 1st in Shanghai: summary time
ROOMS = ("shared-room-1", "shared-room-2", "shared-room-3")
STAFF = "staff-wang"


def settings_for(data_dir: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        admins=[STAFF],
        gateway="sandbox",
        sweep_minutes=0,
        sender_messages_per_minute=0,
        room_messages_per_minute=100_000,
        _env_file=None,
    )


@pytest.fixture
async def two_bots(tmp_path: Path, each_database: str) -> AsyncIterator[tuple[BotApp, BotApp]]:
    clock = ManualClock(START)
    bots = (
        BotApp(settings_for(tmp_path / "a", each_database), clock=clock),
        BotApp(settings_for(tmp_path / "b", each_database), clock=clock),
    )
    for bot in bots:
        await bot.start()
    try:
        yield bots
    finally:
        for bot in bots:
            await bot.stop()


async def seed_rooms(bot: BotApp) -> None:
    async with bot.sessions.begin() as session:
        since = START - timedelta(days=120)
        session.add_all(Room(id=room, name=room, first_seen_at=since) for room in ROOMS)


def incoming(n: int) -> list[IncomingMessage]:
    factory = MessageFactory(5, id_prefix="both", senders_per_room=6)
    return [
        IncomingMessage(
            message_id=m.message_id,
            room_id=m.room_id,
            sender_id=m.sender_id,
            sender_name=m.sender_name,
            text=m.text,
            sent_at=START,
        )
        for m in factory.mixed(n, rooms=ROOMS, complaint_share=0.7)
    ]


async def test_a_message_both_bots_pick_up_is_handled_once(
    two_bots: tuple[BotApp, BotApp],
) -> None:
    first, second = two_bots
    messages = incoming(24)
    for message in messages:
        await first.dispatcher.accept(message)  # queued for the first bot's worker
    async with second.sessions() as session:
        ids = list(await session.scalars(select(InboxMessage.id).order_by(InboxMessage.id)))

    await asyncio.gather(
        first.dispatcher.drain(), *(second.dispatcher.process(inbox_id) for inbox_id in ids)
    )

    async with first.sessions() as session:
        rows = list(await session.scalars(select(InboxMessage)))
        causes = Counter(await session.scalars(select(OutboxMessage.cause_inbox_id)))
        sources = Counter(await session.scalars(select(Case.source_message_id)))
    assert {row.state for row in rows} == {"handled"}
    for row in rows:
        expected = 1 if row.route == "complaint" else 0
        assert causes[row.id] == expected, row.message_id
    assert set(sources.values()) == {1}
    assert sum(1 for row in rows if row.route == "complaint") == len(sources) > 0


async def test_two_sweeps_escalate_each_overdue_case_once(
    two_bots: tuple[BotApp, BotApp],
) -> None:
    first, second = two_bots
    await seed_rooms(first)
    received = START - timedelta(days=30)
    async with first.sessions.begin() as session:
        for n in range(1, 21):
            session.add(
                Case(
                    number=f"CY-202605-{n:04d}",
                    room_id=ROOMS[n % len(ROOMS)],
                    reporter_id=f"reporter-{n}",
                    raw_text="旧投诉",
                    masked_text="旧投诉",
                    demands=[],
                    contacts=[],
                    missing=[],
                    status="pending",
                    received_at=received,
                    updated_at=received,
                )
            )

    results = await asyncio.gather(first.sweep_deadlines(), second.sweep_deadlines())

    async with first.sessions() as session:
        escalated = Counter(
            await session.scalars(
                select(CaseEvent.case_id).where(CaseEvent.kind == EventKind.ACCEPTANCE_OVERDUE)
            )
        )
        announced = list(
            await session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.dedupe_key.like("%acceptance%"))
            )
        )
    assert sum(result.actions for result in results) == 20
    assert len(escalated) == 20 and set(escalated.values()) == {1}
    assert len(announced) == 20


async def test_two_bots_post_each_rooms_monthly_summary_once(
    two_bots: tuple[BotApp, BotApp],
) -> None:
    first, second = two_bots
    await seed_rooms(first)

    posted = await asyncio.gather(first.post_monthly_summaries(), second.post_monthly_summaries())

    async with first.sessions() as session:
        summaries = Counter(await session.scalars(select(MonthlySummary.room_id)))
        queued = Counter(
            await session.scalars(
                select(OutboxMessage.room_id).where(OutboxMessage.dedupe_key.like("summary:%"))
            )
        )
    assert sum(posted) == len(ROOMS)
    assert summaries == queued == Counter(dict.fromkeys(ROOMS, 1))


class RecordingPlatform:
    """A chat platform that takes everything and remembers what it was sent, by whom."""

    name = "recording"
    ready = True
    parallel_sends = 4

    def __init__(self, sent: list[tuple[str, OutgoingMessage]], sender: str) -> None:
        self._sent = sent
        self._sender = sender

    async def start(self, sink: MessageSink) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send_in_order(self, messages: Sequence[OutgoingMessage]) -> Delivery:
        return await send_one_by_one(self, messages)

    async def send(self, message: OutgoingMessage) -> str | None:
        await asyncio.sleep(0)  # a real send yields: let the other sender run meanwhile
        self._sent.append((self._sender, message))
        return f"platform-{message.outbox_id}"


async def test_two_senders_deliver_each_reply_once_and_in_order_per_room(
    tmp_path: Path, each_database: str
) -> None:
    clock = ManualClock(START)
    engines = [create_engine(each_database), create_engine(each_database)]
    try:
        await upgrade_to_head(engines[0])
        sessions = [create_session_factory(engine) for engine in engines]
        async with sessions[0].begin() as session:
            for n in range(60):
                await outbox.enqueue(
                    session, room_id=ROOMS[n % len(ROOMS)], text=f"回复{n}", now=START
                )
        sent: list[tuple[str, OutgoingMessage]] = []
        senders = [
            OutboxSender(
                factory,
                RecordingPlatform(sent, name),
                clock=clock,
                room_messages_per_minute=100_000,
            )
            for factory, name in zip(sessions, ("a", "b"), strict=True)
        ]

        for _ in range(5):
            await asyncio.gather(*(sender.deliver_due() for sender in senders))

        async with sessions[1]() as session:
            rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    finally:
        for engine in engines:
            await engine.dispose()

    delivered = Counter(message.outbox_id for _, message in sent)
    assert delivered == Counter({row.id: 1 for row in rows})
    assert {(row.state, row.attempts) for row in rows} == {("sent", 1)}
    for room in ROOMS:
        in_room = [message.outbox_id for _, message in sent if message.room_id == room]
        assert in_room == sorted(in_room)


async def test_a_merchant_one_bot_adds_is_known_to_the_others_next_message(
    two_bots: tuple[BotApp, BotApp],
) -> None:
    """The versions are compared inside the handling transaction; when they moved it is
    rolled back, the merchants reloaded, and the message handled with them."""
    first, second = two_bots
    async with first.sessions.begin() as session:
        merchant, _ = await save_merchant(session, {"name": "青禾轻食沙拉"}, now=START)
    await first.dispatcher.drain()  # nothing queued: the first bot has not reloaded either

    await second.dispatcher.accept(
        IncomingMessage(
            message_id="after-registry-change",
            room_id=ROOMS[0],
            sender_id="grid-li",
            sender_name="网格员李",
            text="【投诉】青禾轻食沙拉的沙拉里有虫子，消费者要求退款35元，电话13812345678",
            sent_at=START,
        )
    )
    await second.dispatcher.drain()

    async with second.sessions() as session:
        case = await session.scalar(
            select(Case).where(Case.source_message_id == "after-registry-change")
        )
        route = await session.scalar(
            select(InboxMessage.route).where(InboxMessage.message_id == "after-registry-change")
        )
    assert route == "complaint"
    assert case is not None and case.merchant_id == merchant.id
