"""Erasing a consumer's personal data: after the retention period, or on request.

What goes: the raw phone and ID-card numbers kept for staff (`cases.contacts`), the raw
complaint text (replaced by its masked form), and every copy of it the bot made: the inbox
messages that made up the case (text and error), the replies about the case (a staff
member's private `/case` carries the full text), the sandbox transcript's lines of both,
and the Excel exports already written (each holds many cases' numbers, so all of them go;
`/export` writes a new one on demand). What stays: everything the statistics need (dates,
category, merchant, amounts, outcome, rating) and the audit trail, which never held raw
numbers.

On SQLite an UPDATE leaves the old text in the file's free space and in the write-ahead
log, so erasure runs with `secure_delete` on (freed space is zeroed) and the caller
checkpoints the log (`checkpoint_and_truncate`); `tiaojie erase` does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from mediation.cases import Actor, EventKind
from mediation.privacy import mask_personal_data, mask_text
from mediation.relay import masked_name
from storage import case_queries, cases
from storage.models import Case, InboxMessage, OutboxMessage, SandboxMessage

EXPORT_FILES = "export-*.xlsx"  # handlers.exports.save_workbook
SANDBOX_BOT_LINE = "bot-"  # bot.sandbox.gateway.transcript_id: "bot-<outbox id>-<outbox id>…"


async def erase_personal_data(
    session: AsyncSession, case: Case, *, now: datetime, reason: str, everywhere: bool = False
) -> bool:
    """Erase in the caller's transaction; False when it was erased before.

    `everywhere` (`tiaojie erase`, on a consumer's request) also masks every other inbox
    message, reply and sandbox line that holds one of the case's numbers (a follow-up that
    was not linked to the case, a message quoting it): a search through those tables, too
    slow for the retention sweep's hundreds of cases, fine for one.
    """
    if case.personal_data_erased_at is not None:
        return False
    await _zero_freed_space(session)
    if everywhere:
        await _mask_every_copy(session, _numbers_of(case))
    messages = await case_queries.source_messages(session, case)
    for message in messages:
        message.text = mask_text(message.text)
        if message.error is not None:
            message.error = mask_text(message.error)
    replies = list(
        await session.scalars(
            select(OutboxMessage).where(
                (OutboxMessage.case_id == case.id)
                | OutboxMessage.cause_inbox_id.in_([m.id for m in messages])
            )
        )
    )
    for reply in replies:
        reply.text = mask_text(reply.text)
        if reply.last_error is not None:
            reply.last_error = mask_text(reply.last_error)
    await _mask_transcript(session, [m.message_id for m in messages], replies)
    case.contacts = []
    if case.consumer_name:
        case.consumer_name = masked_name(case.consumer_name)
    case.masked_text = mask_text(case.masked_text)  # masked again by today's masker
    case.raw_text = case.masked_text
    case.personal_data_erased_at = now
    cases.record_event(
        session,
        case,
        EventKind.PERSONAL_DATA_ERASED,
        actor=Actor.SYSTEM,
        at=now,
        data={"reason": reason},
    )
    return True


def _numbers_of(case: Case) -> set[str]:
    found = mask_personal_data(case.raw_text)
    return {*case.contacts, *found.phones, *found.id_numbers, *found.cards}


async def _mask_every_copy(session: AsyncSession, numbers: set[str]) -> None:
    """Mask every stored text in which the masker finds one of `numbers`. Candidates are
    the rows holding a number's last four digits (as nearly every way of writing it does);
    the masker decides."""
    if not numbers:
        return
    tails = {number[-4:] if number[-1].isdigit() else number[-5:-1] for number in numbers}
    for model, columns in (
        (InboxMessage, (InboxMessage.text, InboxMessage.error)),
        (OutboxMessage, (OutboxMessage.text, OutboxMessage.last_error)),
        (SandboxMessage, (SandboxMessage.text,)),
    ):
        holding = or_(*(column.contains(tail) for column in columns for tail in tails))
        for row in await session.scalars(select(model).where(holding)):
            for column in columns:
                value = getattr(row, column.key)
                if value is not None and _holds_any(value, numbers):
                    setattr(row, column.key, mask_text(value))


def _holds_any(value: str, numbers: set[str]) -> bool:
    found = mask_personal_data(value)
    return bool(numbers & {*found.phones, *found.id_numbers, *found.cards})


async def _mask_transcript(
    session: AsyncSession, message_ids: list[str], replies: list[OutboxMessage]
) -> None:
    """The sandbox's lines of the case's messages, and of the replies about it."""
    reply_ids = {str(reply.id) for reply in replies}
    rooms = {reply.room_id for reply in replies}
    lines = await session.scalars(
        select(SandboxMessage).where(
            SandboxMessage.message_id.in_(message_ids)
            | (
                SandboxMessage.room_id.in_(rooms)
                & SandboxMessage.message_id.startswith(SANDBOX_BOT_LINE)
            )
        )
    )
    for line in lines:
        if line.message_id.startswith(SANDBOX_BOT_LINE):
            named = set(line.message_id.removeprefix(SANDBOX_BOT_LINE).split("-"))
            if not named & reply_ids:
                continue
        line.text = mask_text(line.text)


async def _zero_freed_space(session: AsyncSession) -> None:
    if session.bind.dialect.name == "sqlite":
        await session.execute(text("PRAGMA secure_delete = ON"))


async def checkpoint_and_truncate(engine: AsyncEngine) -> None:
    """Copy SQLite's write-ahead log into the file and empty it: the log still holds the
    pages as they were before the erasure. A no-op on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def delete_exports(media_dir: Path) -> int:
    """Delete every Excel export written so far; the number deleted."""
    deleted = 0
    for path in media_dir.glob(EXPORT_FILES):
        path.unlink(missing_ok=True)
        deleted += 1
    return deleted


async def erase_expired(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    retention: timedelta,
    media_dir: Path | None = None,
) -> int:
    """Erase every case closed longer ago than the retention period (and, when any was,
    the exports in `media_dir`)."""
    async with sessions.begin() as session:
        due = await case_queries.closed_before_not_erased(session, now - retention, limit=500)
        erased = 0
        for case in due:
            erased += await erase_personal_data(session, case, now=now, reason="retention")
    if erased and media_dir is not None:
        delete_exports(media_dir)
    return erased
