"""Changing a case: every status change goes through the life-cycle rules and is recorded
as a case event in the caller's transaction, so the change and its audit trail commit
together. Used by message handlers and by the deadline sweep alike.

A change that moves the case's timeline (accepted, closed, reopened) also writes what the
working-day calendar says about it (`CalendarFacts`: when it went overdue, working days to
close), so the statistics read them off the row; a caller without the calendar at hand
leaves them unknown for the deadline sweep to fill in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation import templates
from mediation.cases import Actor, CaseStatus, EventKind
from mediation.deadlines import CaseDeadlines, CaseTimes, DeadlinePolicy, case_deadlines
from mediation.lifecycle import CaseAction, transition
from mediation.reports import CalendarFactsCalculator
from mediation.workdays import WorkingCalendar
from storage import cases
from storage.models import Case, CaseEvent, Member
from storage.reports import forget_calendar_facts, store_calendar_facts

from .context import HandlerContext

EVENT_FOR_ACTION: dict[CaseAction, EventKind] = {
    CaseAction.ACCEPT: EventKind.ACCEPTED,
    CaseAction.MERCHANT_REPLY: EventKind.MERCHANT_REPLIED,
    CaseAction.CONFIRM: EventKind.CONFIRMED,
    CaseAction.REJECT: EventKind.REJECTED_BY_REPORTER,
    CaseAction.WITHDRAW: EventKind.WITHDRAWN,
    CaseAction.REFUSE: EventKind.REFUSED,
    CaseAction.CLOSE_RESOLVED: EventKind.CLOSED,
    CaseAction.CLOSE_FAILED: EventKind.CLOSED,
    CaseAction.TERMINATE: EventKind.TERMINATED,
    CaseAction.REOPEN: EventKind.REOPENED,
    CaseAction.RATE: EventKind.RATED,
}


def apply_action(
    session: AsyncSession,
    case: Case,
    action: CaseAction,
    actor: Actor,
    *,
    now: datetime,
    actor_id: str | None = None,
    data: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    facts: CalendarFactsCalculator | None = None,
) -> CaseStatus:
    """Move the case (raises IllegalTransition, changing nothing) and record the event.

    Pass `facts` (see `facts_calculator`) so the case's calendar facts are kept current;
    without it a change of the timeline marks them unknown.
    """
    before = CaseStatus(case.status)
    timeline = (case.accepted_at, case.closed_at)
    after = transition(before, action, actor, case_number=case.number)
    case.status = after
    if action is CaseAction.ACCEPT:
        case.accepted_at = now
    if action is CaseAction.MERCHANT_REPLY and case.merchant_replied_at is None:
        case.merchant_replied_at = now
    if action is CaseAction.REOPEN:
        case.closed_at = None
        case.outcome = None
        case.rating = None
        case.rating_requested_at = None
    if after.is_closed and not before.is_closed:
        case.closed_at = now
        case.outcome = after.value
    if (case.accepted_at, case.closed_at) != timeline:
        if facts is not None:
            store_calendar_facts(case, facts)
        else:
            forget_calendar_facts(case)
    event_data = {"from": before.value, "to": after.value, **(data or {})}
    cases.record_event(
        session,
        case,
        EVENT_FOR_ACTION[action],
        actor=actor,
        actor_id=actor_id,
        at=now,
        data=event_data,
        dedupe_key=dedupe_key,
    )
    return after


def act(
    ctx: HandlerContext,
    case: Case,
    action: CaseAction,
    actor: Actor,
    *,
    data: dict[str, Any] | None = None,
) -> CaseStatus:
    """`apply_action` for a message handler: in its transaction, at its time, by the sender
    (unless the system acts), with the calendar facts kept current."""
    return apply_action(
        ctx.session,
        case,
        action,
        actor,
        now=ctx.now,
        actor_id=None if actor is Actor.SYSTEM else ctx.sender.id,
        data=data,
        facts=facts_calculator(ctx),
    )


def facts_calculator(ctx: HandlerContext) -> CalendarFactsCalculator:
    """The calculator of calendar facts for a handler: its calendar, policy and time zone."""
    return CalendarFactsCalculator(ctx.calendar, ctx.config.deadline_policy, ctx.config.timezone)


def times_of(case: Case, done_keys: frozenset[str] = frozenset()) -> CaseTimes:
    return CaseTimes(
        status=CaseStatus(case.status),
        received_at=case.received_at,
        accepted_at=case.accepted_at,
        merchant_replied_at=case.merchant_replied_at,
        done_keys=done_keys,
    )


def deadlines_of(
    case: Case, calendar: WorkingCalendar, policy: DeadlinePolicy, tz: ZoneInfo
) -> CaseDeadlines:
    return case_deadlines(times_of(case), calendar, policy, tz)


async def merchant_member_ids(session: AsyncSession, merchant_id: int | None) -> list[str]:
    if merchant_id is None:
        return []
    rows = await session.scalars(
        select(Member.id).where(Member.merchant_id == merchant_id).order_by(Member.id)
    )
    return list(rows)


async def accept_and_notify(
    ctx: HandlerContext, case: Case, *, actor: Actor, merchant_ids: Sequence[str]
) -> None:
    """Accept the case and @-mention the bound merchant with the facts and the deadline."""
    now = ctx.now
    act(ctx, case, CaseAction.ACCEPT, actor)
    reply_by = deadlines_of(
        case, ctx.calendar, ctx.config.deadline_policy, ctx.config.timezone
    ).first_answer_by
    assert reply_by is not None  # an accepted case always has a first-answer target
    cases.record_event(
        ctx.session,
        case,
        EventKind.NOTIFIED,
        actor=Actor.SYSTEM,
        at=now,
        data={"merchant_ids": list(merchant_ids), "reply_by": reply_by.isoformat()},
    )
    summary = templates.complaint_summary("贵店", case.category, case.problem)
    text = templates.merchant_notice(
        case.number, case.merchant_name, summary, tuple(case.demands), case.amount, reply_by
    )
    await ctx.reply(text, mention_ids=list(merchant_ids), case=case)


async def done_deadline_keys(session: AsyncSession, case_id: int) -> frozenset[str]:
    rows = await session.scalars(
        select(CaseEvent.dedupe_key).where(
            CaseEvent.case_id == case_id, CaseEvent.dedupe_key.is_not(None)
        )
    )
    return frozenset(key for key in rows if key)
