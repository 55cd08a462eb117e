"""What is due on a case, and when: the reminders, escalations and terminations the sweep sends.

Nothing here keeps time or state. The scheduler passes in what the database knows about a case
(`CaseTimes`, including the dedupe keys of deadline events already recorded) and the current
instant, and gets back the actions due now. Because the answer depends only on those inputs, a
sweep that runs twice, or restarts halfway, finds the same actions and the recorded keys stop
them from being sent again.

How the days are counted (every number is a `DeadlinePolicy` setting):

- Days are Chinese working days (`WorkingCalendar`), counted in local time (`tz`, normally
  Asia/Shanghai) from the local date of the event; the event's own day never counts, even when
  it is a working day and the event happened at 08:00.
- A target of N working days is met by the end (23:59:59 local) of the N-th working day after
  the event date. It is missed, and an escalation becomes due, at 00:00 local of the next day.
- Acceptance: a case still 待受理 when `acceptance_days` working days after receipt have ended
  is ACCEPTANCE_OVERDUE (key "acceptance:escalate", to staff).
- First answer: counted from acceptance, only while the case is 调解中 and the merchant has
  never replied. REMIND_MERCHANT ("first_answer:remind") at `remind_at` (09:00) local on the
  working day `remind_before_days` before the due day, or on the due day itself when no working
  day after acceptance is left before it (the default: a one-day target is reminded at 09:00 of
  that day); ESCALATE_TO_STAFF ("first_answer:escalate") once the due day has ended.
- Settlement: counted from acceptance, while the case is open (调解中 or 商家已答复): reminder
  ("settlement:remind") and escalation ("settlement:escalate") on the same pattern.
- Limit: TERMINATE ("limit:terminate", notice to both sides) once `mediation_limit_days`
  working days after acceptance have ended. From then on it is the only action due; nothing
  else is sent for the case.
- A reminder is due only inside its window, from its time until its target is missed: after a
  missed target the escalation replaces it, so a sweep that was down for days sends no stale
  "please answer by yesterday".
- Closed cases have nothing due.

For a reopened case pass the reopening time as `accepted_at` and only the keys recorded since,
so its periods start again. `DeadlineAction.target` names the target an action is about
(acceptance, first_answer, settlement, limit); `audience` says who is told. Naive datetimes
(as SQLite returns them) are read as UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from mediation import templates
from mediation.cases import CLOSED_STATUSES, CaseStatus
from mediation.workdays import WorkingCalendar

ACCEPTANCE_ESCALATE = "acceptance:escalate"
FIRST_ANSWER_REMIND = "first_answer:remind"
FIRST_ANSWER_ESCALATE = "first_answer:escalate"
SETTLEMENT_REMIND = "settlement:remind"
SETTLEMENT_ESCALATE = "settlement:escalate"
LIMIT_TERMINATE = "limit:terminate"

DEADLINE_KEYS = (
    ACCEPTANCE_ESCALATE,
    FIRST_ANSWER_REMIND,
    FIRST_ANSWER_ESCALATE,
    SETTLEMENT_REMIND,
    SETTLEMENT_ESCALATE,
    LIMIT_TERMINATE,
)


@dataclass(frozen=True)
class DeadlinePolicy:
    acceptance_days: int = 7  # decide 受理/不予受理 within 7 working days of receipt
    first_answer_days: int = 1  # merchant's first answer after being notified
    settlement_days: int = 10  # merchant settles with the consumer (12315 ODR practice)
    mediation_limit_days: int = 45  # mediation ends without agreement (终止调解)
    remind_before_days: int = 1  # remind the merchant this many working days before a target
    remind_at: time = time(9, 0)  # local time of day reminders are sent

    def __post_init__(self) -> None:
        for name in (
            "acceptance_days",
            "first_answer_days",
            "settlement_days",
            "mediation_limit_days",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1 working day")
        if self.remind_before_days < 0:
            raise ValueError("remind_before_days must not be negative")


@dataclass(frozen=True)
class CaseTimes:
    status: CaseStatus
    received_at: datetime
    accepted_at: datetime | None
    merchant_replied_at: datetime | None
    done_keys: frozenset[str]  # dedupe keys of deadline events already recorded


class DeadlineKind(StrEnum):
    REMIND_MERCHANT = "remind_merchant"
    ESCALATE_TO_STAFF = "escalate_to_staff"
    TERMINATE = "terminate"
    ACCEPTANCE_OVERDUE = "acceptance_overdue"


class DeadlineTarget(StrEnum):
    """Which target an action is about; the first half of its key."""

    ACCEPTANCE = "acceptance"
    FIRST_ANSWER = "first_answer"
    SETTLEMENT = "settlement"
    LIMIT = "limit"


class Audience(StrEnum):
    """Who a deadline action speaks to."""

    MERCHANT = "merchant"
    STAFF = "staff"
    BOTH_SIDES = "both_sides"  # reporter and merchant


_AUDIENCE = {
    DeadlineKind.REMIND_MERCHANT: Audience.MERCHANT,
    DeadlineKind.ESCALATE_TO_STAFF: Audience.STAFF,
    DeadlineKind.TERMINATE: Audience.BOTH_SIDES,
    DeadlineKind.ACCEPTANCE_OVERDUE: Audience.STAFF,
}


@dataclass(frozen=True)
class DeadlineAction:
    key: str  # unique per case and action; record it on the case event to dedupe
    kind: DeadlineKind
    target: str  # a `DeadlineTarget`: acceptance, first_answer, settlement, limit
    due_at: datetime  # local time (tz) the action became due
    deadline: date | None = None  # the target date the action is about, for the message

    @property
    def audience(self) -> Audience:
        return _AUDIENCE[self.kind]


@dataclass(frozen=True)
class CaseDeadlines:
    acceptance_by: date
    first_answer_by: date | None
    settlement_by: date | None
    mediation_ends: date | None


def _local_date(instant: datetime, tz: ZoneInfo) -> date:
    return _aware(instant).astimezone(tz).date()


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _end_of(day: date, tz: ZoneInfo) -> datetime:
    """The instant `day` has ended: 00:00 local of the next calendar day."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def _reminder_day(
    start: date, target_days: int, policy: DeadlinePolicy, calendar: WorkingCalendar
) -> date:
    lead = target_days - policy.remind_before_days
    return calendar.add_working_days(start, lead if lead >= 1 else target_days)


