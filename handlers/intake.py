"""Complaint intake: a recognised complaint becomes a case, and the group is told its number."""

from __future__ import annotations

from mediation import templates
from mediation.case_numbers import case_period
from mediation.cases import Actor, CaseStatus, EventKind
from mediation.parsing import ParsedMessage
from storage import cases
from storage.models import Case

from .context import HandlerContext


async def open_case(ctx: HandlerContext, parsed: ParsedMessage) -> Case:
    message = ctx.message
    number = await cases.next_case_number(ctx.session, case_period(ctx.local_now))
    case = Case(
        number=number,
        room_id=message.room_id,
        reporter_id=message.sender_id,
        reporter_name=message.sender_name,
        merchant_id=parsed.merchant_id,
        merchant_name=parsed.merchant,
        raw_text=message.text,
        masked_text=parsed.masked_text,
        amount=parsed.amount,
        demands=list(parsed.demands),
        category=parsed.category,
        category_group=parsed.category_group,
        problem=parsed.problem,
        contacts=list(parsed.raw_contacts),
        missing=list(parsed.missing),
        status=CaseStatus.PENDING,
        received_at=ctx.now,
        updated_at=ctx.now,
        source_message_id=message.message_id,
    )
    ctx.session.add(case)
    await ctx.session.flush()
    cases.record_event(
        ctx.session,
        case,
        EventKind.OPENED,
        actor=Actor.REPORTER,
        actor_id=message.sender_id,
        at=ctx.now,
        data={"confidence": parsed.confidence, "inbox_id": message.id},
    )
    text = templates.case_opened(
        number, parsed.merchant, parsed.amount, parsed.demands, parsed.contacts
    )
    if parsed.missing:
        text += "\n" + templates.ask_for_missing(number, parsed.missing)
    await ctx.reply(text, case_id=case.id)
    return case
