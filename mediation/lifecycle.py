"""The case state machine: who may move a case, from which state, to which state.

A mediation in the group is a conversation among four parties (staff, the reporter, the
merchant and the bot itself), and a wrong word from any of them must not move a case it does
not apply to: a merchant answering a closed case, a reporter confirming before the merchant has
answered. Every move is therefore checked against one table here, and a move the table does not
allow comes back as `IllegalTransition` with a sentence the bot can post in the group.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mediation import templates
from mediation.cases import CLOSED_STATUSES, OPEN_STATUSES, Actor, CaseStatus


class CaseAction(StrEnum):
    ACCEPT = "accept"  # 受理
    MERCHANT_REPLY = "merchant_reply"  # 商家答复 (also a revised answer)
    ACKNOWLEDGE = "acknowledge"  # 商家回应: answers without an offer yet (「已联系消费者」)
    CONFIRM = "confirm"  # the reporter accepts the merchant's answer
    REJECT = "reject"  # the reporter does not accept it; mediation goes on
    WITHDRAW = "withdraw"  # 撤回
    REFUSE = "refuse"  # 不予受理
    CLOSE_RESOLVED = "close_resolved"  # staff close as 调解成功
    CLOSE_FAILED = "close_failed"  # staff close as 调解失败
    TERMINATE = "terminate"  # 终止调解 when the legal period runs out
    REOPEN = "reopen"
    RATE = "rate"  # satisfaction 1–5 after success
    MERGE = "merge"  # staff merge a duplicate into another case (it leaves every count)

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS: dict[CaseAction, str] = {
    CaseAction.ACCEPT: "受理案件",
    CaseAction.MERCHANT_REPLY: "答复",
    CaseAction.ACKNOWLEDGE: "回应",
    CaseAction.CONFIRM: "确认调解结果",
    CaseAction.REJECT: "拒绝商家方案",
    CaseAction.WITHDRAW: "撤回投诉",
    CaseAction.REFUSE: "决定不予受理",
    CaseAction.CLOSE_RESOLVED: "以调解成功结案",
    CaseAction.CLOSE_FAILED: "以调解失败结案",
    CaseAction.TERMINATE: "终止调解",
    CaseAction.REOPEN: "重新开启案件",
    CaseAction.RATE: "评价",
    CaseAction.MERGE: "合并案件",
}

ACTOR_LABELS: dict[Actor, str] = {
    Actor.STAFF: "工作人员",
    Actor.REPORTER: "投诉人",
    Actor.MERCHANT: "被投诉商家",
    Actor.MEMBER: "群成员",
    Actor.SYSTEM: "系统",
}


@dataclass(frozen=True)
class _Rule:
    actors: frozenset[Actor]
    sources: frozenset[CaseStatus]
    target: CaseStatus | None  # None: the status does not change


def _rule(
    actors: set[Actor],
    sources: frozenset[CaseStatus] | set[CaseStatus],
    target: CaseStatus | None = None,
) -> _Rule:
    return _Rule(frozenset(actors), frozenset(sources), target)


_ACTIVE = frozenset({CaseStatus.MEDIATING, CaseStatus.MERCHANT_REPLIED})

RULES: dict[CaseAction, _Rule] = {
    CaseAction.ACCEPT: _rule(
        {Actor.STAFF, Actor.SYSTEM}, {CaseStatus.PENDING}, CaseStatus.MEDIATING
    ),
    CaseAction.MERCHANT_REPLY: _rule({Actor.MERCHANT}, _ACTIVE, CaseStatus.MERCHANT_REPLIED),
    CaseAction.ACKNOWLEDGE: _rule({Actor.MERCHANT}, _ACTIVE),
    CaseAction.CONFIRM: _rule(
        {Actor.REPORTER, Actor.STAFF}, {CaseStatus.MERCHANT_REPLIED}, CaseStatus.RESOLVED
    ),
    CaseAction.REJECT: _rule(
        {Actor.REPORTER, Actor.STAFF}, {CaseStatus.MERCHANT_REPLIED}, CaseStatus.MEDIATING
    ),
    CaseAction.WITHDRAW: _rule({Actor.REPORTER, Actor.STAFF}, OPEN_STATUSES, CaseStatus.WITHDRAWN),
    CaseAction.REFUSE: _rule(
        {Actor.STAFF}, {CaseStatus.PENDING, CaseStatus.MEDIATING}, CaseStatus.REFUSED
    ),
    CaseAction.CLOSE_RESOLVED: _rule({Actor.STAFF}, OPEN_STATUSES, CaseStatus.RESOLVED),
    CaseAction.CLOSE_FAILED: _rule({Actor.STAFF}, OPEN_STATUSES, CaseStatus.FAILED),
    CaseAction.TERMINATE: _rule({Actor.SYSTEM}, _ACTIVE, CaseStatus.FAILED),
    CaseAction.REOPEN: _rule(
        {Actor.STAFF},
        {CaseStatus.FAILED, CaseStatus.WITHDRAWN, CaseStatus.REFUSED},
        CaseStatus.MEDIATING,
    ),
    CaseAction.RATE: _rule({Actor.REPORTER, Actor.STAFF}, {CaseStatus.RESOLVED}),
    CaseAction.MERGE: _rule({Actor.STAFF}, OPEN_STATUSES, CaseStatus.MERGED),
}

def actor_for(*, is_reporter: bool, is_staff: bool, is_case_merchant: bool) -> Actor:
    """Who a group member is to a case: its reporter first (staff who reported a case rate
    it as its reporter), then staff, then its merchant; anyone else is a plain member."""
    if is_reporter:
        return Actor.REPORTER
    if is_staff:
        return Actor.STAFF
    if is_case_merchant:
        return Actor.MERCHANT
    return Actor.MEMBER


def permitted(action: CaseAction, actor: Actor) -> bool:
    """Whether `actor` may do `action` at all (in some status)."""
    return actor in RULES[action].actors


_ACTOR_ORDER = (Actor.STAFF, Actor.REPORTER, Actor.MERCHANT, Actor.SYSTEM)


class IllegalTransition(Exception):
    """A move the rules do not allow; `message` is the sentence to post in the group."""

    def __init__(
        self,
        message: str,
        *,
        status: CaseStatus,
        action: CaseAction,
        actor: Actor,
        wrong_actor: bool,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.action = action
        self.actor = actor
        self.wrong_actor = wrong_actor  # True: nobody in this role may do it at all


def transition(
    status: CaseStatus,
    action: CaseAction,
    actor: Actor,
    *,
    case_number: str | None = None,
) -> CaseStatus:
    """The status after `actor` does `action` on a case in `status`, or IllegalTransition.

    The actor is checked first (who may do it at all), then the state (whether it can be done
    now). `case_number`, when given, is named in the message.
    """
    rule = RULES[action]
    if actor not in rule.actors:
        allowed = tuple(
            ACTOR_LABELS[who] for who in _ACTOR_ORDER if who in rule.actors and who != Actor.SYSTEM
        )
        raise IllegalTransition(
            templates.action_not_permitted(action.label, allowed),
            status=status,
            action=action,
            actor=actor,
            wrong_actor=True,
        )
    if status not in rule.sources:
        raise IllegalTransition(
            _wrong_state_message(status, action, case_number),
            status=status,
            action=action,
            actor=actor,
            wrong_actor=False,
        )
    return rule.target or status


def _wrong_state_message(status: CaseStatus, action: CaseAction, number: str | None) -> str:
    if action == CaseAction.RATE:
        return templates.rating_only_after_success(status.label, number)
    if action == CaseAction.REOPEN and status in OPEN_STATUSES:
        return templates.case_still_open(status.label, number)
    if status in CLOSED_STATUSES:
        return templates.case_already_closed(action.label, status.label, number)
    if action == CaseAction.ACCEPT:
        return templates.case_already_accepted(status.label, number)
    if status == CaseStatus.PENDING:
        return templates.case_not_yet_accepted(action.label, number)
    if action in (CaseAction.CONFIRM, CaseAction.REJECT) and status == CaseStatus.MEDIATING:
        return templates.merchant_has_not_replied(action.label, number)
    return templates.action_not_in_state(action.label, status.label, number)
