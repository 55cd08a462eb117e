"""Kill -9 in the middle of a stream of group messages, restart, and count.

A real `tiaojie run` process takes complaints and chatter from the sandbox HTTP interface
while the test pulls the plug (SIGKILL: no shutdown, no flush). The test then does what a
chat platform does: it starts the bot again on the same data directory and redelivers every
message it was not told "received" (202) about, with the same message id. Afterwards every
message must have been handled exactly once, every complaint must have one case and one
reply, and nothing the bot said may be missing or shown twice.

Everything is read from outside the process: the transcript over HTTP and the SQLite file
through a read-only connection.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.outbox_sender import merge
from bot.settings import Settings
from mediation.clock import ManualClock
from storage.models import Case, OutboxMessage

from .conversation import Group, Person
from .load_client import (
    BOT_MESSAGE_PREFIX,
    ChatClient,
    ChatMessage,
    DatabaseView,
    MessageFactory,
    fetch_transcript,
    is_bot_message,
    post_message,
    room_ids,
)
from .server import RunningServer, start_server

MESSAGES = 150
COMPLAINT_SHARE = 0.6
ROOMS = room_ids(10, prefix="crash-room")  # <= 20 replies a room: pacing never holds one
KILL_AFTER_ACCEPTED = 60
CONCURRENT_POSTS = 8
RESEND_SECONDS = 20.0
SETTLE_SECONDS = 30.0
SERVER_ENV = {"TIAOJIE_SWEEP_MINUTES": "0"}
CASE_NUMBER = re.compile(r"CY-\d{6}-\d{4,}")


@dataclass
class Stream:
    """What the client learnt while streaming: which posts were acknowledged."""

    accepted: set[str]
    statuses: Counter[int | None]


@pytest.fixture(scope="module")
def messages() -> list[ChatMessage]:
    factory = MessageFactory(7, id_prefix="crash")
    return factory.mixed(MESSAGES, rooms=ROOMS, complaint_share=COMPLAINT_SHARE)


async def stream_and_kill(
    server: RunningServer, messages: Sequence[ChatMessage], kill_after: int
) -> Stream:
    """Post with a few connections at once; SIGKILL the server at the n-th 202."""
    stream = Stream(accepted=set(), statuses=Counter())
    pending = iter(messages)
    killed = False

    async with ChatClient(server.base_url, timeout=10.0, connections=CONCURRENT_POSTS) as client:

        async def poster() -> None:
            nonlocal killed
            for message in pending:
                if killed:
                    return
                status = await post_message(client, message)
                stream.statuses[status] += 1
                if status != 202:
                    continue
                stream.accepted.add(message.message_id)
                if len(stream.accepted) >= kill_after and not killed:
                    killed = True
                    server.kill()  # other posts are still in flight right now

        await asyncio.gather(*(poster() for _ in range(CONCURRENT_POSTS)))
    return stream


async def redeliver(
    server: RunningServer, messages: Sequence[ChatMessage], deadline: float
) -> None:
    """Post each message until it is accepted, as a platform retries an unacknowledged one."""
    async with ChatClient(server.base_url, timeout=10.0, connections=1) as client:
        for message in messages:
            while (status := await post_message(client, message)) != 202:
                assert time.monotonic() < deadline, f"{message.message_id}: got {status}"
                await asyncio.sleep(0.1)


async def wait_until_settled(database: DatabaseView, expected: int, deadline: float) -> str:
    """Poll the database until every message is handled and every reply delivered."""
    state = ""
    while time.monotonic() < deadline:
        inbox = Counter(row.state for row in database.inbox().values())
        outbox = database.outbox_states()
        state = f"inbox {dict(inbox)}, outbox {outbox}"
        delivering = sum(n for kind, n in outbox.items() if kind not in ("sent", "failed"))
        if inbox.get("handled", 0) + inbox.get("failed", 0) >= expected and not delivering:
            return state
        await asyncio.sleep(0.2)
    raise AssertionError(f"not settled within {SETTLE_SECONDS:.0f} s: {state}")


def state_at_crash(database: DatabaseView) -> str:
    inbox = Counter(row.state for row in database.inbox().values())
    return f"inbox {dict(inbox)}, outbox {database.outbox_states()}"


async def test_bot_killed_mid_stream_handles_every_accepted_message_exactly_once(
    tmp_path: Path, messages: list[ChatMessage]
) -> None:
    data_dir = tmp_path / "data"
    database = DatabaseView.of_data_dir(data_dir)
    complaints = [m for m in messages if m.is_complaint]
    chatter = [m for m in messages if not m.is_complaint]

    first = await asyncio.to_thread(start_server, data_dir, env=SERVER_ENV)
    try:
        stream = await stream_and_kill(first, messages, KILL_AFTER_ACCEPTED)
    finally:
        first.kill()
    crash = state_at_crash(database)
    print(f"\nat the crash: {len(stream.accepted)} accepted, {crash}; posts: {stream.statuses}")
    # 500: the database stayed locked past the busy timeout; the message is redelivered
    assert set(stream.statuses) <= {202, 500, None}, stream.statuses
    assert len(stream.accepted) >= KILL_AFTER_ACCEPTED

    second = await asyncio.to_thread(start_server, data_dir, env=SERVER_ENV)
    try:
        unacknowledged = [m for m in messages if m.message_id not in stream.accepted]
        await redeliver(second, unacknowledged, time.monotonic() + RESEND_SECONDS)
        settled = await wait_until_settled(
            database, len(messages), time.monotonic() + SETTLE_SECONDS
        )
        print(f"redelivered {len(unacknowledged)}; settled: {settled}")
        async with ChatClient(second.base_url, timeout=10.0, connections=1) as client:
            transcripts = {room: await fetch_transcript(client, room) for room in ROOMS}
    finally:
        code = await asyncio.to_thread(second.stop)
    assert code == 0, second.tail()

    # every message in the inbox exactly once, handled, and routed as what it is
    assert database.inbox_message_counts() == {m.message_id: 1 for m in messages}
    inbox = database.inbox()
    not_handled = {m: (r.state, r.error) for m, r in inbox.items() if r.state != "handled"}
    assert not_handled == {}
    assert Counter(inbox[m.message_id].route for m in complaints) == {"complaint": len(complaints)}
    assert Counter(inbox[m.message_id].route for m in chatter) == {"chatter": len(chatter)}

    # one case per complaint, opened once
    cases = database.cases_by_source()
    assert {m: len(numbers) for m, numbers in cases.items()} == {
        m.message_id: 1 for m in complaints
    }
    opened = database.rows(
        "SELECT case_id, count(*) FROM case_events WHERE kind = 'opened' GROUP BY case_id"
    )
    assert len(opened) == len(complaints) and {n for _, n in opened} == {1}

    # one reply per complaint, none for chatter, all delivered
    replies = database.replies_by_message()
    assert {m: len(r) for m, r in replies.items()} == {m.message_id: 1 for m in complaints}
    assert database.outbox_states(replies_only=True) == {"sent": len(complaints)}
    assert set(database.outbox_states()) == {"sent"}  # staff alerts of the burst too

    # what the group saw: each person's message once, each case number in one bot message
    number_of = {m.message_id: cases[m.message_id][0] for m in complaints}
    room_of_number = {number_of[m.message_id]: m.room_id for m in complaints}
    mentions: Counter[str] = Counter()
    delivered_ids = {r[0].platform_message_id for r in replies.values()}
    for room, rows in transcripts.items():
        people = [str(row["message_id"]) for row in rows if not is_bot_message(row)]
        assert sorted(people) == sorted(m.message_id for m in messages if m.room_id == room)
        for row in (row for row in rows if is_bot_message(row)):
            assert str(row["message_id"]) in delivered_ids, f"unexplained bot message {row}"
            for number in set(CASE_NUMBER.findall(str(row["text"]))):
                mentions[number] += 1
                assert room_of_number.get(number) == room, f"{number} posted in {room}"
    assert mentions == {number: 1 for number in number_of.values()}
    assert all(pid and pid.startswith(BOT_MESSAGE_PREFIX) for pid in delivered_ids)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """One message a minute per room, so that a backlog goes out merged into one."""
    return Settings(
        data_dir=tmp_path / "data",
        admins=["staff-wang"],
        gateway="sandbox",
        sweep_minutes=0,
        room_messages_per_minute=1,
        _env_file=None,
    )


async def test_reply_shown_just_before_a_crash_does_not_hide_the_replies_merged_after_it(
    group: Group, clock: ManualClock
) -> None:
    sandbox = group.bot.sandbox
    assert sandbox is not None
    factory = MessageFactory(11)
    complaints = [factory.complaint(group.room_id) for _ in range(3)]
    sandbox.faults.refuse_sends = True  # the platform is away: the replies queue up
    for complaint in complaints:
        await group.say(Person(complaint.sender_id, complaint.sender_name), complaint.text)
    sandbox.faults.refuse_sends = False
    async with group.bot.sessions() as session:
        queued = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        numbers = list(await session.scalars(select(Case.number).order_by(Case.id)))
    assert len(queued) == len(numbers) == 3

    # What the sender does for the first reply, up to the crash: the platform shows it,
    # the process dies before the outbox row is marked sent.
    await sandbox.send(merge(queued[:1]))
    # After the restart the backlog is due at once and goes out merged (pacing).
    clock.advance(timedelta(minutes=10))
    await group.bot.sender.deliver_due()

    shown = "\n".join(str(row["text"]) for row in await group.transcript() if is_bot_message(row))
    assert [number for number in numbers if number not in shown] == []
