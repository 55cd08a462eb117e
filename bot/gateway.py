"""The one interface a chat platform implements. Only gateways know a platform exists."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from .messages import IncomingMessage, OutgoingMessage

MessageSink = Callable[[IncomingMessage], Awaitable[bool]]
"""Called for each incoming message; returns True once the message is durably accepted."""


class GatewayUnavailable(Exception):
    """The platform did not take the message; the outbox will try again later."""


class ChatGateway(Protocol):
    name: str
    parallel_sends: int
    """How many rooms' messages may be on their way at once (each room's stay in order)."""

    async def start(self, sink: MessageSink) -> None:
        """Connect and begin passing incoming messages to `sink`."""
        ...

    async def send(self, message: OutgoingMessage) -> str | None:
        """Deliver one message; return the platform's id for it, raise GatewayUnavailable."""
        ...

    async def stop(self) -> None: ...

    @property
    def ready(self) -> bool: ...
