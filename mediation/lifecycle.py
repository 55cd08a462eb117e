"""The case state machine: who may move a case, from which state, to which state.

A mediation in the group is a conversation among four parties (staff, the reporter, the
merchant and the bot itself), and a wrong word from any of them must not move a case it does
not apply to: a merchant answering a closed case, a reporter confirming before the merchant has
answered. Every move is therefore checked against one table here, and a move the table does not
allow comes back as `IllegalTransition` with a sentence the bot can post in the group.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from mediation import templates
from mediation.cases import CLOSED_STATUSES, OPEN_STATUSES, Actor, CaseStatus


class CaseAction(StrEnum):
    ACCEPT = "accept"  # 受理
    MERCHANT_REPLY = "merchant_reply"  # 商家答复 (also a revised answer)
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
    CaseAction.CONFIRM: _rule(
        {Actor.REPORTER, Actor.STAFF}, {CaseStatus.MERCHANT_REPLIED}, CaseStatus.RESOLVED
    ),
    CaseAction.REJECT: _rule({Actor.REPORTER}, {CaseStatus.MERCHANT_REPLIED}, CaseStatus.MEDIATING),
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
    CaseAction.RATE: _rule({Actor.REPORTER}, {CaseStatus.RESOLVED}),
    CaseAction.MERGE: _rule({Actor.STAFF}, OPEN_STATUSES, CaseStatus.MERGED),
}

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


def allowed_actions(status: CaseStatus, actor: Actor) -> frozenset[CaseAction]:
    """Everything `actor` may do to a case in `status` (for help texts and buttons)."""
    return frozenset(
        action for action, rule in RULES.items() if actor in rule.actors and status in rule.sources
    )


# 不予受理: grounds on which a complaint is not accepted (市场监督管理投诉举报处理办法).
REFUSAL_GROUNDS: tuple[str, ...] = (
    "超过三年：投诉人知道或应当知道权益受到侵害之日起已超过三年",
    "不属于消费者权益争议：并非为生活消费需要购买商品或接受服务，或不能证明与被投诉人存在消费争议",
    "不属于市场监管部门职责，或本机关没有处理权限",
    "已由法院、仲裁机构、其他行政机关、消费者协会或其他调解组织受理或处理",
    "重复投诉：同一消费争议已在本机关受理或处理",
    "无明确被投诉人",
    "投诉材料不全（投诉人、被投诉人、事实或诉求），经告知仍未补正",
    "法律、法规、规章规定不予受理的其他情形",
)

_GROUND_KEYWORDS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("三年", "3年", "超过时效", "超时效", "时效"), 0),
    (("非生活消费", "不是生活消费", "不属于消费", "非消费", "消费者权益争议", "经营性"), 1),
    (("职责", "权限", "管辖", "不归"), 2),
    (("诉讼", "起诉", "法院", "仲裁", "其他机关", "其他部门", "消协", "消费者协会", "已处理"), 3),
    (("重复",), 4),
    (("被投诉人", "无明确", "找不到商家", "商家不明"), 5),
    (("材料", "信息不全", "未补正", "不完整", "缺少"), 6),
)


def match_refusal_ground(text: str) -> str | None:
    """The refusal ground a staff member's short reason refers to, e.g. 「超过三年」."""
    if not text:
        return None
    for ground in REFUSAL_GROUNDS:
        if text.strip() == ground or ground.startswith(text.strip() + "："):
            return ground
    for keywords, index in _GROUND_KEYWORDS:
        if any(word in text for word in keywords):
            return REFUSAL_GROUNDS[index]
    return None


# Money comes back through a successful mediation, or a settlement after which the reporter
# withdraws (和解后撤回); a failed or refused case returns nothing.
_MONEY_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.WITHDRAWN})


@dataclass(frozen=True)
class Outcome:
    """How a case ended and what the consumer got back (挽回经济损失, in yuan)."""

    status: CaseStatus
    money_returned: Decimal = Decimal("0")
    remedy: str | None = None  # 退款 / 换货 / 维修 …
    reason: str | None = None  # refusal ground, failure or withdrawal reason

    def __post_init__(self) -> None:
        if self.status not in CLOSED_STATUSES:
            raise ValueError(f"an outcome needs a closed status, got {self.status}")
        if not self.money_returned.is_finite() or self.money_returned < 0:
            raise ValueError(f"money returned must be a non-negative amount: {self.money_returned}")
        if self.money_returned and self.status not in _MONEY_STATUSES:
            raise ValueError(f"a {self.status} case returns no money to the consumer")
        object.__setattr__(self, "money_returned", self.money_returned.quantize(Decimal("0.01")))

    @property
    def label(self) -> str:
        return self.status.label

    @classmethod
    def for_action(
        cls,
        action: CaseAction,
        money_returned: Decimal | None = None,
        remedy: str | None = None,
        reason: str | None = None,
    ) -> Outcome:
        """The outcome a closing action records; ValueError for an action that does not close."""
        target = RULES[action].target
        if target is None or target not in CLOSED_STATUSES:
            raise ValueError(f"{action} does not close a case")
        return cls(target, money_returned or Decimal("0"), remedy, reason)
