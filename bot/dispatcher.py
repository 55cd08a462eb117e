"""Inbox first: accept (commit) each incoming message, then handle it exactly once.

`accept` returns only after the message is committed to the inbox, so anything the platform
was told "received" survives a crash. A single worker handles stored messages in arrival
order; each is handled in one transaction with the case changes and replies it causes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers import Handled, HandlerConfig, Services, handle_message
from mediation.clock import Clock
from storage import inbox
from storage.models import InboxMessage

from .messages import IncomingMessage

log = logging.getLogger(__name__)

MAX_HANDLING_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 1.0
MAX_RETRY_DELAY_SECONDS = 30.0


def is_transient(error: BaseException) -> bool:
    """Errors of the database being busy or away, not of the message: wait, don't give up."""
    if isinstance(error, OperationalError | InterfaceError | ConnectionError | TimeoutError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def retry_delay(attempts: int) -> float:
    return min(RETRY_DELAY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY_SECONDS)


class MessageDispatcher:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        config: HandlerConfig,
        services: Services,
        clock: Clock,
        on_replies_queued: Callable[[], None] = lambda: None,
        on_reload: Callable[[frozenset[str]], Awaitable[None]] | None = None,
    ) -> None:
        self._sessions = session_factory
        self._config = config
        self._services = services
        self._on_reload = on_reload
        self._clock = clock
        self._on_replies_queued = on_replies_queued
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._retries: dict[int, asyncio.TimerHandle] = {}

    async def accept(self, message: IncomingMessage) -> bool:
        """Commit the message to the inbox; queue it unless it was seen before."""
        async with self._sessions.begin() as session:
            inbox_id = await inbox.accept(
                session,
                message_id=message.message_id,
                room_id=message.room_id,
                sender_id=message.sender_id,
                sender_name=message.sender_name,
                text=message.text,
                mention_ids=list(message.mention_ids),
                is_direct=message.is_direct,
                sent_at=message.sent_at,
                received_at=self._clock.now(),
                max_chars=self._config.max_message_chars,
            )
        if inbox_id is not None:
            self._queue.put_nowait(inbox_id)
        return True

    async def start(self) -> None:
        """Pick up whatever was accepted but not handled before the last stop or crash."""
        async with self._sessions() as session:
            for inbox_id in await inbox.unhandled_ids(session):
                self._queue.put_nowait(inbox_id)
        self._worker = asyncio.create_task(self._work(), name="inbox-worker")

    async def stop(self) -> None:
        for handle in self._retries.values():
            handle.cancel()
        self._retries.clear()
        if self._worker is not None:
            self._worker.cancel()
            with suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def drain(self) -> None:
        """Wait until every queued message has been handled (tests and shutdown)."""
        await self._queue.join()

    async def _work(self) -> None:
        while True:
            inbox_id = await self._queue.get()
            try:
                await self.process(inbox_id)
            finally:
                self._queue.task_done()

    async def process(self, inbox_id: int) -> None:
        try:
            handled = await self._handle_in_transaction(inbox_id)
        except Exception as error:  # any failure: keep the message, try again, never crash
            await self._record_failure(inbox_id, error)
            return
        if handled is None:
            return
        if handled.reload and self._on_reload is not None:
            await self._on_reload(handled.reload)
        self._on_replies_queued()

    async def _handle_in_transaction(self, inbox_id: int) -> Handled | None:
        async with self._sessions.begin() as session:
            message = await inbox.claim(session, inbox_id)
            if message is None:
                return None  # handled before (redelivery, or a second worker)
            now = self._clock.now()
            handled = await handle_message(
                session, message, config=self._config, services=self._services, now=now
            )
            message.state = inbox.HANDLED
            message.route = handled.route.value
            message.handled_at = now
            message.attempts += 1
            return handled

    async def _record_failure(self, inbox_id: int, error: Exception) -> None:
        """Keep the message for another attempt. A database that is locked or unreachable is
        waited out (the message stays `received`); a handler error is tried a few times and
        then marked `failed` so one poisonous message cannot block the queue."""
        description = f"{type(error).__name__}: {error}"
        transient = is_transient(error)
        attempts = MAX_HANDLING_ATTEMPTS if not transient else 0
        give_up = False
        try:
            async with self._sessions.begin() as session:
                message = await session.get(InboxMessage, inbox_id)
                attempts = (message.attempts if message else 0) + 1
                give_up = not transient and attempts >= MAX_HANDLING_ATTEMPTS
                await inbox.record_failure(session, inbox_id, description, give_up=give_up)
        except Exception as recording_error:
            log.warning(
                "inbox %s: could not record the failure (%s); it stays queued",
                inbox_id,
                type(recording_error).__name__,
            )
            transient = True
        if give_up:
            log.error("inbox %s: gave up after %s attempts: %s", inbox_id, attempts, description)
            return
        delay = retry_delay(attempts) if transient else RETRY_DELAY_SECONDS
        log.warning(
            "inbox %s: %s, retrying in %.0f s: %s",
            inbox_id,
            "database unavailable" if transient else "handling failed",
            delay,
            description,
        )
        loop = asyncio.get_running_loop()
        self._retries[inbox_id] = loop.call_later(delay, self._requeue, inbox_id)

    def _requeue(self, inbox_id: int) -> None:
        self._retries.pop(inbox_id, None)
        self._queue.put_nowait(inbox_id)
