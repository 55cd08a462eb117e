"""Replies inside a mediation thread: the merchant answers, the reporter confirms or not,
then rates. A reply goes to the case named in it, or to the sender's only case that is
waiting for such a reply; with several candidates the bot asks which case is meant."""

from __future__ import annotations

from typing import Any

from mediation import templates
from mediation.actions import REFUSED_REMEDY, is_money_remedy
from mediation.case_numbers import find_case_numbers
from mediation.cases import Actor, CaseStatus
from mediation.lifecycle import CaseAction, IllegalTransition, actor_for, permitted
from mediation.money import in_range
from mediation.replies import (
    ReplyIntent,
    ReplyReading,
    is_bare_acknowledgement,
    is_non_cash,
    read_merchant_reply,
    read_rating,
    read_reporter_reply,
)
from mediation.roles import Role
from storage import case_queries, cases
from storage.members import merchant_member_ids
from storage.models import Case

from .case_actions import act, merchant_room
from .context import HandlerContext
from .permissions import may_see_case

INTENT_ACTIONS = {
    ReplyIntent.CONFIRM: CaseAction.CONFIRM,
    ReplyIntent.REJECT: CaseAction.REJECT,
    ReplyIntent.WITHDRAW: CaseAction.WITHDRAW,
}
MERCHANT_INTENTS = {
    ReplyIntent.AGREE,
    ReplyIntent.COUNTER_OFFER,
    ReplyIntent.REFUSE,
    ReplyIntent.ACKNOWLEDGE,
}


async def handle_thread_reply(ctx: HandlerContext) -> bool:
    """Apply the message as a thread reply; False when it is not one (routing goes on)."""
    text = ctx.message.text
    named = await _named_cases(ctx, find_case_numbers(text))
    is_merchant = ctx.role is Role.MERCHANT and ctx.sender.merchant_id is not None
    if is_merchant and await _merchant_reply(ctx, named):
        return True
    return await _reporter_reply(ctx, named)


async def _named_cases(ctx: HandlerContext, numbers: list[str]) -> list[Case] | None:
    """The cases a message names. Also those the sender may not see: naming a case settles
    nothing by itself, and whoever tries to settle one not theirs is refused (and recorded)."""
    if not numbers:
        return None
    found = []
    for number in numbers:
        case = await cases.by_number(ctx.session, number)
        if case is not None:
            found.append(case)
    return found


def actor_of(ctx: HandlerContext, case: Case) -> Actor:
    """Who the sender is to this case (`mediation.lifecycle.actor_for`)."""
    return actor_for(
        is_reporter=case.reporter_id == ctx.sender.id,
        is_staff=ctx.role.is_staff,
        is_case_merchant=ctx.sender.merchant_id is not None
        and ctx.sender.merchant_id == case.merchant_id,
    )


async def _merchant_reply(ctx: HandlerContext, named: list[Case] | None) -> bool:
    waiting = {CaseStatus.MEDIATING, CaseStatus.MERCHANT_REPLIED}
    if named is None:
        # this group's cases first; else the merchant's cases of other groups (a merchant
        # bound and notified in one group answers there about a case from another)
        candidates = await case_queries.in_room(
            ctx.session, ctx.message.room_id, waiting, merchant_id=ctx.sender.merchant_id
        ) or [
            c
            for c in await case_queries.open_cases(ctx.session, merchant_id=ctx.sender.merchant_id)
            if c.status in waiting
        ]
    else:
        candidates = [
            c for c in named if c.merchant_id == ctx.sender.merchant_id and c.status in waiting
        ]
    if not candidates:
        return False
    demanded = candidates[0].amount if len(candidates) == 1 else None
    reading = read_merchant_reply(ctx.message.text, demanded)
    if reading.intent not in MERCHANT_INTENTS:
        return False
    case = await _one_case(ctx, candidates)
    if case is None:
        return True
    await _record_merchant_answer(ctx, case, reading)
    return True


