"""The deadline sweep: reminders, escalations and 终止调解, read from the database.

The database is the source of truth: each run recomputes what is due for every open case
from its timestamps and the events already recorded. Every action is recorded as a case
event with a dedupe key that is unique per case, in the same transaction as its message,
so a sweep that runs twice, in two processes, or again after a crash half-way, still sends
each reminder exactly once.

Each run first brings the cases' calendar facts up to date
(`storage.calendar_facts.refresh_calendar_facts`): it fills them in for cases fresh from intake
or closed by a staff command, and moves open cases' deadlines after a change of the
calendar or of the deadline settings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mediation import templates
from mediation.cases import Actor, CaseStatus, EventKind
from mediation.deadlines import (
    Audience,
    DeadlineAction,
    DeadlineKind,
    DeadlinePolicy,
    due_actions,
    notice_text,
)
from mediation.lifecycle import CaseAction
from mediation.reports import CalendarFactsCalculator
from mediation.workdays import WorkingCalendar
from storage import case_queries, cases, members, outbox
from storage.calendar_facts import refresh_calendar_facts
from storage.models import Case

from .case_actions import apply_action, times_of
from .context import HandlerConfig

log = logging.getLogger(__name__)

# The calendars (each reload of the overrides makes a new one) whose settings the open
# cases' facts were last brought up to date with, in this process: they cannot change
# until the calendar or the settings do, so later sweeps fill in only the unknown ones.
_OPEN_CASES_REFRESHED: WeakKeyDictionary[WorkingCalendar, tuple[DeadlinePolicy, ZoneInfo]] = (
    WeakKeyDictionary()
)


@dataclass(frozen=True)
class SweepResult:
    examined: int
    actions: int


async def sweep_deadlines(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    config: HandlerConfig,
    calendar: WorkingCalendar,
    after_action: Callable[[DeadlineAction], None] = lambda action: None,
) -> SweepResult:
    facts = CalendarFactsCalculator(calendar, config.deadline_policy, config.timezone)
    basis = (config.deadline_policy, config.timezone)
    open_cases = _OPEN_CASES_REFRESHED.get(calendar) != basis
    async with sessions.begin() as session:
        await refresh_calendar_facts(session, facts, open_cases=open_cases)
    _OPEN_CASES_REFRESHED[calendar] = basis
    async with sessions() as session:
        case_ids = await case_queries.open_case_ids(session)
    taken = 0
    for case_id in case_ids:
        for action in await _due_for(sessions, case_id, now, config, calendar):
            if await _take(sessions, case_id, action, now, config, calendar):
                taken += 1
                after_action(action)
    return SweepResult(examined=len(case_ids), actions=taken)


async def _due_for(
    sessions: async_sessionmaker[AsyncSession],
    case_id: int,
    now: datetime,
    config: HandlerConfig,
    calendar: WorkingCalendar,
) -> list[DeadlineAction]:
    async with sessions() as session:
        case = await session.get(Case, case_id)
        if case is None:
            return []
        done = await case_queries.done_deadline_keys(session, case_id)
        return due_actions(
            times_of(case, done), now, calendar, config.deadline_policy, config.timezone
        )


async def _take(
    sessions: async_sessionmaker[AsyncSession],
    case_id: int,
    action: DeadlineAction,
    now: datetime,
    config: HandlerConfig,
    calendar: WorkingCalendar,
) -> bool:
    """Record and announce one action in one transaction; False if it was already taken.

    On PostgreSQL the case row is claimed FOR UPDATE SKIP LOCKED: a case another sweep (or a
    handler) holds this instant is left to it, or to the next sweep. The unique dedupe keys
    stay the last line of defence, and the only one on SQLite.
    """
    try:
        async with sessions.begin() as session:
            case = await session.get(Case, case_id, with_for_update={"skip_locked": True})
            if case is None or CaseStatus(case.status).is_closed:
                return False
            if action.key in await case_queries.done_deadline_keys(session, case_id):
                return False
            await _record(session, case, action, now, config, calendar)
            await session.flush()  # a concurrent sweep's event fails the unique key here
    except IntegrityError:
        log.info("case %s: %s already taken by another sweep", case_id, action.key)
        return False
    return True


EVENT_FOR_DEADLINE = {
    DeadlineKind.ACCEPTANCE_OVERDUE: EventKind.ACCEPTANCE_OVERDUE,
    DeadlineKind.REMIND_MERCHANT: EventKind.REMINDED,
    DeadlineKind.ESCALATE_TO_STAFF: EventKind.ESCALATED,
}


async def _record(
    session: AsyncSession,
    case: Case,
    action: DeadlineAction,
    now: datetime,
    config: HandlerConfig,
    calendar: WorkingCalendar,
) -> None:
    merchants = await members.merchant_member_ids(session, case.merchant_id)
    data = {"target": action.target, "due_at": action.due_at.isoformat()}
    if action.kind is DeadlineKind.TERMINATE:
        apply_action(
            session,
            case,
            CaseAction.TERMINATE,
            Actor.SYSTEM,
            now=now,
            data=data,
            dedupe_key=action.key,
            facts=CalendarFactsCalculator(calendar, config.deadline_policy, config.timezone),
        )
        mentions = [*merchants, case.reporter_id]
    else:
        cases.record_event(
            session,
            case,
            EVENT_FOR_DEADLINE[action.kind],
            actor=Actor.SYSTEM,
            at=now,
            data=data,
            dedupe_key=action.key,
        )
        staff = [case.assignee_id] if case.assignee_id else sorted(config.admins)
        mentions = merchants if action.audience is Audience.MERCHANT else staff
    room = case.room_id
    if action.audience is Audience.MERCHANT and merchants:
        # reminded where the merchant is: the case's group first, else one it is known in
        rooms = await members.rooms_of(session, merchants)
        if rooms and case.room_id not in rooms:
            room = rooms[0]
    await outbox.enqueue(
        session,
        room_id=room,
        text=notice_text(action, case.number, case.merchant_name, config.deadline_policy),
        now=now,
        mention_ids=mentions,
        case=case,
        dedupe_key=f"case:{case.id}:{action.key}",
    )


async def warn_if_next_year_unknown(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    config: HandlerConfig,
    calendar: WorkingCalendar,
) -> int:
    """In December, tell each group's staff once if next year's 调休 days are not known yet."""
    local = now.astimezone(config.timezone)
    year = local.year + 1
    if local.month != 12 or calendar.make_up_days_known(year):
        return 0
    queued = 0
    async with sessions.begin() as session:
        for room_id in await members.room_ids(session):
            outbox_id = await outbox.enqueue(
                session,
                room_id=room_id,
                text=templates.make_up_days_unknown(year),
                now=now,
                mention_ids=sorted(config.admins),
                dedupe_key=f"calendar-unknown:{year}:{room_id}",
            )
            queued += outbox_id is not None
    return queued
