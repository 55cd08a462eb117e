"""Complaint intake: a recognised complaint becomes a case, and the group is told its number.

A complaint that repeats an open case is linked to it instead of opening a second one. A
complaint missing something the rules require (merchant, facts, demand, contact) gets one
short question; the reporter's next message fills the gaps in the same case. Once merchant,
facts and demand are known and the merchant is bound in the group, the case is accepted and
the merchant @-mentioned. A missing contact is asked for but does not hold mediation up:
the reporter in the group is the consumer's channel.
"""

from __future__ import annotations

from datetime import datetime

from rapidfuzz import fuzz, process
from sqlalchemy import select

from mediation import templates
from mediation.case_numbers import case_period
from mediation.cases import OPEN_STATUSES, Actor, CaseStatus, EventKind
from mediation.parsing import ParsedMessage
from mediation.privacy import mask_mobile
from storage import cases
from storage.models import Case

from .batch import ComplaintFacts
from .case_actions import accept_and_notify, merchant_member_ids
from .case_merchant import merchant_set
from .context import HandlerContext
from .offices import room_office
from .open_cases import MAX_COMPARED_CASES

REQUIRED_FOR_MEDIATION = ("merchant", "facts", "demand")
NEAR_IDENTICAL_RATIO = 90


async def handle_complaint(ctx: HandlerContext, parsed: ParsedMessage) -> None:
    duplicate = await find_duplicate(ctx, parsed)
    if duplicate is not None:
        cases.record_event(
            ctx.session,
            duplicate,
            EventKind.DUPLICATE_LINKED,
            actor=Actor.REPORTER,
            actor_id=ctx.message.sender_id,
            at=ctx.now,
            data={"inbox_id": ctx.message.id, "masked_text": parsed.masked_text[:500]},
        )
        await ctx.reply(templates.duplicate_linked(duplicate.number), case=duplicate)
        return
    case = await open_case(ctx, parsed)
    text = templates.case_opened(
        case.number, parsed.merchant, parsed.amount, parsed.demands, parsed.contacts
    )
    if parsed.missing:
        text += "\n" + templates.ask_for_missing(case.number, parsed.missing)
    await reply_and_move_on(ctx, case, text)


async def open_case(ctx: HandlerContext, parsed: ParsedMessage) -> Case:
    message = ctx.message
    office_id, prefix = await room_office(ctx)  # the group's office (issue 20)
    number = await cases.next_case_number(ctx.session, case_period(ctx.local_now), prefix)
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
        office_id=office_id,
    )
    ctx.session.add(case)  # flushed with the batch's others (see storage/collected.py)
    ctx.batch.case_opened(case, message.room_id, awaits_details=bool(case.missing))
    cases.record_event(
        ctx.session,
        case,
        EventKind.OPENED,
        actor=Actor.REPORTER,
        actor_id=message.sender_id,
        at=ctx.now,
        data={"confidence": parsed.confidence, "inbox_id": message.id},
    )
    await merchant_set(ctx, case)  # the registry's area and trading-lead alert
    return case


async def reply_and_move_on(ctx: HandlerContext, case: Case, text: str) -> None:
    """Post `text` about the case, then take intake as far as it can go.

    Once merchant, facts and demand are known the case is accepted and the bound merchant
    @-mentioned; with no merchant bound yet, one line in the same reply asks staff to bind.
    """
    ready = case.status == CaseStatus.PENDING and not any(
        item in case.missing for item in REQUIRED_FOR_MEDIATION
    )
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
    if not ctx.batch.may_await_details(ctx.message.room_id, ctx.message.sender_id):
        return None  # the batch read that the sender has none
    since = ctx.now - ctx.config.duplicate_window
    rows = await ctx.session.scalars(
        select(Case)
        .where(
            Case.room_id == ctx.message.room_id,
            Case.reporter_id == ctx.message.sender_id,
            Case.status == CaseStatus.PENDING,
            Case.received_at >= since,
        )
        .order_by(Case.id.desc())
        .limit(5)
    )
    return next((case for case in rows if case.missing), None)


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
    if case.amount is None and parsed.amount is not None:
        case.amount = parsed.amount
    case.missing = [item for item in missing if item not in added]
    case.raw_text = f"{case.raw_text}\n{ctx.message.text}"
    case.masked_text = f"{case.masked_text}\n{parsed.masked_text}"
    cases.record_event(
        ctx.session,
        case,
        EventKind.DETAILS_ADDED,
        actor=Actor.REPORTER,
        actor_id=ctx.message.sender_id,
        at=ctx.now,
        data={"added": added, "inbox_id": ctx.message.id},
    )
    text = templates.details_added(case.number, tuple(case.missing))
    if "contact" in added:
        text += "\n联系电话：" + "、".join(mask_mobile(p) for p in parsed.raw_contacts)
    await reply_and_move_on(ctx, case, text)
    return True