async def _record_merchant_answer(ctx: HandlerContext, case: Case, reading: ReplyReading) -> None:
    if reading.intent is ReplyIntent.ACKNOWLEDGE:  # the first answer: the clock stops
        if await _apply(ctx, case, CaseAction.ACKNOWLEDGE, Actor.MERCHANT, reading):
            await _tell_case_group(ctx, case, templates.merchant_acknowledged(case.number))
        return
    amount = reading.amount
    if amount is not None and not in_range(amount, ctx.config.max_amount):
        await ctx.reply(templates.amount_out_of_range(amount, ctx.config.max_amount), case=case)
        return
    if amount is not None and case.amount is not None and amount > case.amount:
        await ctx.reply(templates.offer_above_claim(case.number, amount, case.amount), case=case)
        return
    amount_is_claim = False
    non_cash = is_non_cash(reading.remedy)
    if amount is None and not non_cash and is_money_remedy(reading.remedy):
        amount = case.amount  # 「同意退款」: the amount claimed
        amount_is_claim = amount is not None
    refused = reading.intent is ReplyIntent.REFUSE
    remedy = reading.remedy[:16] if reading.remedy else None
    offer = (None, REFUSED_REMEDY) if refused else (amount, remedy)
    answer = CaseAction.MERCHANT_REPLY
    if not await _apply(ctx, case, answer, Actor.MERCHANT, reading, offer=offer):
        return
    if refused:
        await _tell_case_group(
            ctx,
            case,
            templates.merchant_refused(case.number, reading.reason),
            mention_ids=_staff_to_tell(ctx, case),
        )
        return
    summary = templates.offer_summary(
        reading.intent is ReplyIntent.AGREE,
        reading.remedy,
        amount,
        amount_is_claim=amount_is_claim,
        non_cash=non_cash,
    )
    await _tell_case_group(
        ctx,
        case,
        templates.merchant_answer_recorded(case.number, summary, case.relayed),
        mention_ids=[case.reporter_id],
    )


async def _tell_case_group(
    ctx: HandlerContext, case: Case, text: str, *, mention_ids: list[str] | None = None
) -> None:
    """Say it in the case's own group (where the complainant is); a merchant answering from
    another group is told there that it was passed on."""
    await ctx.reply(text, mention_ids=mention_ids, case=case, room_id=case.room_id)
    if ctx.message.room_id != case.room_id:
        await ctx.reply(templates.answer_forwarded(case.number), case=case)


async def _reporter_reply(ctx: HandlerContext, named: list[Case] | None) -> bool:
    text = ctx.message.text
    reading = read_reporter_reply(text)
    rating = reading.rating if reading.rating is not None else read_rating(text)
    if rating is not None and await _rate(ctx, named, rating):
        return True  # 「非常满意」 after success is a rating, before it a confirmation
    if reading.intent in (ReplyIntent.CONFIRM, ReplyIntent.REJECT):
        statuses = {CaseStatus.MERCHANT_REPLIED}
    elif reading.intent is ReplyIntent.WITHDRAW:
        statuses = {CaseStatus.PENDING, CaseStatus.MEDIATING, CaseStatus.MERCHANT_REPLIED}
    elif reading.intent is ReplyIntent.RATING and named:
        return await _refuse_named(ctx, named, CaseAction.RATE, reading)
    elif is_bare_acknowledgement(text):
        return await _ask_confirm_or_not(ctx, named)
    else:
        return False
    action = INTENT_ACTIONS[reading.intent]
    if named and await _refuse_named(ctx, named, action, reading):
        return True
    candidates = await _reporter_candidates(ctx, named, statuses)
    if not candidates:
        return False
    case = await _one_case(ctx, candidates)
    if case is None:
        return True
    actor = actor_of(ctx, case)
    if reading.intent is ReplyIntent.WITHDRAW:
        if await _apply(ctx, case, CaseAction.WITHDRAW, actor, reading):
            await ctx.reply(templates.case_withdrawn(case.number), case=case)
        return True
    if reading.intent is ReplyIntent.REJECT:
        if await _apply(ctx, case, CaseAction.REJECT, actor, reading):
            merchants = await merchant_member_ids(ctx.session, case.merchant_id)
            await ctx.reply(
                templates.reporter_rejected(case.number),
                mention_ids=merchants,
                case=case,
                room_id=await merchant_room(ctx, case, merchants),
            )
        return True
    if case.offer_remedy == REFUSED_REMEDY:
        await ctx.reply(templates.cannot_confirm_refusal(case.number), case=case)
        return True
    relayed = {"relayed": True} if case.relayed else None  # confirmed for the consumer
    if not await _apply(ctx, case, CaseAction.CONFIRM, actor, reading, data=relayed):
        return True
    non_cash = case.offer_remedy if is_non_cash(case.offer_remedy) else None
    if non_cash and case.offer_amount is not None:
        non_cash += templates.yuan(case.offer_amount)
    await ctx.reply(
        templates.case_resolved(case.number, case.money_returned, non_cash)
        + "\n"
        + templates.ask_for_rating(case.number, case.relayed),
        mention_ids=[case.reporter_id],
        case=case,
    )
    return True


