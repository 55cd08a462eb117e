"""Deliver queued replies through the gateway, in order per room, retrying with back-off.

A reply is marked sent only after the platform took it. A crash between the two can send
it once more on restart (at-least-once); the sandbox keys its transcript by outbox id so a
resend there shows once.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mediation.clock import Clock
from storage import outbox

from .gateway import ChatGateway
from .messages import OutgoingMessage

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
BACKOFF_BASE = timedelta(seconds=2)
BACKOFF_MAX = timedelta(minutes=5)


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
    ) -> None:
        self._sessions = session_factory
        self._gateway = gateway
        self._clock = clock
        self._max_attempts = max_attempts
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.deliver_due()
            except Exception:
                log.exception("outbox: delivery round failed; retrying")
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=POLL_SECONDS)
            self._wake.clear()

    async def deliver_due(self) -> int:
        """Send what is due now; return how many replies were delivered."""
        async with self._lock:
            return await self._deliver_due()

    async def _deliver_due(self) -> int:
        delivered = 0
        now = self._clock.now()
        async with self._sessions() as session:
            pending = await outbox.due(session, now, limit=200)
        held_rooms: set[str] = set()
        for row in pending:
            if row.room_id in held_rooms:
                continue
            if row.next_attempt_at > now or not self._gateway.ready:
                held_rooms.add(row.room_id)  # keep this room's later replies behind it
                continue
            message = OutgoingMessage(
                room_id=row.room_id,
                text=row.text,
                mention_ids=tuple(row.mention_ids),
                image_path=row.image_path,
                outbox_id=row.id,
            )
            try:
                platform_id = await self._gateway.send(message)
            except Exception as error:
                held_rooms.add(row.room_id)
                async with self._sessions.begin() as session:
                    gave_up = await outbox.mark_attempt_failed(
                        session,
                        row,
                        self._clock.now(),
                        f"{type(error).__name__}: {error}",
                        max_attempts=self._max_attempts,
                        backoff=backoff_after(row.attempts + 1),
                    )
                if gave_up:
                    log.error("outbox %s: gave up after %s attempts", row.id, row.attempts + 1)
                    held_rooms.discard(row.room_id)
                continue
            async with self._sessions.begin() as session:
                await outbox.mark_sent(session, row.id, self._clock.now(), platform_id)
            delivered += 1
        return delivered