async def find_duplicate(ctx: HandlerContext, parsed: ParsedMessage) -> Case | None:
    """An open case in this room, recent enough, about the same complaint.

    A busy room has many open cases: only the compared columns are read for each (by the
    batch, for all its complaints at once, or here), and the whole case only for the one
    that matches.
    """
    room_id = ctx.message.room_id
    since: datetime = ctx.now - ctx.config.duplicate_window
    candidates = ctx.batch.open_cases_in(room_id)
    if candidates is None:  # not read for the batch, or forgotten since
        candidates = (await ctx.services.open_cases.read(ctx.session, [room_id], since))[room_id]
        ctx.batch.open_cases_read(room_id, candidates)
    candidates = candidates[:MAX_COMPARED_CASES]
    # only a near-identical text or the same merchant can make a repeat: find those first
    near = near_identical(parsed.masked_text, [case.masked_text for case in candidates])
    merchant = (parsed.merchant_id, parsed.merchant)
    alike = near.union(
        ()
        if merchant == (None, None)
        else (index for index, case in enumerate(candidates) if same_merchant(case, parsed))
    )
    for index in sorted(alike):  # newest first
        candidate = candidates[index]
        if candidate.received_at < since:
            continue  # read for the batch's earliest window
        if is_same_complaint(candidate, parsed, ctx.message.sender_id, texts_alike=index in near):
            case = (
                candidate  # opened in this batch, maybe not flushed yet
                if isinstance(candidate, Case)
                else await _case_by_id(ctx, candidate.id)
            )
            if case is not None and case.status in OPEN_STATUSES:
                return case
    return None


async def _case_by_id(ctx: HandlerContext, case_id: int) -> Case | None:
    """The whole case, without flushing the batch's pending changes first: a case changed
    in this transaction is in the session already, and any other is read as stored. (A
    flush here would write the batch's cases and events a few at a time instead of all
    together when the batch's collected writes are made.)"""
    with ctx.session.no_autoflush:
        return await ctx.session.get(Case, case_id)


def near_identical(text: str, others: list[str]) -> set[int]:
    """The positions in `others` of the texts near-identical to `text`, compared in one
    call (a busy room's 200 open cases, one by one, cost more than the comparing)."""
    matches = process.extract(
        text, others, scorer=fuzz.ratio, score_cutoff=NEAR_IDENTICAL_RATIO, limit=None
    )
    return {index for _choice, _score, index in matches}


def same_merchant(case: ComplaintFacts, parsed: ParsedMessage) -> bool:
    return (parsed.merchant_id is not None and case.merchant_id == parsed.merchant_id) or (
        parsed.merchant is not None and case.merchant_name == parsed.merchant
    )


def is_same_complaint(
    case: ComplaintFacts,
    parsed: ParsedMessage,
    reporter_id: str,
    *,
    texts_alike: bool,
) -> bool:
    """The same consumer's complaint again: near-identical text, or the same merchant with
    the same consumer phone, or the same merchant, reporter and amount. Different phone
    numbers or different amounts mean different complaints, however alike the words.

    A grid worker reports for many consumers, so "same merchant, same reporter" alone is
    not a duplicate: two neighbours can both have been overcharged by one restaurant.
    `texts_alike`: whether the texts are near-identical (see `near_identical`).
    """
    if case.contacts and parsed.raw_contacts and not set(case.contacts) & set(parsed.raw_contacts):
        return False  # different consumers
    if case.amount is not None and parsed.amount is not None and case.amount != parsed.amount:
        return False
    if texts_alike:
        return True
    if not same_merchant(case, parsed):
        return False
    if set(case.contacts) & set(parsed.raw_contacts):
        return True
    return (
        case.reporter_id == reporter_id
        and parsed.amount is not None
        and case.amount == parsed.amount
    )
