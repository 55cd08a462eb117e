"""Two `tiaojie run` processes on one PostgreSQL database, sharing the same rooms.

A city runs several bot processes against one database. Whatever both of them can see must
still happen once: each message handled once, each reply sent once, each deadline action
taken once, each room's monthly summary posted once. The test makes both processes compete
for all four at the same moment:

- the inbox holds messages accepted before a crash (state `received`): both processes queue
  them on start-up;
- both start together, and each runs the deadline sweep and the monthly-summary catch-up on
  start-up over the same overdue cases and rooms;
- new messages are posted half to each process, some to both with the same message id (a
  platform redelivering), and both outbox senders poll the one outbox table.

The sandbox gateway keeps its transcript in the shared database and keys the bot's messages
by outbox id, so a reply sent twice would still show once there; a second delivery is
caught instead by the outbox row's attempt count (every send marks it), and a second
handling by a second reply for the same inbox message.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

from handlers.monthly_summary import SUMMARY_DAY, SUMMARY_TIME, publishing_time
from mediation.cases import EventKind
from storage.db import create_engine, create_session_factory
from storage.models import (
    Case,
    CaseEvent,
    InboxMessage,
    MonthlySummary,
    OutboxMessage,
    Room,
    SandboxMessage,
)

from .load_client import ChatMessage, MessageFactory
from .server import RunningServer, start_server

ROOMS = ("city-room-1", "city-room-2", "city-room-3")
SEEDED_MESSAGES = 60  # accepted before a crash, waiting in the inbox
LIVE_MESSAGES = 80  # posted while both run, half to each
REDELIVERED = 12  # posted to both processes with the same message id
OVERDUE_CASES = 15  # pending for a month: the acceptance deadline has passed
SETTLE_TIMEOUT_S = 180.0
POLL_S = 0.2
STAFF = "staff-wang"
TIMEZONE = ZoneInfo("Asia/Shanghai")


def server_env(database_url: str) -> dict[str, str]:
    return {
        "TIAOJIE_DATABASE_URL": database_url,
        "TIAOJIE_ADMINS": STAFF,
        "TIAOJIE_SWEEP_MINUTES": "1",  # also runs once at start-up
        "TIAOJIE_SENDER_MESSAGES_PER_MINUTE": "0",
        "TIAOJIE_ROOM_MESSAGES_PER_MINUTE": "100000",  # one message per reply: nothing merged
    }


@dataclass(frozen=True)
class Plan:
    seeded: list[ChatMessage]
    live: list[ChatMessage]
    redelivered: list[ChatMessage]

    @property
    def all_messages(self) -> list[ChatMessage]:
        return [*self.seeded, *self.live, *self.redelivered]


def make_plan() -> Plan:
    factory = MessageFactory(11, id_prefix="mp", senders_per_room=8)
    return Plan(
        seeded=factory.mixed(SEEDED_MESSAGES, rooms=ROOMS, complaint_share=0.6),
        live=factory.mixed(LIVE_MESSAGES, rooms=ROOMS, complaint_share=0.6),
        redelivered=factory.mixed(REDELIVERED, rooms=ROOMS, complaint_share=0.6),
    )


async def seed(database_url: str, plan: Plan, now: datetime) -> None:
    """Rooms the bot has been in for months, overdue cases, and an inbox left by a crash."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine).begin() as session:
            long_ago = now - timedelta(days=120)
            session.add_all(Room(id=room, name=room, first_seen_at=long_ago) for room in ROOMS)
            await session.flush()
            received = now - timedelta(days=30)
            for n in range(1, OVERDUE_CASES + 1):
                session.add(
                    Case(
                        number=f"CY-209901-{n:04d}",
                        room_id=ROOMS[n % len(ROOMS)],
                        reporter_id=f"old-reporter-{n}",
                        reporter_name="网格员",
                        raw_text=f"旧投诉{n}",
                        masked_text=f"旧投诉{n}",
                        demands=[],
                        contacts=[],
                        missing=[],
                        status="pending",
                        received_at=received,
                        updated_at=received,
                    )
                )
            for message in plan.seeded:
                session.add(
                    InboxMessage(
                        message_id=message.message_id,
                        room_id=message.room_id,
                        sender_id=message.sender_id,
                        sender_name=message.sender_name,
                        text=message.text,
                        truncated=False,
                        mention_ids=[],
                        is_direct=False,
                        sent_at=now,
                        received_at=now,
                        state="received",
                        attempts=0,
                    )
                )
    finally:
        await engine.dispose()


def start_both(tmp_path: Path, database_url: str) -> list[RunningServer]:
    env = server_env(database_url)
    with ThreadPoolExecutor(2) as pool:
        starting = [
            pool.submit(start_server, tmp_path / name / "data", env=env) for name in ("a", "b")
        ]
        return [future.result() for future in starting]


def post_all(server: RunningServer, messages: Sequence[ChatMessage]) -> list[int]:
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        return [
            client.post(f"/sandbox/rooms/{m.room_id}/messages", json=m.request_body()).status_code
            for m in messages
        ]


