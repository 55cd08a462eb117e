"""One stored incoming message in, its effects written to the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from mediation import templates
from mediation.parsing import ParsedMessage
from storage import cases, members
from storage.inbox import ClaimedMessage

from .batch import BatchMemory
from .commands import handle_command
from .context import HandlerConfig, HandlerContext, Services
from .intake import (
    complete_details,
    handle_complaint,
    incomplete_case_of_sender,
)
from .rate_limit import Verdict
from .router import Route, RouteKind, first_cut
from .thread import handle_thread_reply

ROOM_RECORD_INTERVAL = timedelta(minutes=10)
BATCH_WINDOW_MARGIN = timedelta(minutes=5)
# routes whose handling may change an open case's compared columns or status
MAY_CHANGE_OPEN_CASES = frozenset({RouteKind.COMMAND, RouteKind.THREAD_REPLY, RouteKind.DETAILS})


@dataclass(frozen=True)
class Handled:
    route: RouteKind
    reload: frozenset[str] = frozenset()  # "merchants", "calendar"


async def prepare_batch(
    session: AsyncSession,
    messages: list[ClaimedMessage],
    *,
    config: HandlerConfig,
    services: Services,
    now: datetime,
    routes: dict[int, Route] | None = None,
) -> BatchMemory:
    """Read what the messages of a batch need at once (see handlers/batch.py): their
    senders; their first cut; for chatter, which senders may have a case waiting for
    details; for complaints, their rooms' recent open cases. Keep the result until the
    batch is handled.

    `routes` holds first cuts already taken (a message left over from the last batch), and
    takes the new ones; `handle_message` removes a message's cut once it is handled.
    """
    others = [m for m in messages if m.sender_id != config.bot_id]
    loaded = await members.load_members(
        session, [(m.sender_id, m.sender_name) for m in others], now
    )
    routes = {} if routes is None else routes
    for message in messages:
        if message.id not in routes:
            routes[message.id] = _first_cut(message, config, services)
    in_groups = [m for m in others if not m.is_direct]
    chatter = [m for m in in_groups if routes[m.id].kind is RouteKind.CHATTER]
    complaints = [m for m in in_groups if routes[m.id].kind is RouteKind.COMPLAINT]
    # a little earlier than any message's own window: the answers hold all it would find
    since = now - config.duplicate_window - BATCH_WINDOW_MARGIN
    awaiting = await cases.reporters_awaiting_details(
        session, {m.room_id for m in chatter}, {m.sender_id for m in chatter}, since
    )
    open_cases = await services.open_cases.read(session, {m.room_id for m in complaints}, since)
    return BatchMemory(
        senders=loaded,
        routes=routes,
        awaiting_details=awaiting,
        open_cases=dict(open_cases),
    )


def _first_cut(message: ClaimedMessage, config: HandlerConfig, services: Services) -> Route:
    return first_cut(message.text, message.sender_id, bot_id=config.bot_id, parser=services.parser)


async def handle_message(
    session: AsyncSession,
    message: ClaimedMessage,
    *,
    config: HandlerConfig,
    services: Services,
    now: datetime,
    batch: BatchMemory | None = None,
) -> Handled:
    """Apply one message. The caller commits; nothing here commits or sends. `batch` is
    what `prepare_batch` read for the message's batch (without it, each is read here)."""
    batch = batch or BatchMemory()
    route = batch.routes.pop(message.id, None) or _first_cut(message, config, services)
    if route.kind is RouteKind.OWN_MESSAGE:
        return Handled(route.kind)
    room = (message.room_id, message.account_id)
    if room not in batch.rooms_recorded and room_needs_recording(services, message.room_id, now):
        await members.ensure_room(session, message.room_id, now, message.account_id)
        batch.rooms_recorded.add(room)
    sender = await members.ensure_member(
        session, message.sender_id, message.sender_name, now, config.admins
    )
    ctx = HandlerContext(
        session=session,
        config=config,
        services=services,
        now=now,
        message=message,
        sender=sender,
        batch=batch,
    )
    if not ctx.role.is_staff:
        verdict = services.rate_limiter.check(message.room_id, message.sender_id, now)
        if verdict is not Verdict.ALLOWED:
            if verdict is Verdict.FIRST_EXCESS:
                await ctx.reply(templates.slow_down(), mention_ids=[message.sender_id])
            return Handled(RouteKind.RATE_LIMITED)
    kind = await _dispatch(ctx, route.kind, route.parsed)
    if kind in MAY_CHANGE_OPEN_CASES:
        batch.forget_open_cases()  # the rest of the batch reads them again
    return Handled(kind, frozenset(ctx.reload))


def room_needs_recording(services: Services, room_id: str, now: datetime) -> bool:
    """Whether to write the room and its serving account again: on its first message in
    this process, then now and then, in case another account served it meanwhile."""
    recorded = services.known_rooms.get(room_id)
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
    if await handle_thread_reply(ctx):
        return RouteKind.THREAD_REPLY
    incomplete = await incomplete_case_of_sender(ctx)
    if incomplete is not None and await complete_details(ctx, incomplete, parsed):
        return RouteKind.DETAILS
    if parsed.nuisance:
        await ctx.reply(templates.nuisance_report())
        return RouteKind.NUISANCE
    return RouteKind.CHATTER
