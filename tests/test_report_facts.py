"""Calendar facts kept on a case stand for the per-case computation they replace.

`was_overdue(as_of)` needs each case's deadlines; the report compares `overdue_at` instead.
These tests check, without a database, that the comparison gives the same answer at every
instant, for timelines around the 2026 holidays, and that the totals the database adds up
give the same report as the cases themselves.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from mediation.cases import CaseStatus
from mediation.deadlines import DeadlinePolicy
from mediation.reports import (
    CalendarFactsCalculator,
    CaseFacts,
    Month,
    MonthlyTotals,
    build_monthly_report,
    report_from_totals,
    was_overdue,
    working_days_to_close,
)
from mediation.workdays import WorkingCalendar

from .report_seed import SHANGHAI, sh

CALENDAR = WorkingCalendar()
POLICY = DeadlinePolicy()


def random_timeline(rng: random.Random) -> tuple[datetime, datetime | None, datetime | None]:
    """Received some time in 2026; maybe accepted, maybe closed, in that order."""
    received = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(525_600))
    accepted = received + timedelta(hours=rng.uniform(0, 300)) if rng.random() < 0.8 else None
    closed = None
    if rng.random() < 0.7:
        closed = (accepted or received) + timedelta(hours=rng.uniform(0, 900))
    return received, accepted, closed


def test_overdue_at_is_the_instant_was_overdue_turns_true_for_any_timeline() -> None:
    rng = random.Random(7)
    calculator = CalendarFactsCalculator(CALENDAR, POLICY, SHANGHAI)
    for _ in range(300):
        received, accepted, closed = random_timeline(rng)
        facts = calculator.facts(received, accepted, closed)
        instants = [received + timedelta(hours=rng.uniform(-24, 1_500)) for _ in range(12)]
        if facts.overdue_at is not None:  # both sides of the instant itself
            instants += [facts.overdue_at, facts.overdue_at - timedelta(microseconds=1)]
        for as_of in instants:
            judged = was_overdue(
                received_at=received,
                accepted_at=accepted,
                closed_at=closed,
                as_of=as_of,
                calendar=CALENDAR,
                policy=POLICY,
                tz=SHANGHAI,
            )
            assert judged == (facts.overdue_at is not None and facts.overdue_at <= as_of), (
                received,
                accepted,
                closed,
                as_of,
            )
        assert facts.working_days_to_close == working_days_to_close(
            received, closed, CALENDAR, SHANGHAI
        )


def test_case_accepted_late_is_overdue_from_the_end_of_its_seventh_working_day() -> None:
    # received Mon 06-01; 7 working days end on Wed 06-10; accepted Fri 06-12
    facts = CalendarFactsCalculator(CALENDAR, POLICY, SHANGHAI).facts(
        sh(2026, 6, 1, 10), sh(2026, 6, 12, 10), None
    )
    assert facts.overdue_at == sh(2026, 6, 11, 0)
    assert facts.working_days_to_close is None


def test_case_settled_in_time_across_national_day_is_never_overdue() -> None:
    # accepted Wed 09-30, closed Fri 10-09: 10-01..10-07 are holidays; settlement due 10-20
    facts = CalendarFactsCalculator(CALENDAR, POLICY, SHANGHAI).facts(
        sh(2026, 9, 30, 10), sh(2026, 9, 30, 10, 5), sh(2026, 10, 9, 16)
    )
    assert facts.overdue_at is None
    assert facts.working_days_to_close == 2  # Thu 10-08 and Fri 10-09


def test_totals_give_the_report_the_cases_give() -> None:
    june = Month(2026, 6)
    cases = [
        ("CY-202606-0001", "食品", "质量", "张记饺子馆", "湖西社区", Decimal("58.00"), 5, 2),
        ("CY-202606-0002", None, "价格", "张记饺子馆", "湖西社区", Decimal("100.50"), None, 6),
        ("CY-202606-0003", "", "质量", "李氏美发", " ", Decimal("0.00"), 4, 1),
        ("CY-202606-0004", "食品", None, " ", None, None, None, 3),
    ]
    facts = [
        CaseFacts(
            number=number,
            received_at=sh(2026, 6, 3, 10),
            accepted_at=sh(2026, 6, 3, 11),
            closed_at=sh(2026, 6, 20, 10),
            status=CaseStatus.RESOLVED,
            category=category,
            category_group=None,
            problem=problem,
            merchant_name=merchant,
            merchant_id=None,
            grid=grid,
            money_returned=money,
            rating=rating,
            overdue=days > 5,
            working_days_to_close=days,
        )
        for number, category, problem, merchant, grid, money, rating, days in cases
    ]
    expected = build_monthly_report(june, facts, [], [], tz=SHANGHAI)

    def counted(values: list[str | None]) -> dict[str | None, int]:
        counts: dict[str | None, int] = {}
        for value in values:
            counts[value] = counts.get(value, 0) + 1
        return counts

    totals = MonthlyTotals(
        received=4,
        accepted=4,
        closed=4,
        resolved=4,
        failed=0,
        money_returned=Decimal("158.50"),
        overdue=1,
        working_days_total=12,
        working_days_cases=4,
        rating_total=9,
        rated=2,
        by_category=counted([c[1] for c in cases]),
        by_problem=counted([c[2] for c in cases]),
        by_merchant=counted([c[3] for c in cases]),
        by_grid=counted([c[4] for c in cases]),
        previous_received=0,
        last_year_received=0,
        typical_candidates=[(c[0], c[5]) for c in cases],
    )
    assert report_from_totals(june, totals) == expected
