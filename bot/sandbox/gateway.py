"""The sandbox: a group chat that lives in our own database and a browser page.

It plays the part WeChat plays in production: people post into a room over HTTP, the bot's
replies appear in the same room transcript. Nothing here is needed when Wechaty is used.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mediation.clock import Clock
from storage.db import not_transient
from storage.group_commit import GroupCommit
from storage.models import SandboxMessage
from storage.upsert import insert_ignore_many

from ..gateway import GatewayUnavailable, MessageSink
from ..messages import IncomingMessage, OutgoingMessage

MEDIA_URL_PREFIX = "/sandbox/media/"


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
        self._clock = clock
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.media_dir = media_dir
        self.faults = SandboxFaults()
        self._sink: MessageSink | None = None
        self._transcript: GroupCommit[dict[str, Any], None] = GroupCommit(
            self._write_transcript, retry_singly=not_transient
        )

    @property
    def ready(self) -> bool:
        return self._sink is not None

    async def start(self, sink: MessageSink) -> None:
        self.media_dir.mkdir(parents=True, exist_ok=True)
        self._sink = sink

    async def stop(self) -> None:
        await self._transcript.finish()
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
        await self._append(room_id, message_id, sender_id, sender_name, text, mention_ids, now)
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
        if self.faults.should_refuse():
            raise GatewayUnavailable("sandbox refuses sends (fault switch)")
        message_id = transcript_id(message)
        image_url = MEDIA_URL_PREFIX + Path(message.image_path).name if message.image_path else None
        await self._append(
            message.room_id,
            message_id,
            self.bot_id,
            self.bot_name,
            message.text,
            list(message.mention_ids),
            self._clock.now(),
            image_url=image_url,
        )
        return message_id

    async def history(self, room_id: str, after: int = 0, limit: int = 500) -> list[dict[str, Any]]:
        """The room's lines after `after`, oldest first. Read as plain rows: the page and
        tests poll this often, and ORM objects for rows nobody changes cost more than the
        query."""
        lines = SandboxMessage.__table__
        async with self._sessions() as session:
            rows = await session.execute(
                select(
                    lines.c.seq,
                    lines.c.message_id,
                    lines.c.sender_id,
                    lines.c.sender_name,
                    lines.c.text,
                    lines.c.mention_ids,
                    lines.c.image_url,
                    lines.c.at,
                )
                .where(lines.c.room_id == room_id, lines.c.seq > after)
                .order_by(lines.c.seq)
                .limit(limit)
            )
            return [
                {
                    "seq": row.seq,
                    "message_id": row.message_id,
                    "sender_id": row.sender_id,
                    "sender_name": row.sender_name,
                    "text": row.text,
                    "mention_ids": list(row.mention_ids),
                    "image_url": row.image_url,
                    "at": row.at.isoformat(),
                }
                for row in rows
            ]

    async def _append(
        self,
        room_id: str,
        message_id: str,
        sender_id: str,
        sender_name: str,
        text: str,
        mention_ids: list[str],
        at: datetime,
        *,
        image_url: str | None = None,
    ) -> None:
        await self._transcript.submit(
            {
                "room_id": room_id,
                "message_id": message_id,
                "sender_id": sender_id,
                "sender_name": sender_name,
                "text": text,
                "mention_ids": mention_ids,
                "image_url": image_url,
                "at": at,
            }
        )

    async def _write_transcript(self, rows: Sequence[dict[str, Any]]) -> list[None]:
        """Lines posted or sent at the same time share a commit; a line already shown (a
        resend after a crash) is not shown twice."""
        async with self._sessions.begin() as session:
            await insert_ignore_many(session, SandboxMessage, list(rows))
        return [None] * len(rows)
