"""Per-merchant disclosure (公示) is fair to merchants and never shows what it should not."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from mediation.cases import CaseStatus
from mediation.disclosure import (
    DisclosureCase,
    disclose_merchants,
    is_counted,
    merchants_to_review,
    window_start,
)
from mediation.reports import Month

AS_OF = datetime(2026, 6, 30, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def case(
    number: str,
    *,
    merchant_id: int | None = 1,
    name: str | None = "张记饺子馆",
    registered: bool = True,
    committed: bool = False,
    status: CaseStatus = CaseStatus.RESOLVED,
    received: datetime = datetime(2026, 6, 1, 2, 0, tzinfo=UTC),
    closed_after: timedelta | None = timedelta(days=3),
    due_after: timedelta | None = timedelta(days=2),
    answered_after: timedelta | None = timedelta(days=1),
    working_days: int | None = 3,
    voided: bool = False,
) -> DisclosureCase:
    return DisclosureCase(
        number=number,
        merchant_id=merchant_id,
        merchant_name=name,
        registered=registered,
        committed=committed,
        status=status,
        received_at=received,
        closed_at=received + closed_after if closed_after is not None else None,
        first_answer_due=received + due_after if due_after is not None else None,
        first_answered_at=received + answered_after if answered_after is not None else None,
        working_days_to_close=working_days if closed_after is not None else None,
        voided=voided,
    )


def test_a_merchant_with_three_closed_complaints_is_disclosed_with_its_figures() -> None:
    cases = [
        case("CY-1", working_days=2),
        case("CY-2", status=CaseStatus.FAILED, working_days=5, answered_after=timedelta(days=4)),
        case("CY-3", committed=True, working_days=4, received=datetime(2026, 6, 2, tzinfo=UTC)),
    ]
    (merchant,) = disclose_merchants(cases, as_of=AS_OF).merchants
    assert merchant.name == "张记饺子馆"
    assert merchant.complaints == 3
    assert (merchant.resolved, merchant.failed) == (2, 1)
    assert merchant.success_rate == 0.6667
    assert merchant.avg_working_days_to_close == 3.7
    assert (merchant.answered_in_time, merchant.answer_deadlines) == (2, 3)
    assert merchant.answered_in_time_share == 0.6667
    assert merchant.committed  # the latest case tells the current commitment


def test_a_merchant_below_the_threshold_is_never_shown() -> None:
    cases = [case("CY-1"), case("CY-2"), case("CY-3", merchant_id=2, name="阳光家电维修部")]
    disclosure = disclose_merchants(cases, as_of=AS_OF)
    assert disclosure.merchants == ()
    assert disclose_merchants(cases, as_of=AS_OF, min_complaints=2).merchants[0].merchant_id == 1


def test_unregistered_names_are_never_shown() -> None:
    cases = [case(f"CY-{n}", merchant_id=None, registered=False) for n in range(5)]
    cases += [case(f"CY-x{n}", merchant_id=7, registered=False) for n in range(5)]
    assert disclose_merchants(cases, as_of=AS_OF).merchants == ()


def test_voided_cases_never_count() -> None:
    cases = [case("CY-1"), case("CY-2"), case("CY-3", voided=True)]
    assert disclose_merchants(cases, as_of=AS_OF).merchants == ()


def test_an_open_case_counts_only_once_the_first_answer_deadline_has_passed() -> None:
    waiting = case(
        "CY-3",
        status=CaseStatus.MEDIATING,
        received=AS_OF - timedelta(hours=12),
        closed_after=None,
        due_after=timedelta(days=1),
        answered_after=None,
    )
    assert not is_counted(waiting, AS_OF)
    assert disclose_merchants([case("CY-1"), case("CY-2"), waiting], as_of=AS_OF).merchants == ()
    later = AS_OF + timedelta(days=1)
    (merchant,) = disclose_merchants([case("CY-1"), case("CY-2"), waiting], as_of=later).merchants
    assert merchant.complaints == 3
    assert merchant.answered_in_time == 2  # the silent merchant missed the third


def test_a_case_closed_before_any_deadline_counts_but_not_in_the_answer_share() -> None:
    withdrawn = case("CY-3", status=CaseStatus.WITHDRAWN, due_after=None, answered_after=None)
    (merchant,) = disclose_merchants([case("CY-1"), case("CY-2"), withdrawn], as_of=AS_OF).merchants
    assert merchant.complaints == 3
    assert merchant.answer_deadlines == 2
    assert merchant.answered_in_time_share == 1.0


def test_only_complaints_received_in_the_window_count() -> None:
    old = case("CY-0", received=datetime(2025, 6, 29, 15, 0, tzinfo=UTC))  # 2025-06-29 23:00
    recent = [case("CY-1"), case("CY-2")]
    assert disclose_merchants([old, *recent], as_of=AS_OF).merchants == ()
    inside = case("CY-0", received=datetime(2025, 6, 29, 16, 0, tzinfo=UTC))  # 06-30 00:00
    assert disclose_merchants([inside, *recent], as_of=AS_OF).merchants[0].complaints == 3
    assert disclose_merchants([inside, *recent], as_of=AS_OF, months=6).merchants == ()


def test_the_window_starts_on_the_same_local_day_clamped_to_the_month_end() -> None:
    as_of = datetime(2026, 3, 31, 4, 0, tzinfo=UTC)
    assert window_start(as_of, 1) == datetime(2026, 2, 27, 16, 0, tzinfo=UTC)  # 02-28 00:00


def test_disclosed_merchants_come_most_complained_first() -> None:
    cases = [case(f"A-{n}", merchant_id=1, name="甲店") for n in range(3)]
    cases += [case(f"B-{n}", merchant_id=2, name="乙店") for n in range(4)]
    names = [merchant.name for merchant in disclose_merchants(cases, as_of=AS_OF).merchants]
    assert names == ["乙店", "甲店"]


def test_the_programme_list_keeps_committed_merchants_only() -> None:
    cases = [case(f"A-{n}", merchant_id=1, name="甲店", committed=True) for n in range(1)]
    cases += [case(f"B-{n}", merchant_id=2, name="乙店") for n in range(4)]
    disclosure = disclose_merchants(cases, as_of=AS_OF, min_complaints=0, committed_only=True)
    assert [merchant.name for merchant in disclosure.merchants] == ["甲店"]


def test_a_committed_merchant_with_too_many_complaints_in_a_month_is_flagged_for_review() -> None:
    june = Month(2026, 6)
    committed = [case(f"CY-{n}", committed=True) for n in range(4)]
    (flag,) = merchants_to_review(committed, june)
    assert flag.complaints == 4
    assert flag.numbers == ("CY-0", "CY-1", "CY-2", "CY-3")
    assert flag.key == "fangxin-review:1:2026-06"
    assert "张记饺子馆" in flag.text and "不会自动" in flag.text
    assert merchants_to_review(committed[:3], june) == ()
    assert merchants_to_review(committed, june, threshold=4) == ()


def test_review_ignores_uncommitted_voided_and_other_months_complaints() -> None:
    june = Month(2026, 6)
    cases = [case(f"CY-{n}") for n in range(6)]  # not committed
    cases += [case(f"V-{n}", merchant_id=2, committed=True, voided=True) for n in range(6)]
    may = datetime(2026, 5, 31, 15, 0, tzinfo=UTC)  # 05-31 23:00 in Shanghai
    cases += [case(f"M-{n}", merchant_id=3, committed=True, received=may) for n in range(6)]
    assert merchants_to_review(cases, june) == ()
    assert len(merchants_to_review([replace(c, committed=True) for c in cases[:6]], june)) == 1
