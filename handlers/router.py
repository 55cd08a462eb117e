"""Decide what one message is, before anything is changed.

The first cut needs only the text: our own echo, a command, or text to read. Text is then
offered, in order, to the mediation thread (a reply to an open case), complaint intake (a
new complaint, or details for the sender's incomplete one) and finally left alone as
chatter. The outcome is a `RouteKind`, stored on the inbox row so every decision can be
audited later.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mediation.case_numbers import find_case_numbers
from mediation.parsing import ComplaintParser, ParsedMessage
from mediation.quotes import split_quote

COMMAND_PREFIXES = ("/", "／")


class RouteKind(StrEnum):
    OWN_MESSAGE = "own_message"
    COMMAND = "command"
    THREAD_REPLY = "thread_reply"
    COMPLAINT = "complaint"
    DETAILS = "details"
    NUISANCE = "nuisance"
    RATE_LIMITED = "rate_limited"
    UNSURE = "unsure"  # the detector was not sure: the sender is asked once
    CHATTER = "chatter"


@dataclass(frozen=True)
class Route:
    kind: RouteKind
    parsed: ParsedMessage | None = None

    def __repr__(self) -> str:
        return f"Route({self.kind.value})"


def is_command(text: str) -> bool:
    """A command, also after a WeChat quote of another message (`mediation.quotes`)."""
    return split_quote(text).text.startswith(COMMAND_PREFIXES)


def first_cut(text: str, sender_id: str, *, bot_id: str, parser: ComplaintParser) -> Route:
    """Own messages and commands by their form; anything else is read by the parser.

    The returned kind is COMPLAINT only for a confident new complaint that names no case
    number (a message naming a case is about that case); otherwise CHATTER, which the
    pipeline may still take as a thread reply or details for an incomplete case.
    """
    if sender_id == bot_id:
        return Route(RouteKind.OWN_MESSAGE)
    if is_command(text):
        return Route(RouteKind.COMMAND)
    parsed = parser.parse(text)
    if parsed.is_complaint and not find_case_numbers(text):  # the detector's "sure" band
        return Route(RouteKind.COMPLAINT, parsed)
    return Route(RouteKind.CHATTER, parsed)
