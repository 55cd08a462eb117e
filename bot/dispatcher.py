"""Inbox first: accept (commit) each incoming message, then handle it exactly once.

`accept` returns only after the message is committed to the inbox, so anything the platform
was told "received" survives a crash. A single worker handles stored messages in arrival
order, each with the case changes and replies it causes in the same transaction; messages
that queue up while it works are handled several to a transaction (one claim, one commit).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers import (
    BatchMemory,
    Handled,
    HandlerConfig,
    Route,
    Services,
    handle_message,
    prepare_batch,
    room_needs_recording,
)
from mediation.clock import Clock
from storage import collected, inbox, reference
from storage.db import is_transient, not_transient
from storage.group_commit import GroupCommit
from storage.inbox import ClaimedMessage
from storage.models import InboxMessage

from .messages import IncomingMessage

log = logging.getLogger(__name__)

MAX_HANDLING_ATTEMPTS = 3
MAX_BATCH = 32  # messages handled per transaction when they queue up
PREPARE_AHEAD = 16  # messages a batch reads for at once (see `handlers.prepare_batch`)
BATCH_SECONDS = 0.05  # and no longer than this, so that accepting a message never waits long
# A batch of fewer than GATHER_UNTIL messages waits this long for others to join it: under
# a steady stream each would otherwise be handled alone or nearly so, at up to three or four
# times the cost of one in a full batch; a person does not notice 20 ms.
GATHER_SECONDS = 0.02
GATHER_UNTIL = 8
RETRY_DELAY_SECONDS = 1.0
MAX_RETRY_DELAY_SECONDS = 30.0


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
        batch_size: int = MAX_BATCH,
        batch_seconds: float = BATCH_SECONDS,
        gather_seconds: float = GATHER_SECONDS,
    ) -> None:
        self._batch_size = max(batch_size, 1)
        self.batch_seconds = batch_seconds
        self.gather_seconds = gather_seconds
        self._hurry = asyncio.Event()  # set while someone waits for the queue to drain
        self._company = asyncio.Event()  # set when a gathering batch need wait no longer
        self._reference_versions: dict[str, int] | None = None
        # first cuts of messages read for a batch but not handled in it (its time ran out)
        self._routes: dict[int, Route] = {}
        self._sessions = session_factory
        self._config = config
        self._services = services
        self._on_reload = on_reload
        self._clock = clock
        self._on_replies_queued = on_replies_queued
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._retries: dict[int, asyncio.TimerHandle] = {}
        self._accepting = GroupCommit(self._store_arrivals, retry_singly=not_transient)

    async def accept(self, message: IncomingMessage) -> bool:
        """Commit the message to the inbox; queue it unless it was seen before. Messages
        accepted at the same time share the commit."""
        inbox_id = await self._accepting.submit(
            inbox.Arrival(
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
        )
        if inbox_id is not None:
            self._queue.put_nowait(inbox_id)
            if self._queue.qsize() + 1 >= GATHER_UNTIL:
                self._company.set()  # a batch waiting for company has enough
        return True

    async def _store_arrivals(self, arrivals: Sequence[inbox.Arrival]) -> list[int | None]:
        # a bare connection: storing rows needs no ORM session (and costs less without one)
        async with self._sessions.kw["bind"].begin() as connection:
            return await inbox.accept_many(
                connection, arrivals, max_chars=self._config.max_message_chars
            )

    async def start(self) -> None:
        """Pick up whatever was accepted but not handled before the last stop or crash."""
        self._reference_versions = await self._read_reference_versions()  # as loaded
        async with self._sessions() as session:
            for inbox_id in await inbox.unhandled_ids(session):
                self._queue.put_nowait(inbox_id)
        self._worker = asyncio.create_task(self._work(), name="inbox-worker")

    async def stop(self) -> None:
        await self._accepting.finish()  # messages being accepted are committed, then queued
        for handle in self._retries.values():
            handle.cancel()
        self._retries.clear()
        if self._worker is not None:
            self._worker.cancel()
            with suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    def cuts_kept(self) -> int:
        """First cuts read for messages not handled yet (those a batch had no time for)."""
        return len(self._routes)

    def waiting(self) -> int:
        """Messages queued and not yet taken by the worker."""
        return self._queue.qsize()

    async def drain(self) -> None:
        """Wait until every queued message has been handled (tests and shutdown), without
        waiting for more to gather."""
        self._hurry.set()
        self._company.set()
        try:
            await self._queue.join()
        finally:
            self._hurry.clear()

    async def _work(self) -> None:
        while True:
            batch = [await self._queue.get()]
            try:  # whatever happens (a stop while gathering too), what was taken is done
                if self._queue.qsize() + 1 < GATHER_UNTIL and self.gather_seconds > 0:
                    await self._gather()
                while len(batch) < self._batch_size and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                await self.catch_up_reference_data()
                await self.process_batch(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _gather(self) -> None:
        if self._hurry.is_set():
            return
        self._company.clear()
        with suppress(TimeoutError):
            async with asyncio.timeout(self.gather_seconds):
                await self._company.wait()

    async def catch_up_reference_data(self) -> None:
        """Reload merchants or the calendar if another process changed them since."""
        versions = await self._read_reference_versions()
        if versions is None or self._reference_versions is None or self._on_reload is None:
            self._reference_versions = self._reference_versions or versions
            return
        kinds = reference.changed(self._reference_versions, versions)
        if kinds:
            self._routes.clear()  # cut with the old merchants
        if kinds and not await self._reload_safely(kinds):
            return  # keep the old versions: the next batch tries again
        self._reference_versions = versions

    async def _reload(self, kinds: frozenset[str]) -> None:
        """Reload after this process changed reference data. The versions are read first:
        a change another process commits after that is caught by the next check."""
        if self._on_reload is None:
            return
        self._routes.clear()  # cut with the old merchants
        versions = await self._read_reference_versions()
        if await self._reload_safely(kinds) and versions is not None:
            self._reference_versions = versions

    async def _reload_safely(self, kinds: frozenset[str]) -> bool:
        """Reload; a failure is logged, never allowed to stop the worker."""
        assert self._on_reload is not None
        try:
            await self._on_reload(kinds)
        except Exception:
            log.exception("reloading %s failed; trying again before the next batch", sorted(kinds))
            return False
        return True

    async def _read_reference_versions(self) -> dict[str, int] | None:
        try:
            async with self._sessions() as session:
                return await reference.current(session)
        except Exception as error:  # the handling that follows meets the same and waits
            log.warning("reference versions unreadable: %s", type(error).__name__)
            return None

    async def process_batch(self, inbox_ids: list[int]) -> None:
        """Handle waiting messages in arrival order, several per transaction.

        A batch shares one claim and one commit. A message that changes reference data
        (merchants, the calendar) ends its batch, so the next one is read with the change
        applied. If anything in a batch fails, the batch is rolled back and each of its
        messages is handled again on its own, so one bad message costs only itself.
        """
        remaining = sorted(inbox_ids)
        while remaining:
            if len(remaining) == 1:
                await self.process(remaining[0])
                return
            try:
                done, handled = await self._handle_batch_in_transaction(remaining)
            except Exception:  # roll back all of it; one at a time finds the culprit
                for inbox_id in remaining:
                    await self.process(inbox_id)
                return
            for message, result in handled:
                self._after_commit(message)
                if result.reload:
                    await self._reload(result.reload)
            if handled:
                self._on_replies_queued()
            remaining = remaining[done:]
            await asyncio.sleep(0)  # whoever waits for the connection goes first

    async def process(self, inbox_id: int) -> None:
        try:
            handled = await self._handle_in_transaction(inbox_id)
        except Exception as error:  # any failure: keep the message, try again, never crash
            await self._record_failure(inbox_id, error)
            return
        if handled is None:
            return
        message, result = handled
        self._after_commit(message)
        if result.reload:
            await self._reload(result.reload)
        self._on_replies_queued()

    def _after_commit(self, message: ClaimedMessage) -> None:
        handled_at = self._clock.now()
        if room_needs_recording(self._services, message.room_id, handled_at):
            self._services.known_rooms[message.room_id] = handled_at

    async def _handle_in_transaction(self, inbox_id: int) -> tuple[ClaimedMessage, Handled] | None:
        async with self._sessions.begin() as session:
            collected.start_collecting(session)
            message = await inbox.claim(session, inbox_id)
            if message is None:
                return None  # handled before (redelivery, or a second worker)
            batch = await self._prepare(session, [message])
            result = await self._handle(session, message, batch)
            await collected.write_collected(session)
            await inbox.record_handled(session, [(message, result.route.value)], self._clock.now())
            return message, result

    async def _handle_batch_in_transaction(
        self, inbox_ids: list[int]
    ) -> tuple[int, list[tuple[ClaimedMessage, Handled]]]:
        """Handle the batch up to the first message that changes reference data, or until
        the batch has taken `batch_seconds`; return how many of `inbox_ids` were dealt with
        and what came of the ones handled. The rest stay `received` for the next batch.

        The transaction holds the process's one SQLite connection, so everything else that
        needs the database (a message being accepted, a page) waits for its commit: the
        time limit keeps that wait short however long the queue is.
        """
        handled: list[tuple[ClaimedMessage, Handled]] = []
        started = time.monotonic()
        async with self._sessions.begin() as session:
            collected.start_collecting(session)
            taken = await inbox.claim_many(session, inbox_ids)
            batch = BatchMemory(routes=self._routes)  # handling a message removes its cut
            prepared = 0  # `taken[:prepared]` are read for; the rest when reached, if they are
            done = len(inbox_ids)
            claimed = {message.id: message for message in taken}
            place = {message.id: index for index, message in enumerate(taken)}
            for position, inbox_id in enumerate(inbox_ids, start=1):
                message = claimed.get(inbox_id)
                if message is None:
                    continue  # handled before (redelivery, or a second worker)
                if place[inbox_id] >= prepared:
                    ahead = taken[prepared : prepared + PREPARE_AHEAD]
                    batch.add(await self._prepare(session, ahead))
                    prepared += len(ahead)
                result = await self._handle(session, message, batch)
                handled.append((message, result))
                if result.reload or time.monotonic() - started >= self.batch_seconds:
                    done = position
                    break
                await asyncio.sleep(0)  # let the loop answer requests that need no database
            await collected.write_collected(session)
            routes = [(message, result.route.value) for message, result in handled]
            await inbox.record_handled(session, routes, self._clock.now())
            del batch  # held while the batch was handled (see `prepare_batch`)
        return done, handled

    async def _prepare(self, session: AsyncSession, messages: list[ClaimedMessage]) -> BatchMemory:
        return await prepare_batch(
            session,
            messages,
            config=self._config,
            services=self._services,
            now=self._clock.now(),
            routes=self._routes,
        )

    async def _handle(
        self, session: AsyncSession, message: ClaimedMessage, batch: BatchMemory
    ) -> Handled:
        now = self._clock.now()
        result = await handle_message(
            session, message, config=self._config, services=self._services, now=now, batch=batch
        )
        if result.reload:
            await reference.bump(session, result.reload)  # the other processes reload too
        return result

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
