"""What crosses the platform edge: one incoming chat message, one outgoing reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class IncomingMessage:
    message_id: str  # the platform's id; redelivery carries the same one
    room_id: str
    sender_id: str
    sender_name: str
    text: str
    sent_at: datetime
    mention_ids: tuple[str, ...] = ()
    is_direct: bool = False  # a private message to the bot rather than a group message


@dataclass(frozen=True)
class OutgoingMessage:
    room_id: str
    text: str
    mention_ids: tuple[str, ...] = ()
    image_path: str | None = None
    outbox_id: int | None = None
    outbox_ids: tuple[int, ...] = ()  # every queued reply merged into this message
    extra: dict[str, str] = field(default_factory=dict)