def case_deadlines(
    times: CaseTimes, calendar: WorkingCalendar, policy: DeadlinePolicy, tz: ZoneInfo
) -> CaseDeadlines:
    """The target dates of a case (local dates, each met by the end of that day)."""
    received = _local_date(times.received_at, tz)
    acceptance_by = calendar.add_working_days(received, policy.acceptance_days)
    if times.accepted_at is None:
        return CaseDeadlines(acceptance_by, None, None, None)
    accepted = _local_date(times.accepted_at, tz)
    return CaseDeadlines(
        acceptance_by=acceptance_by,
        first_answer_by=calendar.add_working_days(accepted, policy.first_answer_days),
        settlement_by=calendar.add_working_days(accepted, policy.settlement_days),
        mediation_ends=calendar.add_working_days(accepted, policy.mediation_limit_days),
    )


def due_actions(
    times: CaseTimes,
    now: datetime,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy,
    tz: ZoneInfo,
) -> list[DeadlineAction]:
    """Actions due at `now` that are not yet recorded, earliest first; [] for closed cases."""
    if times.status in CLOSED_STATUSES:
        return []
    now = _aware(now)
    candidates: list[tuple[DeadlineAction, datetime | None]] = []  # action, window end

    if times.status == CaseStatus.PENDING:
        received = _local_date(times.received_at, tz)
        acceptance_by = calendar.add_working_days(received, policy.acceptance_days)
        action = DeadlineAction(
            ACCEPTANCE_ESCALATE,
            DeadlineKind.ACCEPTANCE_OVERDUE,
            DeadlineTarget.ACCEPTANCE,
            _end_of(acceptance_by, tz),
            acceptance_by,
        )
        candidates.append((action, None))

    if times.accepted_at is not None and times.status in (
        CaseStatus.MEDIATING,
        CaseStatus.MERCHANT_REPLIED,
    ):
        accepted = _local_date(times.accepted_at, tz)
        limit_day = calendar.add_working_days(accepted, policy.mediation_limit_days)
        limit_at = _end_of(limit_day, tz)
        if now >= limit_at:
            if LIMIT_TERMINATE in times.done_keys:
                return []
            terminate = DeadlineAction(
                LIMIT_TERMINATE, DeadlineKind.TERMINATE, DeadlineTarget.LIMIT, limit_at, limit_day
            )
            return [terminate]
        if times.status == CaseStatus.MEDIATING and times.merchant_replied_at is None:
            candidates += _stage(
                DeadlineTarget.FIRST_ANSWER,
                accepted,
                policy.first_answer_days,
                calendar,
                policy,
                tz,
            )
        candidates += _stage(
            DeadlineTarget.SETTLEMENT,
            accepted,
            policy.settlement_days,
            calendar,
            policy,
            tz,
        )

    due = [
        action
        for action, window_end in candidates
        if action.due_at <= now
        and action.key not in times.done_keys
        and (window_end is None or now < window_end)
    ]
    return sorted(due, key=lambda action: (action.due_at, DEADLINE_KEYS.index(action.key)))


def _stage(
    target: DeadlineTarget,
    accepted: date,
    target_days: int,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy,
    tz: ZoneInfo,
) -> list[tuple[DeadlineAction, datetime | None]]:
    """A merchant target: reminder (live until the target is missed) and escalation."""
    due_day = calendar.add_working_days(accepted, target_days)
    remind_day = _reminder_day(accepted, target_days, policy, calendar)
    missed_at = _end_of(due_day, tz)
    remind = DeadlineAction(
        f"{target}:remind",
        DeadlineKind.REMIND_MERCHANT,
        target,
        datetime.combine(remind_day, policy.remind_at, tzinfo=tz),
        due_day,
    )
    escalate = DeadlineAction(
        f"{target}:escalate", DeadlineKind.ESCALATE_TO_STAFF, target, missed_at, due_day
    )
    return [(remind, missed_at), (escalate, None)]


def notice_text(
    action: DeadlineAction,
    case_number: str,
    merchant: str | None,
    policy: DeadlinePolicy | None = None,
) -> str:
    """The group message for a due action (the sender adds the @-mentions)."""
    day = action.deadline or action.due_at.date()
    if action.key == LIMIT_TERMINATE:
        limit = (policy or DeadlinePolicy()).mediation_limit_days
        return templates.mediation_terminated(case_number, merchant, day, limit)
    notice = _NOTICES.get(action.key)
    if notice is None:
        raise ValueError(f"no notice for deadline key {action.key!r}")
    return notice(case_number, merchant, day)


_NOTICES: dict[str, Callable[[str, str | None, date], str]] = {
    ACCEPTANCE_ESCALATE: templates.acceptance_overdue,
    FIRST_ANSWER_REMIND: templates.first_answer_reminder,
    FIRST_ANSWER_ESCALATE: templates.first_answer_escalation,
    SETTLEMENT_REMIND: templates.settlement_reminder,
    SETTLEMENT_ESCALATE: templates.settlement_escalation,
}
