"""Rooms' recent open cases, remembered between batches.

Duplicate detection compares each complaint with its room's newest open cases. Read afresh
for every batch, a busy room's 200 cases were fetched and decoded again and again: a third
of the bot's CPU at 200 messages a second in four rooms. Every change to a case commits
together with an event about it, so the cases that changed since the last read are the ones
named by the events written since: each batch asks for those and reads only them again.

That needs event ids to become visible in the order they were given. SQLite has one writer
at a time, so they do. On PostgreSQL a transaction can commit an event with a smaller id
after a larger one was already seen, so there every batch reads its rooms afresh.

A session that has changed a case (recorded an event) leaves the memory alone: it would see
its own changes before they are committed, and the memory must never hold what a rollback
could take back. It is answered from the memory with its own changes laid over, when the
memory was brought up to date in that same transaction after it had taken SQLite's write
lock (the dispatcher claims its messages first): nothing else can have been committed
since. Otherwise it reads afresh.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import Row, event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from mediation.cases import OPEN_STATUSES
from storage import cases
from storage.driver_sql import holds_sqlite_write_lock
from storage.models import Case

from .batch import ComplaintFacts

MAX_COMPARED_CASES = 200  # a room's newest open cases a new complaint is compared with
# in `session.info` while its write transaction lasts: (memory, the event id it was brought up to)
_CAUGHT_UP_KEY = "open_cases_caught_up"
OPEN_STATUS_VALUES = tuple(sorted(status.value for status in OPEN_STATUSES))


class OpenCase(NamedTuple):
    """What duplicate detection compares of a case: read once, compared with every
    complaint in its room, so a plain tuple (a database row's fields cost more to read)."""

    id: int
    room_id: str
    masked_text: str
    contacts: list[str]
    amount: Decimal | None
    merchant_id: int | None
    merchant_name: str | None
    reporter_id: str
    received_at: datetime


def _open_case(row: Row[Any]) -> OpenCase:
    return OpenCase._make(row[: len(OpenCase._fields)])


@dataclass
class _Room:
    cases: list[OpenCase]  # newest first
    since: datetime  # every open case received since this is in `cases`, up to `per_room`
    full: bool  # `per_room` were found: older open cases may exist beyond the list


class OpenCasesMemory:
    """Each room's newest `per_room` open cases, for the `max_rooms` rooms asked for last."""

    def __init__(
        self,
        *,
        per_room: int = MAX_COMPARED_CASES,
        max_rooms: int = 64,
        max_changes: int = 1000,
    ) -> None:
        self._open_statuses = frozenset(OPEN_STATUS_VALUES)
        self._per_room = per_room
        self._max_rooms = max_rooms
        self._max_changes = max_changes  # more case events than this since: forget every room
        self._rooms: OrderedDict[str, _Room] = OrderedDict()
        self._as_of: int | None = None  # the newest case event the rooms reflect

    def rooms_remembered(self) -> int:
        return len(self._rooms)

    def forget(self) -> None:
        self._rooms.clear()
        self._as_of = None

    async def read(
        self, session: AsyncSession, rooms: Collection[str], since: datetime
    ) -> dict[str, list[ComplaintFacts]]:
        """Each room's newest open cases received since `since`, newest first: a new list
        for every room asked for (the caller may change it). A case the session changed is
        given as the session's `Case`; any other as an `OpenCase`."""
        if not rooms:
            return {}
        if not _event_ids_visible_in_order(session):
            return await self._read_afresh(session, rooms, since)
        if cases.changed_in(session):
            if session.info.get(_CAUGHT_UP_KEY) != (id(self), self._as_of):
                return await self._read_afresh(session, rooms, since)
            return await self._read_with_own_changes(session, rooms, since)
        await self._catch_up(session)
        stale = [room_id for room_id in rooms if not self._holds(room_id, since)]
        if stale:
            for room_id, rows in (await self._read_afresh(session, stale, since)).items():
                self._rooms[room_id] = _Room(list(rows), since, len(rows) >= self._per_room)
        found: dict[str, list[ComplaintFacts]] = {}
        for room_id in rooms:
            room = self._rooms[room_id]
            self._rooms.move_to_end(room_id)
            if room.since < since:  # the window moved on: drop what fell out of it
                room.cases = [row for row in room.cases if row.received_at >= since]
                room.since = since
            found[room_id] = list(room.cases)
        while len(self._rooms) > self._max_rooms:
            self._rooms.popitem(last=False)
        if await holds_sqlite_write_lock(session):
            session.info[_CAUGHT_UP_KEY] = (id(self), self._as_of)
        return found

    async def _read_with_own_changes(
        self, session: AsyncSession, rooms: Collection[str], since: datetime
    ) -> dict[str, list[ComplaintFacts]]:
        """The rooms as committed (the memory) with the session's own changed cases laid
        over; a room the memory cannot answer for is read afresh, and not remembered."""
        changed = cases.cases_changed_in(session)
        found: dict[str, list[ComplaintFacts]] = {}
        unknown: list[str] = []
        for room_id in rooms:
            room = self._rooms.get(room_id)
            own = [case for case in changed if case.room_id == room_id]
            listed = None if room is None else self._laid_over(room, own, since)
            if listed is None:
                unknown.append(room_id)
            else:
                found[room_id] = listed
        if unknown:
            found.update(await self._read_afresh(session, unknown, since))
        return found

    def _laid_over(
        self, room: _Room, own: list[Case], since: datetime
    ) -> list[ComplaintFacts] | None:
        """The room's list with the session's changed cases put where they now belong;
        None when that cannot be known from the list (the window reaches back further, or
        a full room has a case changed that might leave it)."""
        if room.since > since:
            return None
        own_ids = {case.id for case in own}
        if room.full and any(case.id in own_ids for case in room.cases):
            return None
        listed: list[ComplaintFacts] = [
            case for case in room.cases if case.id not in own_ids and case.received_at >= since
        ]
        listed += (
            case for case in own if case.status in self._open_statuses and case.received_at >= since
        )
        order = {id(case): position for position, case in enumerate(own)}
        listed.sort(key=lambda case: _newest_first(case, order), reverse=True)
        return listed[: self._per_room]

    def _holds(self, room_id: str, since: datetime) -> bool:
        room = self._rooms.get(room_id)
        return room is not None and room.since <= since

    async def _read_afresh(
        self, session: AsyncSession, rooms: Collection[str], since: datetime
    ) -> dict[str, list[OpenCase]]:
        read = await cases.recent_open_cases(
            session, rooms, self._open_statuses, since, self._per_room
        )
        return {room_id: [_open_case(row) for row in rows] for room_id, rows in read.items()}

    async def _catch_up(self, session: AsyncSession) -> None:
        """Bring the remembered rooms up to the newest case event."""
        if self._as_of is None:
            self._rooms.clear()
            self._as_of = await cases.latest_event_id(session)
            return
        changed = await cases.cases_changed_since(session, self._as_of, self._max_changes)
        if changed is None:
            self.forget()  # a sweep or an import changed many: reading rooms again is cheaper
            self._as_of = await cases.latest_event_id(session)
            return
        by_room: dict[str, dict[int, Row[Any]]] = {}  # compared columns, status, event id
        for row in changed:
            self._as_of = max(self._as_of, row.event_id)
            if row.room_id in self._rooms:
                by_room.setdefault(row.room_id, {})[row.id] = row
        for room_id, rows in by_room.items():
            if not self._apply(self._rooms[room_id], rows):
                del self._rooms[room_id]  # cannot tell what comes next: read it again

    def _apply(self, room: _Room, changed: dict[int, Row[Any]]) -> bool:
        """Put the room's changed cases where they belong; False when the room's list can
        no longer be known complete."""
        still_open = {
            case_id: _open_case(row)
            for case_id, row in changed.items()
            if row.status in self._open_statuses and row.received_at >= room.since
        }
        kept: list[OpenCase] = []
        lost = False
        for case in room.cases:
            if case.id not in changed:
                kept.append(case)
            elif case.id in still_open:
                kept.append(still_open.pop(case.id))  # changed, still a candidate
            else:
                lost = True
        if lost and room.full:
            return False  # a full room lost a case: the next open one beyond it is unknown
        if still_open:  # cases new to the list: usually just opened, so the newest
            kept += still_open.values()
            kept.sort(key=attrgetter("id"), reverse=True)
            if len(kept) > self._per_room:
                del kept[self._per_room :]
                room.full = True
        room.cases = kept
        return True


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    """Others may commit once the transaction is over: what it caught up to is no longer
    all there is."""
    if transaction.parent is None:
        session.info.pop(_CAUGHT_UP_KEY, None)


def _newest_first(case: ComplaintFacts, order: dict[int, int]) -> tuple[int, int]:
    """Sorted by, descending: a case not yet flushed (no id) is newer than any stored one,
    and of two such the later changed is the newer."""
    if case.id is None:
        return (1, order[id(case)])
    return (0, case.id)


def _event_ids_visible_in_order(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "sqlite"
