"""What an action does to a case: the new state and the events to record, as pure values.

`mediation.lifecycle` says who may move a case from which status; this module says what the
move changes besides the status (when it was accepted, answered or closed, how it ended,
what came back to the consumer, whether a rating is asked for) and which events the audit
trail gets. The service layer (`handlers.case_actions`) only loads the case, calls
`change_case`, writes the result and its events in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from .cases import Actor, CaseStatus, EventKind
from .lifecycle import CaseAction, transition

# the offers a confirmation turns into money returned (None: an amount without a remedy)
MONEY_REMEDIES = frozenset({None, "退款", "赔偿", "退货"})
REFUSED_REMEDY = "不同意"  # the merchant refused: nothing the reporter can confirm


def is_money_remedy(remedy: str | None) -> bool:
    """Whether an offer's amount is money back (退款、道歉 is; a voucher or free goods is
    not 挽回经济损失, nor is a refusal)."""
    if remedy is None:
        return True
    return bool(set(remedy.split("、")) & (MONEY_REMEDIES - {None}))


EVENT_FOR_ACTION: dict[CaseAction, EventKind] = {
    CaseAction.ACCEPT: EventKind.ACCEPTED,
    CaseAction.MERCHANT_REPLY: EventKind.MERCHANT_REPLIED,
    CaseAction.ACKNOWLEDGE: EventKind.MERCHANT_ACKNOWLEDGED,
    CaseAction.CONFIRM: EventKind.CONFIRMED,
    CaseAction.REJECT: EventKind.REJECTED_BY_REPORTER,
    CaseAction.WITHDRAW: EventKind.WITHDRAWN,
    CaseAction.REFUSE: EventKind.REFUSED,
    CaseAction.CLOSE_RESOLVED: EventKind.CLOSED,
    CaseAction.CLOSE_FAILED: EventKind.CLOSED,
    CaseAction.TERMINATE: EventKind.TERMINATED,
    CaseAction.REOPEN: EventKind.REOPENED,
    CaseAction.RATE: EventKind.RATED,
    CaseAction.MERGE: EventKind.MERGED_INTO,
}


@dataclass(frozen=True)
class CaseState:
    """The part of a case that actions change."""

    status: CaseStatus
    accepted_at: datetime | None = None
    merchant_replied_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: str | None = None
    money_returned: Decimal | None = None
    offer_amount: Decimal | None = None
    offer_remedy: str | None = None
    rating: int | None = None
    rating_requested_at: datetime | None = None


@dataclass(frozen=True)
class Event:
    """An entry for the case's audit trail; the first of a change is the acting one's."""

    kind: EventKind
    actor: Actor
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseChange:
    before: CaseState
    after: CaseState
    events: tuple[Event, ...]

    @property
    def timeline_moved(self) -> bool:
        """Accepted or closed moved: the calendar facts must be worked out again."""
        return (self.before.accepted_at, self.before.closed_at) != (
            self.after.accepted_at,
            self.after.closed_at,
        )


def change_case(
    state: CaseState,
    action: CaseAction,
    actor: Actor,
    *,
    now: datetime,
    case_number: str | None = None,
    data: dict[str, Any] | None = None,
    money_returned: Decimal | None = None,
    offer: tuple[Decimal | None, str | None] | None = None,
    rating: int | None = None,
) -> CaseChange:
    """What `actor` doing `action` at `now` makes of the case, or IllegalTransition.

    `money_returned` is what staff closing a case as resolved name (default: the merchant's
    offer); `offer` the (amount, remedy) a merchant's answer proposes; `rating` the
    reporter's 1–5.
    """
    after_status = transition(state.status, action, actor, case_number=case_number)
    after = replace(state, status=after_status)
    if action is CaseAction.ACCEPT:
        after = replace(after, accepted_at=now)
    elif action is CaseAction.MERCHANT_REPLY:
        after = replace(after, merchant_replied_at=state.merchant_replied_at or now)
        if offer is not None:
            after = replace(after, offer_amount=offer[0], offer_remedy=offer[1])
    elif action is CaseAction.ACKNOWLEDGE:  # the first answer, without an offer yet
        after = replace(after, merchant_replied_at=state.merchant_replied_at or now)
    elif action is CaseAction.REOPEN:
        after = replace(after, closed_at=None, outcome=None, rating=None, rating_requested_at=None)
    elif action is CaseAction.CLOSE_RESOLVED:
        offered = state.offer_amount if is_money_remedy(state.offer_remedy) else None
        named = money_returned if money_returned is not None else offered
        after = replace(after, money_returned=named, rating_requested_at=now)
    elif action is CaseAction.CONFIRM:
        confirmed = state.offer_amount if is_money_remedy(state.offer_remedy) else None
        after = replace(after, money_returned=confirmed, rating_requested_at=now)
    elif action is CaseAction.RATE:
        after = replace(after, rating=rating)
    if after_status.is_closed and not state.status.is_closed:
        after = replace(after, closed_at=now, outcome=after_status.value)
    events = [
        Event(
            EVENT_FOR_ACTION[action],
            actor,
            {"from": state.status.value, "to": after_status.value, **(data or {})},
        )
    ]
    if action in (CaseAction.CONFIRM, CaseAction.CLOSE_RESOLVED):
        events.append(Event(EventKind.RATING_REQUESTED, Actor.SYSTEM))
    return CaseChange(state, after, tuple(events))
