"""Inbox first: accept (commit) each incoming message, then handle it exactly once.

`accept` returns only after the message is committed to the inbox, so anything the platform
was told "received" survives a crash. A single worker takes stored messages in arrival
order and handles each in a transaction of its own: the claim, the case changes, the case
events and the replies commit together, or not at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers import Handled, HandlerConfig, SharedState, handle_message, room_needs_recording
from mediation.clock import Clock
from mediation.privacy import mask_text
from storage import inbox, reference
from storage.db import is_transient
from storage.inbox import ClaimedMessage

from .messages import IncomingMessage

log = logging.getLogger(__name__)

RETRY_DELAY_SECONDS = 1.0
STOP_SECONDS = 10.0  # stopping waits this long for the message in hand
MAX_RETRY_DELAY_SECONDS = 30.0


def describe_error(error: BaseException, limit: int = 200) -> str:
    """The error's type and its message masked (`mediation.privacy`) and shortened: safe for
    `inbox.error` and the log."""
    message = " ".join(mask_text(str(error)).split())
    if len(message) > limit:
        message = message[: limit - 1] + "…"
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


class ReferenceDataMoved(Exception):
    """Another process changed merchants or the calendar since this one loaded them."""

    def __init__(self, kinds: frozenset[str]) -> None:
        super().__init__(", ".join(sorted(kinds)))
        self.kinds = kinds


def retry_delay(attempts: int) -> float:
    return min(RETRY_DELAY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY_SECONDS)


class MessageDispatcher:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        config: HandlerConfig,
        shared: SharedState,
        clock: Clock,
        on_replies_queued: Callable[[], None] = lambda: None,
        on_reload: Callable[[frozenset[str]], Awaitable[None]] | None = None,
    ) -> None:
        self._sessions = session_factory
        self._config = config
        self._shared = shared
        self._on_reload = on_reload
        self._clock = clock
        self._on_replies_queued = on_replies_queued
        self._reference_versions: dict[str, int] = {}  # as loaded
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._retries: dict[int, asyncio.TimerHandle] = {}
        self._stopping = False
        self._idle = asyncio.Event()  # cleared while a message is being handled
        self._idle.set()
        self._replies_queued = False  # replies committed since the sender was last woken

    async def accept(self, message: IncomingMessage) -> bool:
        """Commit the message to the inbox; queue it unless it was seen before."""
        arrival = inbox.Arrival(
            message_id=message.message_id,
            room_id=message.room_id,
            sender_id=message.sender_id,
            sender_name=message.sender_name,
            text=message.text,
            mention_ids=list(message.mention_ids),
            is_direct=message.is_direct,
            sent_at=message.sent_at,
            received_at=self._clock.now(),
            account_id=self._config.bot_id,
        )
        async with self._sessions.begin() as session:
            inbox_id = await inbox.accept(
                session, arrival, max_chars=self._config.max_message_chars
            )
        if inbox_id is not None:
            self._queue.put_nowait(inbox_id)
        return True

    async def start(self) -> None:
        """Pick up whatever was accepted but not handled before the last stop or crash."""
        self._reference_versions = await self._read_reference_versions() or {}
        async with self._sessions() as session:
            for inbox_id in await inbox.unhandled_ids(session):
                self._queue.put_nowait(inbox_id)
        self._worker = asyncio.create_task(self._work(), name="inbox-worker")

    async def stop(self) -> None:
        for handle in self._retries.values():
            handle.cancel()
        self._retries.clear()
        if self._worker is not None:
            # the message in hand is finished first: a transaction cut off inside a statement
            # left SQLite's connection (and the process) hanging; the queued rest stay
            # `received` and are handled after the restart
            self._stopping = True
            with suppress(TimeoutError):
                async with asyncio.timeout(STOP_SECONDS):
                    await self._idle.wait()
            self._worker.cancel()
            with suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
            self._stopping = False

    async def drain(self) -> None:
        """Wait until every queued message has been handled (tests and shutdown)."""
        await self._queue.join()

    async def _work(self) -> None:
        while True:
            inbox_id = await self._queue.get()
            try:
                if self._stopping:
                    continue
                self._idle.clear()
                await self.process(inbox_id)
                if self._queue.empty():  # caught up: the sender takes every reply so far
                    self._wake_sender()
            finally:
                self._queue.task_done()
                self._idle.set()

    async def _reload(self, kinds: frozenset[str]) -> None:
        """Reload after reference data changed. The versions are read first: a change
        another process commits after that is caught by the next message's check; after a
        failed reload the old versions stay, so the next message tries again."""
        if self._on_reload is None:
            return
        versions = await self._read_reference_versions()
        try:
            await self._on_reload(kinds)
        except Exception:  # logged, never allowed to stop the worker
            log.exception("reloading %s failed; trying again later", sorted(kinds))
            return
        if versions is not None:
            self._reference_versions = versions

    async def _read_reference_versions(self) -> dict[str, int] | None:
        try:
            async with self._sessions() as session:
                return await reference.current(session)
        except Exception as error:  # the handling that follows meets the same and waits
            log.warning("reference versions unreadable: %s", type(error).__name__)
            return None

    async def process(self, inbox_id: int) -> None:
        """Handle one stored message in a transaction of its own."""
        try:
            try:
                handled = await self._handle_in_transaction(inbox_id)
            except ReferenceDataMoved as moved:  # rolled back, nothing written: reload first
                await self._reload(moved.kinds)
                handled = await self._handle_in_transaction(inbox_id, check_versions=False)
        except Exception as error:  # any failure: keep the message, try again, never crash
            await self._record_failure(inbox_id, error)
            return
        if handled is None:
            return
        message, result = handled
        handled_at = self._clock.now()
        if room_needs_recording(self._shared, message.room_id, handled_at):
            self._shared.known_rooms[message.room_id] = handled_at
        if result.reload:
            await self._reload(result.reload)
        self._replies_queued = True
        if self._worker is None:  # handled by hand (tests): no worker to wake the sender
            self._wake_sender()

    def _wake_sender(self) -> None:
        if self._replies_queued:
            self._replies_queued = False
            self._on_replies_queued()

    async def _handle_in_transaction(
        self, inbox_id: int, *, check_versions: bool = True
    ) -> tuple[ClaimedMessage, Handled] | None:
        async with self._sessions.begin() as session:
            message = await inbox.claim(session, inbox_id)
            if message is None:
                return None  # handled before (redelivery, or a second worker)
            if check_versions and self._on_reload is not None:
                versions = await reference.current(session)
                moved = reference.changed(self._reference_versions, versions)
                if moved:
                    raise ReferenceDataMoved(moved)
            now = self._clock.now()
            result = await handle_message(
                session, message, config=self._config, shared=self._shared, now=now
            )
            if result.reload:
                await reference.bump(session, result.reload)  # the other processes reload too
            await inbox.record_handled(session, message.id, result.route.value, now)
            return message, result

    async def _record_failure(self, inbox_id: int, error: Exception) -> None:
        """Keep the message for another attempt when the database is locked or unreachable
        (waited out: the message stays `received`); any other error is of the data or a
        handler's and would fail again, so the message is marked `failed` at once, with one
        clear log line, so that it cannot block or loop the queue. What is stored and logged
        is the error's type and a masked, shortened message: a database error lists the
        statement's parameters, which can be a complaint's personal data."""
        description = describe_error(error)
        transient = is_transient(error)
        attempts = 1
        try:
            async with self._sessions.begin() as session:
                attempts = await inbox.record_failure(
                    session, inbox_id, description, give_up=not transient
                )
        except Exception as recording_error:
            log.warning(
                "inbox %s: could not record the failure (%s); it stays queued",
                inbox_id,
                type(recording_error).__name__,
            )
            transient = True
        if not transient:
            log.error(
                "inbox %s: gave up: handling failed with an error of the data, not retried "
                "(attempt %s): %s",
                inbox_id,
                attempts,
                description,
            )
            return
        delay = retry_delay(attempts)
        log.warning(
            "inbox %s: database unavailable, retrying in %.0f s: %s", inbox_id, delay, description
        )
        loop = asyncio.get_running_loop()
        self._retries[inbox_id] = loop.call_later(delay, self._requeue, inbox_id)

    def _requeue(self, inbox_id: int) -> None:
        self._retries.pop(inbox_id, None)
        self._queue.put_nowait(inbox_id)
