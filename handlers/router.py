"""Decide what one message is: a command, a new complaint, or chatter to leave alone.

The decision is a value (`Route`) so it can be printed, stored on the inbox row and tested
without running any handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mediation.parsing import ComplaintParser, ParsedMessage

COMMAND_PREFIXES = ("/", "／")


class RouteKind(StrEnum):
    COMMAND = "command"
    COMPLAINT = "complaint"
    CHATTER = "chatter"
    OWN_MESSAGE = "own_message"


@dataclass(frozen=True)
class Route:
    kind: RouteKind
    parsed: ParsedMessage | None = None

    def __repr__(self) -> str:
        return f"Route({self.kind.value})"


def is_command(text: str) -> bool:
    return text.lstrip().startswith(COMMAND_PREFIXES)


def route_message(text: str, sender_id: str, *, bot_id: str, parser: ComplaintParser) -> Route:
    if sender_id == bot_id:
        return Route(RouteKind.OWN_MESSAGE)
    if is_command(text):
        return Route(RouteKind.COMMAND)
    parsed = parser.parse(text)
    if parsed.is_complaint:
        return Route(RouteKind.COMPLAINT, parsed)
    return Route(RouteKind.CHATTER, parsed)
