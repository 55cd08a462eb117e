"""The one interface a chat platform implements. Only gateways know a platform exists."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .messages import IncomingMessage, OutgoingMessage

MessageSink = Callable[[IncomingMessage], Awaitable[bool]]
"""Called for each incoming message; returns True once the message is durably accepted."""


class GatewayUnavailable(Exception):
    """The platform did not take the message; the outbox will try again later."""


@dataclass
class Delivery:
    """What became of messages handed over in order: the platform ids of the ones it took
    (a prefix of them), and why it took no more (None: it took them all)."""

    platform_ids: list[str | None] = field(default_factory=list)
    refused: Exception | None = None


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

    async def send_in_order(self, messages: Sequence[OutgoingMessage]) -> Delivery:
        """Deliver one room's messages in their order, stopping at the first the platform
        refuses (the rest are not tried). A platform that can take several at once does;
        any other sends them one by one (`send_one_by_one`)."""
        ...

    async def stop(self) -> None: ...

    @property
    def ready(self) -> bool: ...


async def send_one_by_one(gateway: ChatGateway, messages: Sequence[OutgoingMessage]) -> Delivery:
    delivery = Delivery()
    for message in messages:
        try:
            delivery.platform_ids.append(await gateway.send(message))
        except Exception as error:
            delivery.refused = error
            break
    return delivery
