"""The sandbox: a group chat that lives in our own database and a browser page.

It plays the part WeChat plays in production: people post into a room over HTTP, the bot's
replies appear in the same room transcript. Nothing here is needed when Wechaty is used.

Whoever follows a room (the browser page, the load benchmark) may ask for its next lines and
wait for them, instead of asking again and again: a request that finds nothing new is woken
when a line for its room is committed. The wait holds no database connection, only a future.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from mediation.clock import Clock
from storage.models import SandboxMessage
from storage.upsert import insert_ignore_statement

from ..gateway import Delivery, GatewayUnavailable, MessageSink
from ..messages import IncomingMessage, OutgoingMessage

MEDIA_URL_PREFIX = "/sandbox/media/"
# `/export` workbooks (handlers.exports.save_workbook): served for an hour, then deleted
EXPORT_FILES = "export-*.xlsx"
EXPORT_LIFETIME_SECONDS = 3600
# The page's staff identity (web/static/sandbox.html): an administrator with the sandbox
# gateway, so a newcomer can try every staff command without editing TIAOJIE_ADMINS
SANDBOX_STAFF_ID = "staff-wang"
LONGEST_WAIT_SECONDS = 30.0
# Lines written by another process on the same database (several bots on one PostgreSQL)
# wake nobody here: a waiting request looks again this often, which is still a fraction of
# what asking on a timer costs.
RECHECK_SECONDS = 1.0

_LINES = SandboxMessage.__table__


@dataclass
class SandboxFaults:
    """Switches for tests: make the 'platform' refuse sends for a while."""

    refuse_sends: bool = False
    refuse_next: int = 0

    def should_refuse(self) -> bool:
        if self.refuse_sends:
            return True
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return True
        return False


def transcript_id(message: OutgoingMessage) -> str:
    """The same queued reply(s) always get the same id, so a resend after a crash shows
    once; a merged message is named after every reply in it, so merging after a crash
    cannot hide replies behind one that was already shown."""
    ids = message.outbox_ids or ((message.outbox_id,) if message.outbox_id else ())
    if not ids:
        return uuid.uuid4().hex
    return "bot-" + "-".join(str(outbox_id) for outbox_id in ids)


@dataclass
class _Waiting:
    line_committed: asyncio.Future[None]
    waiters: int = 0


class _NewLineSignals:
    """Wakes the requests waiting for a room's next line.

    The requests waiting on a room share one future; a commit with a line for the room
    resolves and forgets it, so every one of them wakes and the next wait gets a fresh one.
    When a room's last waiter gives up, its future is forgotten too: rooms nobody follows
    hold nothing.
    """

    def __init__(self) -> None:
        self._rooms: dict[str, _Waiting] = {}
        self.closed = False

    def subscribe(self, room_id: str) -> asyncio.Future[None]:
        waiting = self._rooms.get(room_id)
        if waiting is None:
            waiting = _Waiting(asyncio.get_running_loop().create_future())
            self._rooms[room_id] = waiting
        waiting.waiters += 1
        return waiting.line_committed

    def unsubscribe(self, room_id: str, line_committed: asyncio.Future[None]) -> None:
        waiting = self._rooms.get(room_id)
        if waiting is None or waiting.line_committed is not line_committed:
            return  # already resolved and forgotten
        waiting.waiters -= 1
        if waiting.waiters <= 0:
            del self._rooms[room_id]

    def notify(self, room_ids: Iterable[str]) -> None:
        for room_id in set(room_ids):
            waiting = self._rooms.pop(room_id, None)
            if waiting is not None and not waiting.line_committed.done():
                waiting.line_committed.set_result(None)

    def close(self) -> None:
        """Wake everyone now and let nobody wait from here on (shutting down)."""
        self.closed = True
        self.notify(list(self._rooms))

    def waiters_by_room(self) -> dict[str, int]:
        return {room_id: waiting.waiters for room_id, waiting in self._rooms.items()}


def _engine_of(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    engine = sessions.kw.get("bind")
    if not isinstance(engine, AsyncEngine):
        raise TypeError("the sandbox needs a session factory bound to an AsyncEngine")
    return engine


def _transcript_row(
    room_id: str,
    message_id: str,
    sender_id: str,
    sender_name: str,
    text: str,
    mention_ids: list[str],
    at: datetime,
    *,
    image_url: str | None = None,
) -> dict[str, Any]:
    """A transcript line as it is stored."""
    return {
        "room_id": room_id,
        "message_id": message_id,
        "sender_id": sender_id,
        "sender_name": sender_name,
        "text": text,
        "mention_ids": mention_ids,
        "image_url": image_url,
        "at": at,
    }


def _line(row: Sequence[Any]) -> dict[str, Any]:
    seq, message_id, sender_id, sender_name, text, mention_ids, image_url, at = row
    return {
        "seq": seq,
        "message_id": message_id,
        "sender_id": sender_id,
        "sender_name": sender_name,
        "text": text,
        "mention_ids": list(mention_ids),
        "image_url": image_url,
        "at": at.isoformat(),
    }


def _is_export(message: OutgoingMessage) -> bool:
    return bool(message.image_path) and Path(message.image_path or "").match(EXPORT_FILES)


class SandboxGateway:
    name = "sandbox"
    parallel_sends = 32

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        clock: Clock,
        bot_id: str,
        bot_name: str,
        media_dir: Path,
    ) -> None:
        self._sessions = session_factory
        self._engine = _engine_of(session_factory)
        self._new_lines = _NewLineSignals()
        self._clock = clock
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.media_dir = media_dir
        self.faults = SandboxFaults()
        self._sink: MessageSink | None = None

    @property
    def ready(self) -> bool:
        return self._sink is not None

    def waiters_by_room(self) -> dict[str, int]:
        """How many requests wait for each room's next line right now (rooms with none are
        not kept)."""
        return self._new_lines.waiters_by_room()

    def expire_exports(self) -> None:
        """Delete the exports older than an hour: the sandbox serves files to whoever has
        the link, and an export holds consumers' phone numbers and complaints unmasked."""
        cutoff = time.time() - EXPORT_LIFETIME_SECONDS
        for path in self.media_dir.glob(EXPORT_FILES):
            with suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()

    async def start(self, sink: MessageSink) -> None:
        self.media_dir.mkdir(parents=True, exist_ok=True)
        self.expire_exports()
        self._new_lines.closed = False
        self._sink = sink

    def release_waiters(self) -> None:
        """Answer every waiting request now, and let none wait until the next start. A web
        server that is stopping waits for open requests before it stops the app, so it
        should call this first."""
        self._new_lines.close()

    async def stop(self) -> None:
        self.release_waiters()
        self._sink = None

    async def post(
        self,
        room_id: str,
        *,
        sender_id: str,
        sender_name: str,
        text: str,
        mention_ids: list[str],
        message_id: str | None = None,
    ) -> str:
        """A person posts into a room: shown in the transcript, then handed to the bot."""
        if self._sink is None:
            raise GatewayUnavailable("sandbox not started")
        message_id = message_id or uuid.uuid4().hex
        now = self._clock.now()
        await self._write_transcript(
            [_transcript_row(room_id, message_id, sender_id, sender_name, text, mention_ids, now)]
        )
        await self._sink(
            IncomingMessage(
                message_id=message_id,
                room_id=room_id,
                sender_id=sender_id,
                sender_name=sender_name,
                text=text,
                sent_at=now,
                mention_ids=tuple(mention_ids),
            )
        )
        return message_id

    async def send(self, message: OutgoingMessage) -> str | None:
        delivery = await self.send_in_order([message])
        if delivery.refused is not None:
            raise delivery.refused
        return delivery.platform_ids[0]

    async def send_in_order(self, messages: Sequence[OutgoingMessage]) -> Delivery:
        """The lines the fault switch lets through are shown in one commit."""
        taken: list[OutgoingMessage] = []
        refused: Exception | None = None
        for message in messages:
            if self.faults.should_refuse():
                refused = GatewayUnavailable("sandbox refuses sends (fault switch)")
                break
            taken.append(message)
        if any(_is_export(message) for message in taken):
            self.expire_exports()  # a new export clears the expired ones nobody asked for
        now = self._clock.now()
        await self._write_transcript([self._bot_line(message, now) for message in taken])
        return Delivery([transcript_id(message) for message in taken], refused)

    def _bot_line(self, message: OutgoingMessage, at: datetime) -> dict[str, Any]:
        image_url = MEDIA_URL_PREFIX + Path(message.image_path).name if message.image_path else None
        return _transcript_row(
            message.room_id,
            transcript_id(message),
            self.bot_id,
            self.bot_name,
            message.text,
            list(message.mention_ids),
            at,
            image_url=image_url,
        )

    async def history(
        self,
        room_id: str,
        after: int = 0,
        limit: int = 500,
        *,
        wait: float = 0.0,
        asker_gone: Callable[[], Awaitable[object]] | None = None,
    ) -> list[dict[str, Any]]:
        """The room's lines after `after`, oldest first. With `wait` (seconds) and nothing
        new yet, wait for a line of the room to be committed, at most that long. The wait
        ends early, with an empty list, when the gateway stops or `asker_gone()` returns
        (it is started only if the request has to wait)."""
        if wait <= 0:
            return await self._lines_after(room_id, after, limit)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(wait, LONGEST_WAIT_SECONDS)
        gone: asyncio.Future[object] | None = None
        try:
            while True:
                # subscribed before reading: a line committed meanwhile still wakes us
                line_committed = self._new_lines.subscribe(room_id)
                try:
                    lines = await self._lines_after(room_id, after, limit)
                    remaining = deadline - loop.time()
                    if lines or remaining <= 0 or self._new_lines.closed:
                        return lines
                    if gone is None and asker_gone is not None:
                        gone = asyncio.ensure_future(asker_gone())
                    await asyncio.wait(
                        [line_committed] if gone is None else [line_committed, gone],
                        timeout=min(remaining, RECHECK_SECONDS),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    if self._new_lines.closed or (gone is not None and gone.done()):
                        return []
                finally:
                    self._new_lines.unsubscribe(room_id, line_committed)
        finally:
            if gone is not None:
                gone.cancel()

    async def _lines_after(self, room_id: str, after: int, limit: int) -> list[dict[str, Any]]:
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(
                    _LINES.c.seq,
                    _LINES.c.message_id,
                    _LINES.c.sender_id,
                    _LINES.c.sender_name,
                    _LINES.c.text,
                    _LINES.c.mention_ids,
                    _LINES.c.image_url,
                    _LINES.c.at,
                )
                .where(_LINES.c.room_id == room_id, _LINES.c.seq > after)
                .order_by(_LINES.c.seq)
                .limit(limit)
            )
            return [_line(row) for row in rows]

    async def _write_transcript(self, rows: Sequence[dict[str, Any]]) -> None:
        """Show lines in one commit; a line already shown (a resend after a crash) is not
        shown twice."""
        if not rows:
            return
        async with self._engine.begin() as connection:
            await connection.execute(insert_ignore_statement(connection, SandboxMessage), rows)
        self._new_lines.notify(row["room_id"] for row in rows)
