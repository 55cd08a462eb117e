"""One stored incoming message in, its effects written to the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from mediation import templates
from mediation.case_numbers import find_case_numbers
from mediation.parsing import ParsedMessage
from storage import members
from storage.inbox import ClaimedMessage

from .commands import handle_command
from .context import HandlerConfig, HandlerContext, SharedState
from .corrections import ask_if_unsure, is_register_reply, register_reply
from .intake import complete_details, handle_complaint, incomplete_case_of_sender
from .rate_limit import Verdict
from .router import RouteKind, first_cut
from .thread import handle_thread_reply

ROOM_RECORD_INTERVAL = timedelta(minutes=10)


@dataclass(frozen=True)
class Handled:
    route: RouteKind
    reload: frozenset[str] = frozenset()  # "merchants", "calendar"


async def handle_message(
    session: AsyncSession,
    message: ClaimedMessage,
    *,
    config: HandlerConfig,
    shared: SharedState,
    now: datetime,
) -> Handled:
    """Apply one message. The caller commits; nothing here commits or sends."""
    route = first_cut(message.text, message.sender_id, bot_id=config.bot_id, parser=shared.parser)
    if route.kind is RouteKind.OWN_MESSAGE:
        return Handled(route.kind)
    if room_needs_recording(shared, message.room_id, now):
        await members.ensure_room(session, message.room_id, now, message.account_id)
    sender = await members.ensure_member(
        session, message.sender_id, message.sender_name, now, config.admins
    )
    if not message.is_direct:  # a member seen posting in a group is in it (merchant notices)
        await members.record_room_member(session, message.room_id, sender.id, now)
    ctx = HandlerContext(
        session=session, config=config, shared=shared, now=now, message=message, sender=sender
    )
    if not ctx.role.is_staff:
        verdict = shared.rate_limiter.check(message.room_id, message.sender_id, now)
        if verdict is not Verdict.ALLOWED:
            if verdict is Verdict.FIRST_EXCESS:
                await ctx.reply(templates.slow_down(), mention_ids=[message.sender_id])
            return Handled(RouteKind.RATE_LIMITED)
    kind = await _dispatch(ctx, route.kind, route.parsed)
    return Handled(kind, frozenset(ctx.reload))


def room_needs_recording(shared: SharedState, room_id: str, now: datetime) -> bool:
    """Whether to write the room and its serving account again: on its first message in
    this process, then now and then, in case another account served it meanwhile."""
    recorded = shared.known_rooms.get(room_id)
    return recorded is None or now - recorded >= ROOM_RECORD_INTERVAL


async def _dispatch(
    ctx: HandlerContext, kind: RouteKind, parsed: ParsedMessage | None
) -> RouteKind:
    if kind is RouteKind.COMMAND:
        await handle_command(ctx)
        return kind
    if ctx.message.is_direct:
        return RouteKind.CHATTER  # private messages carry commands only
    assert parsed is not None  # every non-command message was read by the parser
    if kind is RouteKind.COMPLAINT:
        await handle_complaint(ctx, parsed)
        return kind
    if is_register_reply(ctx.message.text) and await register_reply(ctx):
        return RouteKind.COMPLAINT  # 「登记」: the sender's unsure message becomes a case
    if await handle_thread_reply(ctx):
        return RouteKind.THREAD_REPLY
    incomplete = await incomplete_case_of_sender(ctx)
    if incomplete is not None and await complete_details(ctx, incomplete, parsed):
        return RouteKind.DETAILS
    if parsed.nuisance:
        await ctx.reply(templates.nuisance_report())
        return RouteKind.NUISANCE
    if parsed.band == "unsure" and not find_case_numbers(ctx.message.text):
        await ask_if_unsure(ctx)
        return RouteKind.UNSURE
    return RouteKind.CHATTER
