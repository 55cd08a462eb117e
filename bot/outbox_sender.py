"""Deliver queued replies through the gateway, in order per room, retrying with back-off.

A reply is marked sent only after the platform took it. A crash between the two can send
it once more on restart (at-least-once); the sandbox keys its transcript by outbox id so a
resend there shows once. Before sending, a sender claims the rows (`storage.outbox.claim`),
so that two processes on one database never both send the same reply.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from itertools import takewhile

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mediation.clock import Clock
from storage import outbox
from storage.models import OutboxMessage

from .gateway import ChatGateway, Delivery
from .messages import OutgoingMessage

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
STOP_SECONDS = 10.0  # stopping waits this long for the delivery round under way
BACKOFF_BASE = timedelta(seconds=2)
BACKOFF_MAX = timedelta(minutes=5)
MAX_BATCH = 20
CLAIM_LEASE = timedelta(minutes=2)  # a claimed reply is another sender's again after this


def backoff_after(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


class OutboxSender:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        gateway: ChatGateway,
        *,
        clock: Clock,
        max_attempts: int = 8,
        room_messages_per_minute: int = 20,
        account_id: str | None = None,
    ) -> None:
        self._account_id = account_id  # send only to the rooms this bot account serves
        self._sessions = session_factory
        self._gateway = gateway
        self._clock = clock
        self._max_attempts = max_attempts
        self._pacer = RoomPacer(room_messages_per_minute)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        # claimed rows a failed round could not give back: given back first thing next round
        self._held: set[int] = set()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        if self._only_sender():
            async with self._sessions.begin() as session:
                await outbox.release_claims(session, self._clock.now())
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    def _only_sender(self) -> bool:
        """SQLite is served by one process: replies it held when it stopped were never sent
        (or are resent at least once, as before) and need not wait out their lease, and
        every room is its own. On PostgreSQL another process may be sending them right now,
        and a room is served by the process whose account is in it."""
        bind = self._sessions.kw.get("bind")
        return bind is not None and bind.dialect.name == "sqlite"

    async def stop(self) -> None:
        """Let the round under way finish (a send cut off inside its database write left
        SQLite's connection, and the process, hanging), then stop; cancel after
        STOP_SECONDS."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        done, _ = await asyncio.wait({self._task}, timeout=STOP_SECONDS)
        if not done:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        self._stopping = False

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.deliver_due()
            except Exception:
                log.exception("outbox: delivery round failed; retrying")
            if self._stopping:
                break
            # `asyncio.timeout`, not `wait_for`: on Python 3.11 `wait_for` can swallow the
            # cancel of `stop()` when a wake-up lands at the same moment, and the task runs on
            with suppress(TimeoutError):
                async with asyncio.timeout(POLL_SECONDS):
                    await self._wake.wait()
            self._wake.clear()

    async def deliver_due(self) -> int:
        """Send what is due now; return how many replies were delivered."""
        async with self._lock:
            return await self._deliver_due()

    async def _deliver_due(self) -> int:
        now = self._clock.now()
        if self._held:
            await self._give_back(set(self._held))
        queues: dict[str, deque[OutboxMessage]] = {}
        async with self._sessions.begin() as session:  # read and take the first wave at once
            account_id = None if self._only_sender() else self._account_id
            for row in await outbox.due(session, now, limit=500, account_id=account_id):
                queues.setdefault(row.room_id, deque()).append(row)
            claimed = await self._claim_in(session, self._wanted(queues, now), now)
        delivered = 0
        while True:
            for room_id in list(queues):
                if room_id not in claimed:
                    del queues[room_id]  # nothing due, or another sender keeps the room's order
            if not queues:
                return delivered
            try:
                sent = await self._send(claimed)
            except Exception:  # a send whose outcome was not recorded holds its room no longer
                await self._give_back({row.id for s in claimed.values() for b in s for row in b})
                raise
            for room_id, sends in claimed.items():
                taken = sum(len(batch) for batch in sends)
                if sent.get(room_id, 0) < taken:
                    del queues[room_id]  # later replies of this room wait behind a failed one
                    delivered += sent.get(room_id, 0)
                    continue
                delivered += taken
                for _ in range(taken):
                    queues[room_id].popleft()
                if not queues[room_id]:
                    del queues[room_id]
            claimed = await self._claim(self._wanted(queues, now), now)

    def _wanted(
        self, queues: dict[str, deque[OutboxMessage]], now: datetime
    ) -> dict[str, list[list[OutboxMessage]]]:
        wanted: dict[str, list[list[OutboxMessage]]] = {}
        for room_id, rows in queues.items():
            sends = self._next_sends(rows, now)
            if sends:
                wanted[room_id] = sends
        return wanted

    def _next_sends(self, rows: deque[OutboxMessage], now: datetime) -> list[list[OutboxMessage]]:
        """The room's next messages to send, in order, each one or several replies: every
        reply due now, one message each, as far as the room's pacing allows; or, when more
        are waiting than it allows, several merged into one. Empty when the first is not
        due, the gateway is down, or the room has had its share this minute."""
        first = rows[0]
        budget = self._pacer.remaining(first.room_id)
        if first.next_attempt_at > now or not self._gateway.ready or budget <= 0:
            return []
        waiting = [row for row in rows if row.next_attempt_at <= now]
        if len(waiting) > budget and first.image_path is None:
            return [list(takewhile(lambda row: row.image_path is None, waiting))[:MAX_BATCH]]
        in_order = takewhile(lambda row: row.next_attempt_at <= now, rows)
        return [[row] for row in in_order][:budget]

    async def _claim(
        self, wanted: dict[str, list[list[OutboxMessage]]], now: datetime
    ) -> dict[str, list[list[OutboxMessage]]]:
        if not wanted:
            return {}
        async with self._sessions.begin() as session:
            return await self._claim_in(session, wanted, now)

    async def _claim_in(
        self, session: AsyncSession, wanted: dict[str, list[list[OutboxMessage]]], now: datetime
    ) -> dict[str, list[list[OutboxMessage]]]:
        """Hold every room's messages for this sender in the session's transaction; a room
        gets all it wanted or none of it (a row another sender holds keeps the rest of its
        room back)."""
        if not wanted:
            return {}
        ids = {row.id for sends in wanted.values() for batch in sends for row in batch}
        taken = await outbox.claim(session, ids, now, until=now + CLAIM_LEASE)
        claimed = {
            room_id: sends
            for room_id, sends in wanted.items()
            if all(row.id in taken for batch in sends for row in batch)
        }
        partly = taken - {row.id for sends in claimed.values() for b in sends for row in b}
        if partly:
            await outbox.release(session, partly, now)
        return claimed

    async def _give_back(self, outbox_ids: set[int]) -> None:
        """Release claimed rows now (those sent meanwhile stay sent); if the database
        refuses that too, try again at the start of the next round."""
        try:
            async with self._sessions.begin() as session:
                await outbox.release(session, outbox_ids, self._clock.now())
        except Exception as error:
            log.warning(
                "outbox: could not give back %s claimed replies: %s", len(outbox_ids), error
            )
            self._held |= outbox_ids
        else:
            self._held -= outbox_ids

    async def _send(self, claimed: dict[str, list[list[OutboxMessage]]]) -> dict[str, int]:
        """Send every room's claimed messages (rooms side by side, each room's in its order,
        stopping at the first the gateway refuses); mark the delivered ones sent and give the
        unsent back in one transaction, record the failures; return how many replies of each
        room were delivered."""
        lanes = asyncio.Semaphore(max(self._gateway.parallel_sends, 1))
        delivered: list[tuple[list[int], str | None]] = []
        refused: list[tuple[list[OutboxMessage], Exception]] = []
        unsent: list[int] = []
        counts: dict[str, int] = {}

        async def send_room(room_id: str, sends: list[list[OutboxMessage]]) -> None:
            try:
                async with lanes:
                    delivery = await self._gateway.send_in_order([merge(b) for b in sends])
            except Exception as error:  # nothing is known to have gone out
                delivery = Delivery(refused=error)
            taken = sends[: len(delivery.platform_ids)]
            for batch, platform_id in zip(taken, delivery.platform_ids, strict=True):
                self._pacer.record(room_id)
                delivered.append(([row.id for row in batch], platform_id))
            counts[room_id] = sum(len(batch) for batch in taken)
            rest = sends[len(taken) :]
            if rest and delivery.refused is not None:
                refused.append((rest[0], delivery.refused))
                rest = rest[1:]
            unsent.extend(row.id for later in rest for row in later)

        await asyncio.gather(*(send_room(room_id, sends) for room_id, sends in claimed.items()))
        if delivered or unsent:
            async with self._sessions.begin() as session:
                await outbox.mark_sent_many(session, delivered, self._clock.now())
                if unsent:
                    await outbox.release(session, unsent, self._clock.now())
        for batch, error in refused:
            await self._record_failure(batch, error)
        return counts

    async def _record_failure(self, batch: list[OutboxMessage], error: Exception) -> None:
        description = f"{type(error).__name__}: {error}"
        async with self._sessions.begin() as session:
            for row in batch:
                gave_up = await outbox.mark_attempt_failed(
                    session,
                    row,
                    self._clock.now(),
                    description,
                    max_attempts=self._max_attempts,
                    backoff=backoff_after(row.attempts + 1),
                )
                if gave_up:
                    log.error("outbox %s: gave up after %s attempts", row.id, row.attempts + 1)


def merge(batch: list[OutboxMessage]) -> OutgoingMessage:
    """One message for several queued replies: texts in order, everyone mentioned once."""
    first = batch[0]
    mentions = list(dict.fromkeys(m for row in batch for m in row.mention_ids))
    return OutgoingMessage(
        room_id=first.room_id,
        text="\n\n".join(row.text for row in batch),
        mention_ids=tuple(mentions),
        image_path=first.image_path if len(batch) == 1 else None,
        outbox_id=first.id,
        outbox_ids=tuple(row.id for row in batch),
    )


class RoomPacer:
    """At most `per_minute` messages into one room in any 60 seconds (of real time)."""

    def __init__(self, per_minute: int, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._monotonic = monotonic
        self._sent: dict[str, deque[float]] = {}

    def remaining(self, room_id: str) -> int:
        if self.per_minute <= 0:
            return MAX_BATCH  # unlimited
        window = self._sent.get(room_id)
        if window is None:
            return self.per_minute
        horizon = self._monotonic() - 60
        while window and window[0] <= horizon:
            window.popleft()
        return self.per_minute - len(window)

    def record(self, room_id: str) -> None:
        if self.per_minute > 0:
            self._sent.setdefault(room_id, deque()).append(self._monotonic())
