"""What an action does to a case (`mediation.actions.change_case`): pure values in, the new
state and the events to record out."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from mediation.actions import CaseState, change_case
from mediation.cases import Actor, CaseStatus, EventKind
from mediation.lifecycle import CaseAction, IllegalTransition

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
T1 = datetime(2026, 6, 3, 2, 0, tzinfo=UTC)
ANSWERED = CaseState(
    CaseStatus.MERCHANT_REPLIED,
    accepted_at=T0,
    merchant_replied_at=T0,
    offer_amount=Decimal("58"),
    offer_remedy="退款",
)


def test_accepting_starts_the_clock_and_records_who_moved_it() -> None:
    change = change_case(CaseState(CaseStatus.PENDING), CaseAction.ACCEPT, Actor.STAFF, now=T1)
    assert change.after == CaseState(CaseStatus.MEDIATING, accepted_at=T1)
    assert change.timeline_moved
    (event,) = change.events
    assert (event.kind, event.actor, event.data) == (
        EventKind.ACCEPTED,
        Actor.STAFF,
        {"from": "pending", "to": "mediating"},
    )


def test_confirming_a_refund_returns_the_offer_and_asks_for_a_rating() -> None:
    change = change_case(ANSWERED, CaseAction.CONFIRM, Actor.REPORTER, now=T1)
    after = change.after
    assert (after.status, after.closed_at, after.outcome) == (CaseStatus.RESOLVED, T1, "resolved")
    assert (after.money_returned, after.rating_requested_at) == (Decimal("58"), T1)
    assert [e.kind for e in change.events] == [EventKind.CONFIRMED, EventKind.RATING_REQUESTED]
    assert change.events[1].actor is Actor.SYSTEM


def test_confirming_a_repair_returns_no_money() -> None:
    repair = CaseState(CaseStatus.MERCHANT_REPLIED, accepted_at=T0, offer_remedy="维修")
    change = change_case(repair, CaseAction.CONFIRM, Actor.REPORTER, now=T1)
    assert change.after.money_returned is None


@pytest.mark.parametrize(
    ("named", "returned"), [(None, Decimal("58")), (Decimal("30"), Decimal("30"))]
)
def test_staff_closing_as_resolved_record_the_amount_named_else_the_offer(
    named: Decimal | None, returned: Decimal
) -> None:
    change = change_case(
        ANSWERED, CaseAction.CLOSE_RESOLVED, Actor.STAFF, now=T1, money_returned=named
    )
    assert (change.after.status, change.after.money_returned) == (CaseStatus.RESOLVED, returned)
    assert change.events[0].kind is EventKind.CLOSED


def test_reopening_forgets_how_the_case_ended() -> None:
    failed = CaseState(
        CaseStatus.FAILED, accepted_at=T0, closed_at=T0, outcome="failed", rating_requested_at=T0
    )
    change = change_case(failed, CaseAction.REOPEN, Actor.STAFF, now=T1)
    assert change.after == CaseState(CaseStatus.MEDIATING, accepted_at=T0)
    assert change.timeline_moved


def test_a_merchant_answer_keeps_the_first_answer_time_and_takes_the_new_offer() -> None:
    change = change_case(
        CaseState(CaseStatus.MEDIATING, accepted_at=T0, merchant_replied_at=T0),
        CaseAction.MERCHANT_REPLY,
        Actor.MERCHANT,
        now=T1,
        offer=(Decimal("20"), "退款"),
    )
    after = change.after
    assert (after.merchant_replied_at, after.offer_amount, after.offer_remedy) == (
        T0,
        Decimal("20"),
        "退款",
    )
    assert not change.timeline_moved


def test_rating_changes_nothing_but_the_rating() -> None:
    resolved = CaseState(CaseStatus.RESOLVED, accepted_at=T0, closed_at=T1, outcome="resolved")
    change = change_case(resolved, CaseAction.RATE, Actor.REPORTER, now=T1, rating=5)
    assert change.after == CaseState(
        CaseStatus.RESOLVED, accepted_at=T0, closed_at=T1, outcome="resolved", rating=5
    )


def test_a_move_the_rules_forbid_changes_nothing() -> None:
    with pytest.raises(IllegalTransition):
        change_case(ANSWERED, CaseAction.ACCEPT, Actor.STAFF, now=T1)
    with pytest.raises(IllegalTransition):
        change_case(ANSWERED, CaseAction.CLOSE_FAILED, Actor.MERCHANT, now=T1)
