"""Monthly figures from case facts, without a database: months, boundaries, what counts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from mediation.deadlines import DeadlinePolicy
from mediation.reports import (
    UNCLASSIFIED,
    CaseFacts,
    Month,
    MonthlyReport,
    build_monthly_report,
    last_completed_month,
    parse_month,
    was_overdue,
    working_days_to_close,
)
from mediation.workdays import WorkingCalendar

from .report_seed import CASES, MERCHANTS, SHANGHAI, sh

CALENDAR = WorkingCalendar()
POLICY = DeadlinePolicy()
JUNE = Month(2026, 6)


def facts(as_of: datetime) -> list[CaseFacts]:
    """The seeded cases as facts, overdue judged at `as_of`."""
    result = []
    for row in CASES:
        number, received, accepted, closed, status, key, category, problem = row[:8]
        money, rating = row[8:10]
        result.append(
            CaseFacts(
                number=number,
                received_at=received,
                accepted_at=accepted,
                closed_at=closed,
                status=status,
                category=category,
                category_group=None,
                problem=problem,
                merchant_name=MERCHANTS[key][0] if key else None,
                merchant_id=None,
                grid=MERCHANTS[key][1] if key else None,
                money_returned=money,
                rating=rating,
                overdue=was_overdue(
                    received_at=received,
                    accepted_at=accepted,
                    closed_at=closed,
                    as_of=as_of,
                    calendar=CALENDAR,
                    policy=POLICY,
                    tz=SHANGHAI,
                ),
                working_days_to_close=working_days_to_close(received, closed, CALENDAR, SHANGHAI),
            )
        )
    return result


def june_report() -> MonthlyReport:
    everything = facts(JUNE.end_utc(SHANGHAI))
    return build_monthly_report(JUNE, everything, everything, everything, tz=SHANGHAI)


def test_month_boundaries_are_local_midnights() -> None:
    assert JUNE.start_utc(SHANGHAI) == datetime(2026, 5, 31, 16, tzinfo=UTC)
    assert JUNE.end_utc(SHANGHAI) == datetime(2026, 6, 30, 16, tzinfo=UTC)
    assert JUNE.contains(sh(2026, 6, 30, 23, 30), SHANGHAI)
    assert not JUNE.contains(sh(2026, 7, 1, 0, 10), SHANGHAI)
    assert Month.of(sh(2026, 7, 1, 0, 10), SHANGHAI) == Month(2026, 7)
    assert Month.of(datetime(2026, 6, 30, 16, 10, tzinfo=UTC), SHANGHAI) == Month(2026, 7)


def test_month_arithmetic_and_labels() -> None:
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert Month(2026, 12).next() == Month(2027, 1)
    assert JUNE.same_month_last_year() == Month(2025, 6)
    assert JUNE.label == "2026年6月"
    assert JUNE.key == "2026-06" == str(JUNE)
    assert last_completed_month(sh(2026, 7, 1, 9), SHANGHAI) == JUNE
    assert last_completed_month(sh(2026, 1, 1, 0, 5), SHANGHAI) == Month(2025, 12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06", Month(2026, 6)),
        ("2026-6", Month(2026, 6)),
        ("2026/06", Month(2026, 6)),
        ("2026年6月", Month(2026, 6)),
        ("本月", Month(2026, 7)),
        ("上月", Month(2026, 6)),
        ("上个月", Month(2026, 6)),
    ],
)
def test_months_are_read_in_the_forms_staff_type(text: str, expected: Month) -> None:
    assert parse_month(text, date(2026, 7, 3)) == expected


def test_last_month_in_january_is_december_of_the_year_before() -> None:
    assert parse_month("上月", date(2026, 1, 5)) == Month(2025, 12)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026", "六月", "26-06", "2026-06-01", ""])
def test_what_is_not_a_month_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_month(text, date(2026, 7, 3))


def test_june_figures_count_what_the_docstring_says() -> None:
    report = june_report()
    assert report.received == 7  # includes 06-30 23:30, excludes 07-01 00:10 (Shanghai)
    assert report.accepted == 5
    assert report.closed == 5  # includes May's case closed on 06-02
    assert report.resolved == 3
    assert report.failed == 1
    assert report.success_rate == 0.75  # withdrawn cases are not mediation outcomes
    assert report.money_returned == Decimal("188")
    assert report.overdue == 2
    assert report.avg_working_days_to_close == 4.6
    assert report.avg_rating == 4.5
    assert report.rated == 2
    assert report.previous_received == 3  # includes 05-31 23:50 Shanghai
    assert report.last_year_received == 1
    assert report.month_on_month == 1.3333
    assert report.year_on_year == 6.0
    assert report.typical_cases == ["CY-202605-0002", "CY-202606-0001", "CY-202606-0002"]


def test_june_is_split_by_category_problem_merchant_and_grid() -> None:
    report = june_report()
    assert report.by_category == [
        ("餐饮住宿", 3),
        ("美容美发洗浴", 2),
        (UNCLASSIFIED, 1),
        ("食品", 1),
    ]
    assert report.by_problem == [
        ("价格", 2),
        ("质量", 2),
        ("合同", 1),
        ("售后服务", 1),
        (UNCLASSIFIED, 1),
    ]
    assert report.top_merchants == [("张记饺子馆", 3), ("李氏美发", 2), ("好又多超市", 1)]
    assert report.hot_spots == [("湖西社区", 5), ("东湖社区", 1)]


def test_july_gets_the_case_received_ten_minutes_after_midnight() -> None:
    everything = facts(Month(2026, 7).end_utc(SHANGHAI))
    july = build_monthly_report(Month(2026, 7), everything, everything, everything, tz=SHANGHAI)
    assert july.received == 1
    assert july.previous_received == 7
    assert july.year_on_year is None  # nothing received in July 2025


def test_an_empty_month_has_no_rates_and_no_averages() -> None:
    report = build_monthly_report(Month(2030, 2), [], [], [], tz=SHANGHAI)
    assert report.received == 0
    assert report.success_rate is None
    assert report.avg_working_days_to_close is None
    assert report.avg_rating is None
    assert report.month_on_month is None and report.year_on_year is None
    assert report.money_returned == Decimal(0)
    assert report.by_category == [] and report.typical_cases == []


def test_facts_outside_the_month_change_nothing() -> None:
    everything = facts(JUNE.end_utc(SHANGHAI))
    june_only = [f for f in everything if f.number.startswith("CY-202606")]
    stray = replace(everything[0], number="CY-202001-0001", received_at=sh(2020, 1, 5))
    assert build_monthly_report(JUNE, [*everything, stray], [], [], tz=SHANGHAI).received == 7
    assert build_monthly_report(JUNE, june_only, [], [], tz=SHANGHAI).received == 7


def test_a_case_decided_late_stays_overdue_after_it_is_closed() -> None:
    received, accepted = sh(2026, 6, 1, 9), sh(2026, 6, 15, 10)  # deadline was 06-10
    late = was_overdue(
        received_at=received,
        accepted_at=accepted,
        closed_at=sh(2026, 6, 16, 10),
        as_of=sh(2026, 7, 1),
        calendar=CALENDAR,
        policy=POLICY,
        tz=SHANGHAI,
    )
    assert late


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (sh(2026, 6, 10, 23, 59), False),  # the 7th working day after 06-01 is still running
        (sh(2026, 6, 11, 0, 0), True),  # it has ended
    ],
)
def test_an_undecided_case_is_overdue_once_its_acceptance_day_has_ended(
    as_of: datetime, expected: bool
) -> None:
    result = was_overdue(
        received_at=sh(2026, 6, 1, 9),
        accepted_at=None,
        closed_at=None,
        as_of=as_of,
        calendar=CALENDAR,
        policy=POLICY,
        tz=SHANGHAI,
    )
    assert result is expected


def test_settlement_deadline_skips_the_dragon_boat_holiday() -> None:
    # accepted Mon 06-08: ten working days end on Tue 06-23 because Fri 06-19 is a holiday
    common = {
        "received_at": sh(2026, 6, 8, 10),
        "accepted_at": sh(2026, 6, 8, 11),
        "calendar": CALENDAR,
        "policy": POLICY,
        "tz": SHANGHAI,
    }
    assert not was_overdue(closed_at=sh(2026, 6, 23, 18), as_of=sh(2026, 7, 1), **common)
    assert was_overdue(closed_at=sh(2026, 6, 24, 9), as_of=sh(2026, 7, 1), **common)
    assert not was_overdue(closed_at=None, as_of=sh(2026, 6, 23, 23), **common)


def test_a_closing_after_the_cut_off_counts_as_still_open() -> None:
    result = was_overdue(
        received_at=sh(2026, 6, 29, 10),
        accepted_at=sh(2026, 6, 29, 11),
        closed_at=sh(2026, 7, 2, 10),
        as_of=sh(2026, 7, 1),
        calendar=CALENDAR,
        policy=POLICY,
        tz=SHANGHAI,
    )
    assert result is False


def test_working_days_to_close_count_chinese_working_days() -> None:
    assert working_days_to_close(sh(2026, 6, 1, 10), sh(2026, 6, 1, 17), CALENDAR, SHANGHAI) == 0
    assert working_days_to_close(sh(2026, 6, 18, 10), sh(2026, 6, 22, 9), CALENDAR, SHANGHAI) == 1
    assert working_days_to_close(sh(2026, 6, 1, 10), None, CALENDAR, SHANGHAI) is None