async def _ask_confirm_or_not(ctx: HandlerContext, named: list[Case] | None) -> bool:
    """「好的」 after an offer: ask for 「确认」 or 「不接受」 instead of guessing."""
    waiting = {CaseStatus.MERCHANT_REPLIED}
    candidates = await _reporter_candidates(ctx, named, waiting)
    candidates = [c for c in candidates if c.offer_remedy != REFUSED_REMEDY]
    if len(candidates) != 1:
        return False
    await ctx.reply(templates.confirm_or_not(candidates[0].number), case=candidates[0])
    return True


async def _refuse_named(
    ctx: HandlerContext, named: list[Case], action: CaseAction, reading: ReplyReading
) -> bool:
    """A settling action on a named case by someone who may not: refused, and recorded."""
    for case in named:
        if not permitted(action, actor_of(ctx, case)):
            await _apply(ctx, case, action, actor_of(ctx, case), reading)
            return True
    return False


async def _rate(ctx: HandlerContext, named: list[Case] | None, rating: int) -> bool:
    if named is not None:
        candidates = [c for c in named if permitted(CaseAction.RATE, actor_of(ctx, c))]
    else:
        candidates = await case_queries.in_room(
            ctx.session, ctx.message.room_id, {CaseStatus.RESOLVED}, reporter_id=ctx.sender.id
        )
    candidates = [c for c in candidates if c.rating_requested_at is not None and c.rating is None]
    if not candidates:
        return False
    case = await _one_case(ctx, candidates)
    if case is None:
        return True
    rated: dict[str, object] = {"rating": rating}
    if case.relayed:
        rated["relayed"] = True  # the relayer's word for the consumer's rating
    actor = actor_of(ctx, case)
    if await _apply(ctx, case, CaseAction.RATE, actor, None, data=rated, rating=rating):
        await ctx.reply(templates.rating_thanks(case.number, rating), case=case)
    return True


async def _reporter_candidates(
    ctx: HandlerContext, named: list[Case] | None, statuses: set[CaseStatus]
) -> list[Case]:
    if named is not None:
        return [c for c in named if c.status in statuses and may_see_case(ctx.sender, c)]
    return await case_queries.in_room(
        ctx.session, ctx.message.room_id, statuses, reporter_id=ctx.sender.id
    )


async def _one_case(ctx: HandlerContext, candidates: list[Case]) -> Case | None:
    if len(candidates) == 1:
        return candidates[0]
    await ctx.reply(templates.which_case([c.number for c in candidates]))
    return None


async def _apply(
    ctx: HandlerContext,
    case: Case,
    action: CaseAction,
    actor: Actor,
    reading: ReplyReading | None,
    *,
    data: dict[str, object] | None = None,
    **inputs: Any,
) -> bool:
    details: dict[str, object] = dict(data or {})
    if reading is not None:
        details.update(
            intent=reading.intent.value,
            amount=str(reading.amount) if reading.amount is not None else None,
            remedy=reading.remedy,
            reason=reading.reason,
        )
    details["inbox_id"] = ctx.message.id
    try:
        act(ctx, case, action, actor, data=details, **inputs)
    except IllegalTransition as refusal:
        if not refusal.wrong_actor or ctx.first_time(f"refused:{refusal.action.value}"):
            await ctx.reply(refusal.message, case=case)
        return False
    return True


def _staff_to_tell(ctx: HandlerContext, case: Case) -> list[str]:
    if case.assignee_id:
        return [case.assignee_id]
    return sorted(ctx.config.admins)
