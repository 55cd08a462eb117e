"""The detector's "not sure" and the corrections people make to it (issue 16).

A message the detector is unsure of is stored with route `unsure`; its sender is asked once
(per room, in ten minutes) whether to register it. 「登记」 from that sender within 24 hours,
or staff and grid workers' `/登记` (with the text, a quoted message, or alone for the
room's latest unsure message), opens the case through the normal intake. `/不是投诉 编号`
voids a case opened by mistake. Every correction is kept as a labelled example
(`detector_corrections`) for `tiaojie model train`; nothing retrains by itself.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import exists, select

from mediation import templates
from mediation.case_numbers import CASE_NUMBER_PATTERN, find_case_numbers
from mediation.cases import Actor, CaseStatus, EventKind
from mediation.parsing import ParsedMessage
from mediation.privacy import mask_text
from mediation.quotes import split_quote
from mediation.roles import Role
from storage import case_queries, cases, inbox
from storage.inbox import ClaimedMessage
from storage.models import Case, DetectorCorrection, InboxMessage

from .case_actions import merchant_member_ids
from .context import HandlerContext
from .intake import handle_complaint
from .permissions import may_see_case
from .registry import ANYONE, STAFF, CommandCall, UsageError, on_command

ASK_INTERVAL = timedelta(minutes=10)  # one question per sender and room
REGISTER_WINDOW = timedelta(hours=24)  # how old an unsure message 「登记」 may still open
REPORTER_VOID_WINDOW = timedelta(minutes=10)
REGISTER_WORDS = ("登记", "登记投诉")
ROUTE_UNSURE = "unsure"
STAFF_AND_GRID = STAFF | {Role.GRID_WORKER}


async def ask_if_unsure(ctx: HandlerContext) -> None:
    """Ask the sender whether their message is a complaint, once per room in ten minutes."""
    message, since = ctx.message, ctx.now - ASK_INTERVAL
    room, sender = message.room_id, message.sender_id
    if await inbox.answered_since(ctx.session, room, sender, ROUTE_UNSURE, since):
        return
    await ctx.reply(templates.ask_if_complaint(), mention_ids=[ctx.message.sender_id])


def is_register_reply(text: str) -> bool:
    return split_quote(text).text.strip("。.!！") in REGISTER_WORDS


async def register_reply(ctx: HandlerContext) -> bool:
    """「登记」: open the case from the sender's latest unregistered unsure message here."""
    source = await latest_unsure(ctx, sender_id=ctx.message.sender_id)
    if source is None:
        return False
    await _open_from(ctx, source, source.text, label_source="reply")
    return True


@on_command("登记", aliases=("登记投诉",), roles=STAFF_AND_GRID, usage=templates.USAGE_REGISTER)
async def cmd_register(ctx: HandlerContext, call: CommandCall) -> None:
    quote = split_quote(ctx.message.text)
    body = "\n".join(part for part in (quote.quoted, command_body(quote.text)) if part)
    if body:
        await _open_from(ctx, ctx.message, body, label_source="command")
        return
    source = await latest_unsure(ctx, sender_id=None)
    if source is None:
        await ctx.reply(templates.nothing_to_register())
        return
    await _open_from(ctx, source, source.text, label_source="command")


def command_body(text: str) -> str:
    """What follows the command word (the whole rest, line breaks kept)."""
    stripped = text.strip().lstrip("/／")
    parts = stripped.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


async def latest_unsure(ctx: HandlerContext, *, sender_id: str | None) -> ClaimedMessage | None:
    """The newest unsure message in this room (of `sender_id` if given) in the last 24
    hours that opened no case."""
    opened = exists().where(Case.source_message_id == InboxMessage.message_id)
    statement = (
        select(InboxMessage)
        .where(
            InboxMessage.room_id == ctx.message.room_id,
            InboxMessage.route == ROUTE_UNSURE,
            InboxMessage.received_at >= ctx.now - REGISTER_WINDOW,
            InboxMessage.id != ctx.message.id,
            ~opened,
        )
        .order_by(InboxMessage.id.desc())
        .limit(1)
    )
    if sender_id is not None:
        statement = statement.where(InboxMessage.sender_id == sender_id)
    row = await ctx.session.scalar(statement)
    if row is None:
        return None
    return ClaimedMessage(
        **{name: getattr(row, name) for name in ClaimedMessage.__dataclass_fields__}
    )


async def _open_from(
    ctx: HandlerContext, source: ClaimedMessage, text: str, *, label_source: str
) -> None:
    """Run the normal intake on `text` as if `source` had just been sent with it."""
    parsed: ParsedMessage = ctx.parser.parse(text)
    as_sent = replace(ctx, message=replace(source, text=text))
    await handle_complaint(as_sent, parsed)
    case = await ctx.session.scalar(
        select(Case).where(Case.source_message_id == source.message_id).order_by(Case.id.desc())
    )
    _record_correction(
        ctx,
        parsed.masked_text,
        label=1,
        source=label_source,
        inbox_id=source.id,
        case_id=case.id if case is not None else None,
    )


@on_command("不是投诉", aliases=("void",), roles=ANYONE, usage=templates.USAGE_VOID)
async def cmd_void(ctx: HandlerContext, call: CommandCall) -> None:
    if not call.args or not CASE_NUMBER_PATTERN.fullmatch(call.args[0]):
        raise UsageError
    number = find_case_numbers(call.args[0])[0]
    case = await cases.by_number(ctx.session, number)
    if case is None:
        await ctx.reply(templates.unknown_case(number))
        return
    reporter_in_time = (
        case.reporter_id == ctx.sender.id and ctx.now - case.received_at <= REPORTER_VOID_WINDOW
    )
    if not may_see_case(ctx.sender, case):  # another office's case, or someone else's
        await ctx.reply(templates.not_your_case(number))
        return
    if not (ctx.role.is_staff or reporter_in_time) or case.status == CaseStatus.VOIDED:
        if ctx.first_time("refused:void"):
            await ctx.reply(templates.void_refused(number))
        return
    notified = case.id in await case_queries.notified_case_ids(ctx.session, [case.id])
    case.status = CaseStatus.VOIDED
    case.closed_at = case.closed_at or ctx.now
    case.updated_at = ctx.now
    actor = Actor.STAFF if ctx.role.is_staff else Actor.REPORTER
    ctx.record_event(case, EventKind.VOIDED, actor, {"inbox_id": ctx.message.id})
    _record_correction(
        ctx, case.masked_text, label=0, source="void", inbox_id=None, case_id=case.id
    )
    await ctx.reply(templates.case_voided(number), case=case)
    if notified:
        merchant_ids = await merchant_member_ids(ctx.session, case.merchant_id)
        await ctx.reply(
            templates.case_voided_for_merchant(number),
            mention_ids=merchant_ids,
            case=case,
            room_id=case.room_id,
        )


def _record_correction(
    ctx: HandlerContext,
    text: str,
    *,
    label: int,
    source: str,
    inbox_id: int | None,
    case_id: int | None,
) -> None:
    ctx.session.add(
        DetectorCorrection(
            masked_text=mask_text(text),
            label=label,
            source=source,
            actor_id=ctx.sender.id,
            inbox_id=inbox_id,
            case_id=case_id,
            at=ctx.now,
        )
    )