def post_to_both(servers: Sequence[RunningServer], plan: Plan) -> list[int]:
    """Live messages alternate between the processes; redelivered ones go to both."""
    first, second = plan.live[0::2], plan.live[1::2]
    with ThreadPoolExecutor(2) as pool:
        posting = [
            pool.submit(post_all, servers[0], [*first, *plan.redelivered]),
            pool.submit(post_all, servers[1], [*second, *plan.redelivered]),
        ]
        return list(itertools.chain.from_iterable(future.result() for future in posting))


@dataclass(frozen=True)
class Snapshot:
    inbox: list[InboxMessage]
    outbox: list[OutboxMessage]
    cases: list[Case]
    events: list[CaseEvent]
    summaries: list[MonthlySummary]
    transcript_ids: list[str]


async def snapshot(database_url: str) -> Snapshot:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            return Snapshot(
                inbox=list(await session.scalars(select(InboxMessage))),
                outbox=list(await session.scalars(select(OutboxMessage))),
                cases=list(await session.scalars(select(Case))),
                events=list(await session.scalars(select(CaseEvent))),
                summaries=list(await session.scalars(select(MonthlySummary))),
                transcript_ids=list(
                    await session.scalars(
                        select(SandboxMessage.message_id).where(
                            SandboxMessage.message_id.like("bot-%")
                        )
                    )
                ),
            )
    finally:
        await engine.dispose()


async def count_unsettled(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(InboxMessage)
                .where(InboxMessage.state != "handled")
            )
            unsent = await session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state != "sent")
            )
            escalated = await session.scalar(
                select(func.count())
                .select_from(CaseEvent)
                .where(CaseEvent.kind == EventKind.ACCEPTANCE_OVERDUE)
            )
        return int(waiting or 0) + int(unsent or 0) + OVERDUE_CASES - int(escalated or 0)
    finally:
        await engine.dispose()


async def wait_until(condition: Callable[[], Awaitable[bool]], within_s: float) -> bool:
    """Poll a condition the two processes will make true (they run on their own clocks)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(POLL_S)
    return False


async def test_two_processes_handle_send_escalate_and_summarise_everything_once(
    tmp_path: Path, postgres_url: str
) -> None:
    plan = make_plan()
    now = datetime.now(UTC)
    await seed(postgres_url, plan, now)

    servers = await asyncio.to_thread(start_both, tmp_path, postgres_url)
    try:
        statuses = await asyncio.to_thread(post_to_both, servers, plan)

        async def settled() -> bool:
            return await count_unsettled(postgres_url) == 0

        assert await wait_until(settled, SETTLE_TIMEOUT_S), "the two processes did not settle"
    finally:
        codes = [server.stop() for server in servers]
    logs = [server.log() for server in servers]
    assert codes == [0, 0], logs
    assert set(statuses) == {202}
    assert all("tiaojie handles messages" in log for log in logs)

    seen = await snapshot(postgres_url)

    # every message stored once and handled once: one reply per complaint, none for chatter
    by_message_id = Counter(row.message_id for row in seen.inbox)
    assert sorted(by_message_id) == sorted(m.message_id for m in plan.all_messages)
    assert set(by_message_id.values()) == {1}
    assert {row.state for row in seen.inbox} == {"handled"}
    replies_per_inbox = Counter(row.cause_inbox_id for row in seen.outbox if row.cause_inbox_id)
    complaint_ids = {m.message_id for m in plan.all_messages if m.is_complaint}
    for row in seen.inbox:
        expected = 1 if row.message_id in complaint_ids else 0
        assert replies_per_inbox[row.id] == expected, (row.message_id, row.route, row.error)
    opened = Counter(case.source_message_id for case in seen.cases if case.source_message_id)
    assert sorted(opened) == sorted(complaint_ids)
    assert set(opened.values()) == {1}

    # every reply delivered once: one send marks a row sent with one attempt
    assert {row.state for row in seen.outbox} == {"sent"}
    assert [row.id for row in seen.outbox if row.attempts != 1] == []
    assert sorted(seen.transcript_ids) == sorted(f"bot-{row.id}" for row in seen.outbox)

    # each overdue case escalated once, by one of the two sweeps
    escalations = Counter(
        event.case_id for event in seen.events if event.kind == EventKind.ACCEPTANCE_OVERDUE
    )
    overdue_ids = {case.id for case in seen.cases if case.number.startswith("CY-2099")}
    assert escalations == Counter(dict.fromkeys(overdue_ids, 1))
    escalation_keys = [
        row.dedupe_key
        for row in seen.outbox
        if (row.dedupe_key or "").endswith("acceptance:escalate")
    ]
    assert len(escalation_keys) == OVERDUE_CASES

    # each room's summary of last month posted once (when this month's is already due)
    due = now >= publishing_time(now, TIMEZONE, SUMMARY_DAY, SUMMARY_TIME)
    summaries = Counter(row.room_id for row in seen.summaries)
    assert summaries == (Counter(dict.fromkeys(ROOMS, 1)) if due else Counter())
    summary_posts = Counter(
        row.room_id for row in seen.outbox if (row.dedupe_key or "").startswith("summary:")
    )
    assert summary_posts == summaries
