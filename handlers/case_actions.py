"""Changing a case: every status change goes through the life-cycle rules and is recorded
as a case event in the caller's transaction, so the change and its audit trail commit
together. Used by message handlers and by the deadline sweep alike.

A change that moves the case's timeline (accepted, closed, reopened) also writes what the
working-day calendar says about it (`CalendarFacts`: when it went overdue, working days to
close), so the statistics read them off the row; a caller without the calendar at hand
leaves them unknown for the deadline sweep to fill in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from mediation import templates
from mediation.actions import CaseState, change_case
from mediation.cases import Actor, CaseStatus, EventKind
from mediation.deadlines import CaseDeadlines, CaseTimes, DeadlinePolicy, case_deadlines
from mediation.lifecycle import CaseAction, IllegalTransition
from mediation.reports import CalendarFactsCalculator
from mediation.workdays import WorkingCalendar
from storage import cases, members
from storage.calendar_facts import forget_calendar_facts, store_calendar_facts
from storage.members import merchant_member_ids as merchant_member_ids  # for intake
from storage.models import Case

from .context import HandlerContext


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
    **inputs: Any,
) -> CaseStatus:
    """Move the case (raises IllegalTransition, changing nothing) and record its events.

    What the action does is `mediation.actions.change_case` (`inputs` go to it); this writes
    the result onto the row and the events into the same transaction. Pass `facts` (see
    `facts_calculator`) so the case's calendar facts are kept current; without it a change
    of the timeline marks them unknown.
    """
    try:
        change = change_case(
            state_of(case), action, actor, now=now, case_number=case.number, data=data, **inputs
        )
    except IllegalTransition as refusal:
        if refusal.wrong_actor:  # someone tried what is not theirs to do: the trail keeps it
            attempted = {"action": action.value, "status": case.status}
            if data and "inbox_id" in data:
                attempted["inbox_id"] = data["inbox_id"]
            cases.record_event(
                session, case, EventKind.ACTION_REFUSED, actor=actor, actor_id=actor_id,
                at=now, data=attempted,
            )  # fmt: skip
        raise
    for name in CASE_STATE_FIELDS:
        if getattr(change.after, name) != getattr(change.before, name):
            setattr(case, name, getattr(change.after, name))
    if change.timeline_moved:
        if facts is not None:
            store_calendar_facts(case, facts)
        else:
            forget_calendar_facts(case)
    acting, *others = change.events
    cases.record_event(
        session,
        case,
        acting.kind,
        actor=acting.actor,
        actor_id=actor_id,
        at=now,
        data=acting.data,
        dedupe_key=dedupe_key,
    )
    for event in others:
        cases.record_event(session, case, event.kind, actor=event.actor, at=now, data=event.data)
    return change.after.status


CASE_STATE_FIELDS = tuple(field.name for field in fields(CaseState))


def state_of(case: Case) -> CaseState:
    return CaseState(
        **{name: getattr(case, name) for name in CASE_STATE_FIELDS if name != "status"},
        status=CaseStatus(case.status),
    )


def act(
    ctx: HandlerContext,
    case: Case,
    action: CaseAction,
    actor: Actor,
    *,
    data: dict[str, Any] | None = None,
    **inputs: Any,
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
        **inputs,
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


async def accept_and_notify(
    ctx: HandlerContext, case: Case, *, actor: Actor, merchant_ids: Sequence[str]
) -> None:
    """Accept the case and @-mention the bound merchant with the facts and the deadline."""
    act(ctx, case, CaseAction.ACCEPT, actor)
    await notify_merchant(ctx, case, merchant_ids)


async def merchant_rooms(ctx: HandlerContext, case: Case, merchant_ids: Sequence[str]) -> list[str]:
    """The groups where the case's bound merchant is known to be (`room_members`), the
    case's own group first."""
    rooms = await members.rooms_of(ctx.session, merchant_ids)
    if case.room_id in rooms:
        rooms.remove(case.room_id)
        rooms.insert(0, case.room_id)
    return rooms


async def merchant_room(ctx: HandlerContext, case: Case, merchant_ids: Sequence[str]) -> str:
    """Where to speak to the merchant about the case: the case's own group when a bound
    member is in it, else a group where one is; the case's group when none is known."""
    rooms = await merchant_rooms(ctx, case, merchant_ids)
    return rooms[0] if rooms else case.room_id


async def notify_merchant(ctx: HandlerContext, case: Case, merchant_ids: Sequence[str]) -> None:
    """@-mention the bound merchant with the case's facts and the answer deadline, in a
    group where the merchant is; staff are told when the merchant is in no group the bot
    knows (the notice then goes to the case's own group)."""
    now = ctx.now
    today = ctx.local_now.date()
    reply_by = deadlines_of(
        case, ctx.calendar, ctx.config.deadline_policy, ctx.config.timezone
    ).first_answer_by
    if reply_by is None or reply_by < today:  # told late (bound after acceptance)
        reply_by = ctx.calendar.add_working_days(
            today, ctx.config.deadline_policy.first_answer_days
        )
    rooms = await merchant_rooms(ctx, case, merchant_ids)
    room = rooms[0] if rooms else case.room_id
    cases.record_event(
        ctx.session,
        case,
        EventKind.NOTIFIED,
        actor=Actor.SYSTEM,
        at=now,
        data={
            "merchant_ids": list(merchant_ids),
            "reply_by": reply_by.isoformat(),
            "room_id": room,
        },
    )
    summary = templates.complaint_summary("贵店", case.category, case.problem)
    text = templates.merchant_notice(
        case.number, case.merchant_name, summary, tuple(case.demands), case.amount, reply_by
    )
    await ctx.reply(text, mention_ids=list(merchant_ids), case=case, room_id=room)
    if room != case.room_id:
        await ctx.reply(
            templates.merchant_told_elsewhere(case.number), case=case, room_id=case.room_id
        )
    if not rooms:
        staff = [case.assignee_id] if case.assignee_id else sorted(ctx.config.admins)
        await ctx.reply(
            templates.merchant_in_no_known_group(case.number, case.merchant_name),
            mention_ids=staff,
            case=case,
            room_id=case.room_id,
        )
