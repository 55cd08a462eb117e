"""Complaint intake: a recognised complaint becomes a case, and the group is told its number.

A complaint that repeats an open case is linked to it instead of opening a second one. A
complaint missing something the rules require (merchant, facts, demand, contact) gets one
short question; the reporter's next message fills the gaps in the same case. Once merchant,
facts and demand are known and the merchant is bound in the group, the case is accepted and
the merchant @-mentioned. A missing contact is asked for but does not hold mediation up:
the reporter in the group is the consumer's channel.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from mediation import templates
from mediation.case_numbers import case_period
from mediation.cases import OPEN_STATUSES, Actor, CaseStatus, EventKind, ready_for_mediation
from mediation.duplicates import find_repeated
from mediation.money import in_range
from mediation.parsing import ParsedMessage
from mediation.privacy import mask_mobile
from mediation.relay import masked_name, read_relay
from storage import cases
from storage.models import Case

from .case_actions import accept_and_notify, merchant_member_ids
from .case_merchant import merchant_set
from .context import HandlerContext
from .offices import room_office
from .spike_alerts import alert_spikes

MAX_COMPARED_CASES = 200  # a room's newest open cases a new complaint is compared with
OPEN_STATUS_VALUES = sorted(status.value for status in OPEN_STATUSES)


async def handle_complaint(ctx: HandlerContext, parsed: ParsedMessage) -> None:
    duplicate = await find_duplicate(ctx, parsed)
    if duplicate is not None:
        linked = {"inbox_id": ctx.message.id, "masked_text": parsed.masked_text[:500]}
        ctx.record_event(duplicate, EventKind.DUPLICATE_LINKED, Actor.REPORTER, linked)
        await ctx.reply(templates.duplicate_linked(duplicate.number), case=duplicate)
        return
    refused_amount = _amount_out_of_range(ctx, parsed)
    if refused_amount is not None:
        parsed = replace(parsed, amount=None)  # not recorded: the reporter is told why
    case = await open_case(ctx, parsed)
    consumer = masked_name(case.consumer_name or "") if case.relayed else None
    text = templates.case_opened(
        case.number, parsed.merchant, parsed.amount, parsed.demands, parsed.contacts, consumer
    )
    if refused_amount is not None:
        text += "\n" + templates.amount_out_of_range(refused_amount, ctx.config.max_amount)
    if parsed.missing:
        text += "\n" + templates.ask_for_missing(case.number, parsed.missing)
    await reply_and_move_on(ctx, case, text)


async def open_case(ctx: HandlerContext, parsed: ParsedMessage) -> Case:
    message = ctx.message
    office_id, prefix = await room_office(ctx)  # the group's office (issue 20)
    number = await cases.next_case_number(ctx.session, case_period(ctx.local_now), prefix)
    relay = read_relay(message.text)  # 「居民王阿姨反映…」: the consumer is not the reporter
    case = Case(
        number=number,
        room_id=message.room_id,
        reporter_id=message.sender_id,
        reporter_name=message.sender_name,
        consumer_name=relay.consumer_name,
        relayed=relay.relayed,
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
        office_id=office_id,
    )
    ctx.session.add(case)
    opened = {"confidence": parsed.confidence, "inbox_id": message.id}
    ctx.record_event(case, EventKind.OPENED, Actor.REPORTER, opened)
    await merchant_set(ctx, case)  # the registry's area and trading-lead alert
    await alert_spikes(ctx, case)  # one merchant's or one category's burst (issue 21)
    return case


async def reply_and_move_on(ctx: HandlerContext, case: Case, text: str) -> None:
    """Post `text` about the case, then take intake as far as it can go.

    Once merchant, facts and demand are known the case is accepted and the bound merchant
    @-mentioned; with no merchant bound yet, one line in the same reply asks staff to bind.
    """
    ready = case.status == CaseStatus.PENDING and ready_for_mediation(case.missing)
    merchant_ids = await merchant_member_ids(ctx.session, case.merchant_id) if ready else []
    if ready and not merchant_ids:
        note = templates.merchant_not_in_group(case.number, case.merchant_name)
        await ctx.reply(f"{text}\n{note}", mention_ids=sorted(ctx.config.admins), case=case)
        return
    await ctx.reply(text, case=case)
    if ready:
        await accept_and_notify(ctx, case, actor=Actor.SYSTEM, merchant_ids=merchant_ids)


async def incomplete_case_of_sender(ctx: HandlerContext) -> Case | None:
    """The sender's most recent case in this room that still waits for details."""
    since = ctx.now - ctx.config.duplicate_window
    return await cases.awaiting_details(
        ctx.session, ctx.message.room_id, ctx.message.sender_id, since
    )


async def complete_details(ctx: HandlerContext, case: Case, parsed: ParsedMessage) -> bool:
    """Fill the case's gaps from a follow-up message; False when it adds nothing."""
    missing = list(case.missing)
    added: list[str] = []
    if "merchant" in missing and parsed.merchant:
        case.merchant_name = parsed.merchant
        case.merchant_id = parsed.merchant_id
        await merchant_set(ctx, case)
        added.append("merchant")
    if "demand" in missing and parsed.demands:
        case.demands = list(parsed.demands)
        added.append("demand")
    if "contact" in missing and parsed.raw_contacts:
        case.contacts = [*case.contacts, *parsed.raw_contacts]
        added.append("contact")
    if "facts" in missing and len(parsed.masked_text.strip()) >= 8 and not added:
        added.append("facts")
    if not added:
        return False
    refused_amount = _amount_out_of_range(ctx, parsed)
    if case.amount is None and parsed.amount is not None and refused_amount is None:
        case.amount = parsed.amount
    case.missing = [item for item in missing if item not in added]
    case.raw_text = f"{case.raw_text}\n{ctx.message.text}"
    case.masked_text = f"{case.masked_text}\n{parsed.masked_text}"
    ctx.record_event(
        case, EventKind.DETAILS_ADDED, Actor.REPORTER, {"added": added, "inbox_id": ctx.message.id}
    )
    text = templates.details_added(case.number, tuple(case.missing))
    if refused_amount is not None:
        text += "\n" + templates.amount_out_of_range(refused_amount, ctx.config.max_amount)
    if "contact" in added:
        text += "\n联系电话：" + "、".join(mask_mobile(p) for p in parsed.raw_contacts)
    await reply_and_move_on(ctx, case, text)
    return True


def _amount_out_of_range(ctx: HandlerContext, parsed: ParsedMessage) -> Decimal | None:
    """The complaint's amount when it is outside the sane range (`mediation.money`)."""
    if parsed.amount is None or in_range(parsed.amount, ctx.config.max_amount):
        return None
    return parsed.amount


async def find_duplicate(ctx: HandlerContext, parsed: ParsedMessage) -> Case | None:
    """An open case in this room, recent enough, that the complaint repeats."""
    since = ctx.now - ctx.config.duplicate_window
    candidates = await cases.recent_open_cases(
        ctx.session, ctx.message.room_id, OPEN_STATUS_VALUES, since, MAX_COMPARED_CASES
    )
    repeated = find_repeated(parsed, ctx.message.sender_id, candidates)
    return None if repeated is None else await ctx.session.get(Case, repeated.id)
