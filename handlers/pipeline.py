"""One stored incoming message in, its effects written to the same transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from mediation.parsing import ComplaintParser
from storage import members
from storage.models import InboxMessage

from .commands import handle_command
from .context import HandlerConfig, HandlerContext
from .intake import open_case
from .router import RouteKind, route_message


async def handle_message(
    session: AsyncSession,
    message: InboxMessage,
    *,
    config: HandlerConfig,
    parser: ComplaintParser,
    now: datetime,
) -> RouteKind:
    """Apply one message. The caller commits; nothing here commits or sends."""
    route = route_message(message.text, message.sender_id, bot_id=config.bot_id, parser=parser)
    if route.kind is RouteKind.OWN_MESSAGE:
        return route.kind
    await members.ensure_room(session, message.room_id, now)
    sender = await members.ensure_member(
        session, message.sender_id, message.sender_name, now, config.admins
    )
    ctx = HandlerContext(
        session=session, config=config, parser=parser, now=now, message=message, sender=sender
    )
    if route.kind is RouteKind.COMMAND:
        await handle_command(ctx)
    elif route.kind is RouteKind.COMPLAINT and route.parsed is not None:
        await open_case(ctx, route.parsed)
    return route.kind
