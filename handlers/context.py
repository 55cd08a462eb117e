"""What a handler gets: the open transaction, the time, the settings it needs, the parser."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from mediation.deadlines import DeadlinePolicy
from mediation.money import DEFAULT_MAX_AMOUNT
from mediation.parsing import ComplaintParser
from mediation.privacy import mask_text
from mediation.roles import Role
from mediation.workdays import WorkingCalendar
from storage import cases, outbox
from storage.inbox import ClaimedMessage
from storage.models import Case, Member

from .rate_limit import RepeatedAnswers, SenderRateLimiter

DIRECT_ROOM_PREFIX = "dm:"  # a private chat with the bot (see bot.wechaty_gateway)


@dataclass(frozen=True)
class HandlerConfig:
    bot_id: str = "tiaojie-bot"
    bot_name: str = "调解助手"
    admins: frozenset[str] = frozenset()
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    max_message_chars: int = 5000
    deadline_policy: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    duplicate_window: timedelta = timedelta(days=7)
    data_dir: Path = Path("data")  # exports and chart images go under <data_dir>/media
    summary_show_merchants: bool = False  # name merchants in the public monthly summary
    typical_name_merchants: bool = False  # name merchants in published typical cases
    spike_merchant_count: int = 3  # complaints against one merchant …
    spike_merchant_days: int = 7  # … within these days alert staff
    spike_category_min: int = 5  # a category's weekly count that doubled, at least this
    staff_room: str | None = None  # spike alerts go here instead of staff's private chats
    max_amount: Decimal = DEFAULT_MAX_AMOUNT  # the largest amount recorded (yuan)


@dataclass
class SharedState:
    """What every handler of one process shares: the reference data loaded from the
    database (the parser with its merchants, the working calendar), the senders' message
    rates and the rooms this process has recorded."""

    parser: ComplaintParser
    calendar: WorkingCalendar
    rate_limiter: SenderRateLimiter = field(default_factory=lambda: SenderRateLimiter(0))
    # /help and refusals: once per sender, room and minute
    repeated_answers: RepeatedAnswers = field(default_factory=RepeatedAnswers)
    # rooms whose row (and serving account) this process committed, and when
    known_rooms: dict[str, datetime] = field(default_factory=dict)


@dataclass
class HandlerContext:
    session: AsyncSession
    config: HandlerConfig
    shared: SharedState
    now: datetime
    message: ClaimedMessage
    sender: Member
    reload: set[str] = field(default_factory=set)  # reference data changed: reload after commit

    @property
    def role(self) -> Role:
        return Role(self.sender.role)

    @property
    def parser(self) -> ComplaintParser:
        return self.shared.parser

    @property
    def calendar(self) -> WorkingCalendar:
        return self.shared.calendar

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.config.timezone)

    def first_time(self, kind: str) -> bool:
        """Whether to give an answer of this kind (/help, a refusal) to the sender now: once
        per sender, room and minute (`RepeatedAnswers`)."""
        return self.shared.repeated_answers.first(
            self.message.room_id, self.message.sender_id, kind, self.now
        )

    def record_event(self, case: Case, kind: str, actor: str, data: dict[str, Any]) -> None:
        """Add to the case's audit trail, by the message's sender, now (it commits with the
        change)."""
        actor_id = self.message.sender_id
        cases.record_event(
            self.session, case, kind, actor=actor, actor_id=actor_id, at=self.now, data=data
        )

    async def reply(
        self,
        text: str,
        *,
        mention_ids: list[str] | None = None,
        case: Case | None = None,
        room_id: str | None = None,
        image_path: str | None = None,
        unmasked_in_private: bool = False,
    ) -> None:
        """Queue a reply in this transaction: it is sent only if the change commits.

        The text is masked here, whatever built it: a phone number someone typed into a
        command argument or a display name must not come back out in the group. Only a reply
        to a private chat (`dm:` room) may ask to stay unmasked (staff reading a case).
        """
        room = room_id or self.message.room_id
        keep = unmasked_in_private and room.startswith(DIRECT_ROOM_PREFIX)
        await outbox.enqueue(
            self.session,
            room_id=room,
            text=text if keep else mask_text(text),
            now=self.now,
            mention_ids=mention_ids,
            image_path=image_path,
            cause_inbox_id=self.message.id,
            case=case,
        )
