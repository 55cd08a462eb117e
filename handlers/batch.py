"""What a batch of messages reads once, before its first message is handled.

Handling a message asks the database small questions: who sent it, whether the sender has
a case waiting for details, which open cases in the room a complaint might repeat. Asked
per message they cost a statement each; asked for the whole batch they cost one. The
answers must stay true while the batch is handled, so each has an owner that keeps it so:
a case opened with gaps is added to `awaiting_details`, a case opened is put first among
its room's `open_cases`, and a message that may change cases some other way (a command, a
thread reply, details) makes the batch forget `open_cases`, so the rest of the batch asks
the database again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from storage.models import Member

from .router import Route


class ComplaintFacts(Protocol):
    """What duplicate detection compares: a stored case, or just those columns of it."""

    @property
    def id(self) -> int: ...
    @property
    def masked_text(self) -> str: ...
    @property
    def contacts(self) -> list[str]: ...
    @property
    def amount(self) -> Decimal | None: ...
    @property
    def merchant_id(self) -> int | None: ...
    @property
    def merchant_name(self) -> str | None: ...
    @property
    def reporter_id(self) -> str: ...
    @property
    def received_at(self) -> datetime: ...


@dataclass
class BatchMemory:
    """Empty (everything unknown) for a message handled outside a batch."""

    # held so the session keeps them loaded: `ensure_member` then reads no row
    senders: list[Member] = field(default_factory=list)
    # the first cut of each message by inbox id, taken before anything was changed
    routes: dict[int, Route] = field(default_factory=dict)
    # (room, reporter) pairs that may have a case waiting for details; None: not read
    awaiting_details: set[tuple[str, str]] | None = None
    # room -> its recent open cases, newest first, for rooms a complaint of the batch is in
    open_cases: dict[str, list[ComplaintFacts]] | None = None
    # (room, serving account) pairs written by this batch: once is enough until it commits
    rooms_recorded: set[tuple[str, str | None]] = field(default_factory=set)

    def may_await_details(self, room_id: str, reporter_id: str) -> bool:
        return self.awaiting_details is None or (room_id, reporter_id) in self.awaiting_details

    def open_cases_in(self, room_id: str) -> list[ComplaintFacts] | None:
        """The room's recent open cases, or None when the batch does not know them."""
        return None if self.open_cases is None else self.open_cases.get(room_id)

    def case_opened(self, case: ComplaintFacts, room_id: str, *, awaits_details: bool) -> None:
        if awaits_details and self.awaiting_details is not None:
            self.awaiting_details.add((room_id, case.reporter_id))
        if self.open_cases is not None and room_id in self.open_cases:
            self.open_cases[room_id].insert(0, case)

    def open_cases_read(self, room_id: str, candidates: list[ComplaintFacts]) -> None:
        """Keep a room's open cases read while the batch was handled (kept true as above)."""
        if self.open_cases is None:
            self.open_cases = {}
        self.open_cases[room_id] = candidates

    def forget_open_cases(self) -> None:
        self.open_cases = None

    def add(self, more: BatchMemory) -> None:
        """Take in what was read for the batch's next messages. What this memory already
        knows was kept true since it was read, so it wins; a room or pair it did not know
        is taken as read (the read saw every change flushed so far)."""
        self.senders += more.senders
        if more.routes is not self.routes:  # both may be the dispatcher's one store of cuts
            self.routes.update(more.routes)
        if self.awaiting_details is None:
            self.awaiting_details = more.awaiting_details
        elif more.awaiting_details is not None:
            self.awaiting_details |= more.awaiting_details
        if self.open_cases is None:
            self.open_cases = more.open_cases
        elif more.open_cases is not None:
            for room_id, candidates in more.open_cases.items():
                self.open_cases.setdefault(room_id, candidates)
