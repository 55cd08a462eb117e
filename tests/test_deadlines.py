"""Deadlines across 国庆 2026 and its 调休 Saturday, with exact local times.

Calendar used (2026 announcement): 9/20 (Sun) and 10/10 (Sat) are working days; 9/25 and
10/1–10/7 are days off.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mediation.cases import CaseStatus
from mediation.deadlines import (
    Audience,
    CaseDeadlines,
    CaseTimes,
    DeadlineAction,
    DeadlineKind,
    DeadlinePolicy,
    DeadlineTarget,
    case_deadlines,
    due_actions,
    notice_text,
)
from mediation.workdays import WorkingCalendar

TZ = ZoneInfo("Asia/Shanghai")
POLICY = DeadlinePolicy()


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def mediating(accepted_at: datetime, **changes: object) -> CaseTimes:
    times = CaseTimes(
        status=CaseStatus.MEDIATING,
        received_at=accepted_at - timedelta(hours=2),
        accepted_at=accepted_at,
        merchant_replied_at=None,
        done_keys=frozenset(),
    )
    return replace(times, **changes)  # type: ignore[arg-type]


# Accepted on the eve of the National Day holiday, Wednesday 2026-09-30 10:00.
EVE = local(2026, 9, 30, 10, 0)


def keys(actions: list[DeadlineAction]) -> list[str]:
    return [action.key for action in actions]


def test_case_deadlines_exact_dates(calendar: WorkingCalendar) -> None:
    deadlines = case_deadlines(mediating(EVE), calendar, POLICY, TZ)
    # Received 9/30 08:00: 10/8 (1), 10/9 (2), 10/10 Sat (3), 10/12–10/15 (4–7).
    assert deadlines.acceptance_by == date(2026, 10, 15)
    assert deadlines.first_answer_by == date(2026, 10, 8)
    # 10/8, 10/9, 10/10 (Sat), 10/12–16, 10/19, 10/20 is the 10th working day.
    assert deadlines.settlement_by == date(2026, 10, 20)
    assert deadlines.mediation_ends == date(2026, 12, 8)
    assert deadlines == CaseDeadlines(
        date(2026, 10, 15), date(2026, 10, 8), date(2026, 10, 20), date(2026, 12, 8)
    )


def test_pending_case_has_only_an_acceptance_deadline(calendar: WorkingCalendar) -> None:
    times = replace(mediating(EVE), status=CaseStatus.PENDING, accepted_at=None)
    deadlines = case_deadlines(times, calendar, POLICY, TZ)
    assert deadlines.first_answer_by is None
    assert deadlines.settlement_by is None
    assert deadlines.mediation_ends is None


def test_nothing_is_due_during_the_holiday(calendar: WorkingCalendar) -> None:
    for day in range(1, 8):
        assert due_actions(mediating(EVE), local(2026, 10, day, 12), calendar, POLICY, TZ) == []


def test_silent_merchant_is_reminded_at_nine_on_the_first_working_day(
    calendar: WorkingCalendar,
) -> None:
    times = mediating(EVE)
    assert due_actions(times, local(2026, 10, 8, 8, 59), calendar, POLICY, TZ) == []
    assert due_actions(times, local(2026, 10, 8, 9, 0), calendar, POLICY, TZ) == [
        DeadlineAction(
            "first_answer:remind",
            DeadlineKind.REMIND_MERCHANT,
            DeadlineTarget.FIRST_ANSWER,
            local(2026, 10, 8, 9, 0),
            date(2026, 10, 8),
        )
    ]


def test_silent_merchant_is_escalated_when_october_8_has_ended(
    calendar: WorkingCalendar,
) -> None:
    times = mediating(EVE, done_keys=frozenset({"first_answer:remind"}))
    late_evening = local(2026, 10, 8, 23, 59, 59)
    assert due_actions(times, late_evening, calendar, POLICY, TZ) == []
    actions = due_actions(times, local(2026, 10, 9, 0, 0), calendar, POLICY, TZ)
    assert actions == [
        DeadlineAction(
            "first_answer:escalate",
            DeadlineKind.ESCALATE_TO_STAFF,
            DeadlineTarget.FIRST_ANSWER,
            local(2026, 10, 9, 0, 0),
            date(2026, 10, 8),
        )
    ]


def test_a_missed_reminder_is_not_sent_after_the_target_has_passed(
    calendar: WorkingCalendar,
) -> None:
    actions = due_actions(mediating(EVE), local(2026, 10, 9, 10), calendar, POLICY, TZ)
    assert keys(actions) == ["first_answer:escalate"]


def test_merchant_who_answered_gets_no_first_answer_actions(calendar: WorkingCalendar) -> None:
    times = mediating(
        EVE, status=CaseStatus.MERCHANT_REPLIED, merchant_replied_at=local(2026, 10, 8, 11)
    )
    assert due_actions(times, local(2026, 10, 9, 10), calendar, POLICY, TZ) == []


def test_rejected_answer_does_not_restart_the_first_answer_stage(
    calendar: WorkingCalendar,
) -> None:
    times = mediating(EVE, merchant_replied_at=local(2026, 10, 8, 11))  # back to 调解中
    assert due_actions(times, local(2026, 10, 9, 10), calendar, POLICY, TZ) == []


def test_settlement_reminder_the_working_day_before_and_escalation_after(
    calendar: WorkingCalendar,
) -> None:
    times = mediating(
        EVE,
        status=CaseStatus.MERCHANT_REPLIED,
        merchant_replied_at=local(2026, 10, 8, 11),
    )
    assert due_actions(times, local(2026, 10, 19, 8, 59), calendar, POLICY, TZ) == []
    remind = due_actions(times, local(2026, 10, 19, 9, 0), calendar, POLICY, TZ)
    assert remind == [
        DeadlineAction(
            "settlement:remind",
            DeadlineKind.REMIND_MERCHANT,
            DeadlineTarget.SETTLEMENT,
            local(2026, 10, 19, 9, 0),
            date(2026, 10, 20),
        )
    ]
    done = replace(times, done_keys=frozenset({"settlement:remind"}))
    assert due_actions(done, local(2026, 10, 20, 23, 59), calendar, POLICY, TZ) == []
    escalate = due_actions(done, local(2026, 10, 21, 0, 0), calendar, POLICY, TZ)
    assert escalate == [
        DeadlineAction(
            "settlement:escalate",
            DeadlineKind.ESCALATE_TO_STAFF,
            DeadlineTarget.SETTLEMENT,
            local(2026, 10, 21, 0, 0),
            date(2026, 10, 20),
        )
    ]


def test_mediation_is_terminated_when_the_45th_working_day_has_ended(
    calendar: WorkingCalendar,
) -> None:
    done = frozenset(
        {"first_answer:remind", "first_answer:escalate", "settlement:remind", "settlement:escalate"}
    )
    times = mediating(EVE, done_keys=done)
    assert due_actions(times, local(2026, 12, 8, 23, 59, 59), calendar, POLICY, TZ) == []
    assert due_actions(times, local(2026, 12, 9, 0, 0), calendar, POLICY, TZ) == [
        DeadlineAction(
            "limit:terminate",
            DeadlineKind.TERMINATE,
            DeadlineTarget.LIMIT,
            local(2026, 12, 9, 0, 0),
            date(2026, 12, 8),
        )
    ]


def test_termination_replaces_everything_else_once_due(calendar: WorkingCalendar) -> None:
    actions = due_actions(mediating(EVE), local(2027, 1, 4, 9), calendar, POLICY, TZ)
    assert keys(actions) == ["limit:terminate"]


def test_recorded_termination_is_not_repeated(calendar: WorkingCalendar) -> None:
    times = mediating(EVE, done_keys=frozenset({"limit:terminate"}))
    assert due_actions(times, local(2026, 12, 9, 1), calendar, POLICY, TZ) == []


def test_first_answer_due_on_the_make_up_saturday(calendar: WorkingCalendar) -> None:
    friday = local(2026, 10, 9, 15, 0)
    times = mediating(friday)
    assert case_deadlines(times, calendar, POLICY, TZ).first_answer_by == date(2026, 10, 10)
    remind = due_actions(times, local(2026, 10, 10, 9, 0), calendar, POLICY, TZ)
    assert remind[0].due_at == local(2026, 10, 10, 9, 0)
    escalate = due_actions(times, local(2026, 10, 11, 0, 0), calendar, POLICY, TZ)
    assert keys(escalate) == ["first_answer:escalate"]
    assert escalate[0].due_at == local(2026, 10, 11, 0, 0)


def test_an_ordinary_friday_acceptance_is_due_on_monday(calendar: WorkingCalendar) -> None:
    times = mediating(local(2026, 10, 16, 15, 0))
    assert due_actions(times, local(2026, 10, 17, 9, 0), calendar, POLICY, TZ) == []
    assert keys(due_actions(times, local(2026, 10, 19, 9, 0), calendar, POLICY, TZ)) == [
        "first_answer:remind"
    ]


def test_case_still_pending_after_seven_working_days_is_overdue(
    calendar: WorkingCalendar,
) -> None:
    # Received Monday 9/28: 9/29, 9/30, 10/8, 10/9, 10/10 (Sat), 10/12, 10/13.
    times = CaseTimes(
        status=CaseStatus.PENDING,
        received_at=local(2026, 9, 28, 16, 0),
        accepted_at=None,
        merchant_replied_at=None,
        done_keys=frozenset(),
    )
    assert due_actions(times, local(2026, 10, 13, 23, 59), calendar, POLICY, TZ) == []
    assert due_actions(times, local(2026, 10, 14, 0, 0), calendar, POLICY, TZ) == [
        DeadlineAction(
            "acceptance:escalate",
            DeadlineKind.ACCEPTANCE_OVERDUE,
            DeadlineTarget.ACCEPTANCE,
            local(2026, 10, 14, 0, 0),
            date(2026, 10, 13),
        )
    ]
    recorded = replace(times, done_keys=frozenset({"acceptance:escalate"}))
    assert due_actions(recorded, local(2026, 10, 20), calendar, POLICY, TZ) == []


def test_days_are_counted_from_the_local_date_not_the_utc_date(
    calendar: WorkingCalendar,
) -> None:
    def acceptance_by(received_utc: datetime) -> date:
        times = CaseTimes(CaseStatus.PENDING, received_utc, None, None, frozenset())
        return case_deadlines(times, calendar, POLICY, TZ).acceptance_by

    # 9/29 23:30 local: 9/30, 10/8, 10/9, 10/10, 10/12, 10/13, 10/14.
    assert acceptance_by(datetime(2026, 9, 29, 15, 30, tzinfo=UTC)) == date(2026, 10, 14)
    # 9/30 00:30 local, although still 9/29 in UTC.
    assert acceptance_by(datetime(2026, 9, 29, 16, 30, tzinfo=UTC)) == date(2026, 10, 15)


def test_naive_datetimes_are_read_as_utc(calendar: WorkingCalendar) -> None:
    naive_accepted = datetime(2026, 9, 30, 2, 0)  # 10:00 in Shanghai
    times = mediating(naive_accepted)
    now_naive = datetime(2026, 10, 8, 1, 0)  # 09:00 in Shanghai
    assert keys(due_actions(times, now_naive, calendar, POLICY, TZ)) == ["first_answer:remind"]


@pytest.mark.parametrize(
    "status",
    [CaseStatus.RESOLVED, CaseStatus.FAILED, CaseStatus.WITHDRAWN, CaseStatus.REFUSED],
)
def test_closed_cases_have_nothing_due(calendar: WorkingCalendar, status: CaseStatus) -> None:
    times = mediating(EVE, status=status)
    assert due_actions(times, local(2027, 6, 1), calendar, POLICY, TZ) == []


def test_longer_first_answer_target_is_reminded_the_day_before(
    calendar: WorkingCalendar,
) -> None:
    policy = DeadlinePolicy(first_answer_days=3, remind_before_days=1)
    # 10/8 (1), 10/9 (2), 10/10 (3): remind on 10/9 at 09:00, escalate at 10/11 00:00.
    times = mediating(EVE)
    assert keys(due_actions(times, local(2026, 10, 9, 9), calendar, policy, TZ)) == [
        "first_answer:remind"
    ]
    assert keys(due_actions(times, local(2026, 10, 11, 0), calendar, policy, TZ)) == [
        "first_answer:escalate"
    ]


def test_reminder_time_of_day_is_a_setting(calendar: WorkingCalendar) -> None:
    policy = DeadlinePolicy(remind_at=datetime(2000, 1, 1, 14, 30).time())
    times = mediating(EVE)
    assert due_actions(times, local(2026, 10, 8, 14, 29), calendar, policy, TZ) == []
    assert keys(due_actions(times, local(2026, 10, 8, 14, 30), calendar, policy, TZ)) == [
        "first_answer:remind"
    ]


def test_actions_due_together_come_earliest_first(calendar: WorkingCalendar) -> None:
    policy = DeadlinePolicy(first_answer_days=1, settlement_days=2)
    # First answer due 10/8 (escalate 10/9 00:00); settlement due 10/9 (remind 10/8 09:00).
    times = mediating(EVE, done_keys=frozenset({"first_answer:remind"}))
    actions = due_actions(times, local(2026, 10, 9, 9), calendar, policy, TZ)
    assert keys(actions) == ["settlement:remind", "first_answer:escalate"]
    assert [a.due_at for a in actions] == [local(2026, 10, 8, 9), local(2026, 10, 9, 0)]


@pytest.mark.parametrize(
    "changes",
    [
        {"acceptance_days": 0},
        {"first_answer_days": 0},
        {"settlement_days": -1},
        {"mediation_limit_days": 0},
        {"remind_before_days": -1},
    ],
)
def test_policy_rejects_meaningless_settings(changes: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        DeadlinePolicy(**changes)


def test_hourly_sweep_sends_each_action_once_on_the_right_day(
    calendar: WorkingCalendar,
) -> None:
    """A merchant who never answers, swept every hour (twice each time) until termination."""
    times = mediating(EVE)
    sent: dict[str, datetime] = {}
    now = EVE
    while now < local(2026, 12, 10):
        for _ in range(2):  # a second sweep at the same instant finds nothing new
            for action in due_actions(times, now, calendar, POLICY, TZ):
                assert action.key not in sent
                sent[action.key] = now
                times = replace(times, done_keys=times.done_keys | {action.key})
        now += timedelta(hours=1)
    assert sent == {
        "first_answer:remind": local(2026, 10, 8, 9),
        "first_answer:escalate": local(2026, 10, 9, 0),
        "settlement:remind": local(2026, 10, 19, 9),
        "settlement:escalate": local(2026, 10, 21, 0),
        "limit:terminate": local(2026, 12, 9, 0),
    }


def test_notice_text_names_case_merchant_and_deadline(calendar: WorkingCalendar) -> None:
    times = mediating(EVE)
    sent = []
    for now in (local(2026, 10, 8, 9), local(2026, 10, 9, 0), local(2026, 12, 9, 0)):
        for action in due_actions(times, now, calendar, POLICY, TZ):
            sent.append(notice_text(action, "CY-202609-0012", "张记饺子馆", POLICY))
            times = replace(times, done_keys=times.done_keys | {action.key})
    remind, escalate, terminate = sent
    assert "CY-202609-0012" in remind and "张记饺子馆" in remind and "10月8日" in remind
    assert "10月8日" in escalate and "工作人员" in escalate
    assert "45 个工作日" in terminate and "12月8日" in terminate and "终止调解" in terminate


def test_acceptance_notice_without_a_known_merchant(calendar: WorkingCalendar) -> None:
    action = DeadlineAction(
        "acceptance:escalate",
        DeadlineKind.ACCEPTANCE_OVERDUE,
        DeadlineTarget.ACCEPTANCE,
        local(2026, 10, 14),
        date(2026, 10, 13),
    )
    text = notice_text(action, "CY-202609-0020", None)
    assert "CY-202609-0020" in text and "10月13日" in text and "受理" in text


def test_each_action_names_its_target_and_audience(calendar: WorkingCalendar) -> None:
    times = mediating(EVE, done_keys=frozenset({"first_answer:remind"}))
    policy = DeadlinePolicy(settlement_days=2)
    actions = due_actions(times, local(2026, 10, 9, 9), calendar, policy, TZ)
    assert [(a.key, a.target, a.audience) for a in actions] == [
        ("settlement:remind", "settlement", Audience.MERCHANT),
        ("first_answer:escalate", "first_answer", Audience.STAFF),
    ]
    assert all(a.key.startswith(f"{a.target}:") for a in actions)
