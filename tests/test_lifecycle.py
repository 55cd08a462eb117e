"""The case state machine: every legal move, and a clear Chinese answer for every other one."""

from __future__ import annotations

import itertools

import pytest

from mediation.cases import Actor, CaseStatus
from mediation.lifecycle import (
    CaseAction,
    IllegalTransition,
    transition,
)

S = CaseStatus
A = CaseAction
OPEN = (S.PENDING, S.MEDIATING, S.MERCHANT_REPLIED)

LEGAL: dict[tuple[CaseStatus, CaseAction, Actor], CaseStatus] = {
    (S.PENDING, A.ACCEPT, Actor.STAFF): S.MEDIATING,
    (S.PENDING, A.ACCEPT, Actor.SYSTEM): S.MEDIATING,
    (S.MEDIATING, A.MERCHANT_REPLY, Actor.MERCHANT): S.MERCHANT_REPLIED,
    (S.MERCHANT_REPLIED, A.MERCHANT_REPLY, Actor.MERCHANT): S.MERCHANT_REPLIED,
    (S.MEDIATING, A.ACKNOWLEDGE, Actor.MERCHANT): S.MEDIATING,
    (S.MERCHANT_REPLIED, A.ACKNOWLEDGE, Actor.MERCHANT): S.MERCHANT_REPLIED,
    (S.MERCHANT_REPLIED, A.CONFIRM, Actor.REPORTER): S.RESOLVED,
    (S.MERCHANT_REPLIED, A.CONFIRM, Actor.STAFF): S.RESOLVED,
    (S.MERCHANT_REPLIED, A.REJECT, Actor.REPORTER): S.MEDIATING,
    (S.MERCHANT_REPLIED, A.REJECT, Actor.STAFF): S.MEDIATING,
    (S.PENDING, A.REFUSE, Actor.STAFF): S.REFUSED,
    (S.MEDIATING, A.REFUSE, Actor.STAFF): S.REFUSED,
    (S.MEDIATING, A.TERMINATE, Actor.SYSTEM): S.FAILED,
    (S.MERCHANT_REPLIED, A.TERMINATE, Actor.SYSTEM): S.FAILED,
    (S.FAILED, A.REOPEN, Actor.STAFF): S.MEDIATING,
    (S.WITHDRAWN, A.REOPEN, Actor.STAFF): S.MEDIATING,
    (S.REFUSED, A.REOPEN, Actor.STAFF): S.MEDIATING,
    (S.RESOLVED, A.RATE, Actor.REPORTER): S.RESOLVED,
    (S.RESOLVED, A.RATE, Actor.STAFF): S.RESOLVED,
}
for _status in OPEN:
    LEGAL[(_status, A.WITHDRAW, Actor.REPORTER)] = S.WITHDRAWN
    LEGAL[(_status, A.WITHDRAW, Actor.STAFF)] = S.WITHDRAWN
    LEGAL[(_status, A.CLOSE_RESOLVED, Actor.STAFF)] = S.RESOLVED
    LEGAL[(_status, A.CLOSE_FAILED, Actor.STAFF)] = S.FAILED
    LEGAL[(_status, A.MERGE, Actor.STAFF)] = S.MERGED  # a duplicate leaves every count

ALL_MOVES = list(itertools.product(CaseStatus, CaseAction, Actor))
ILLEGAL = [move for move in ALL_MOVES if move not in LEGAL]


@pytest.mark.parametrize(("status", "action", "actor"), list(LEGAL))
def test_legal_move_reaches_its_target(
    status: CaseStatus, action: CaseAction, actor: Actor
) -> None:
    assert transition(status, action, actor) == LEGAL[(status, action, actor)]


def test_every_other_move_is_illegal_with_a_chinese_reason() -> None:
    assert len(ILLEGAL) == len(ALL_MOVES) - len(LEGAL)
    for status, action, actor in ILLEGAL:
        with pytest.raises(IllegalTransition) as raised:
            transition(status, action, actor)
        error = raised.value
        assert error.message and str(error) == error.message
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error.message)
        assert (error.status, error.action, error.actor) == (status, action, actor)


def test_merchant_cannot_answer_a_closed_case() -> None:
    with pytest.raises(IllegalTransition) as raised:
        transition(S.RESOLVED, A.MERCHANT_REPLY, Actor.MERCHANT)
    assert raised.value.message == "案件已结案（调解成功），不能再答复。"
    assert not raised.value.wrong_actor


def test_message_names_the_case_when_the_number_is_given() -> None:
    with pytest.raises(IllegalTransition) as raised:
        transition(S.WITHDRAWN, A.MERCHANT_REPLY, Actor.MERCHANT, case_number="CY-202610-0003")
    assert raised.value.message == "CY-202610-0003 已结案（撤回），不能再答复。"


def test_reporter_cannot_accept_a_case() -> None:
    with pytest.raises(IllegalTransition) as raised:
        transition(S.PENDING, A.ACCEPT, Actor.REPORTER)
    assert raised.value.message == "只有工作人员可以受理案件。"
    assert raised.value.wrong_actor


def test_who_may_withdraw_is_named_in_the_refusal() -> None:
    with pytest.raises(IllegalTransition) as raised:
        transition(S.MEDIATING, A.WITHDRAW, Actor.MERCHANT)
    assert raised.value.message == "只有工作人员或投诉人可以撤回投诉。"


def test_reporter_cannot_confirm_before_the_merchant_answers() -> None:
    with pytest.raises(IllegalTransition) as raised:
        transition(S.MEDIATING, A.CONFIRM, Actor.REPORTER)
    assert "商家尚未答复" in raised.value.message


def test_merchant_cannot_answer_before_acceptance() -> None:
    with pytest.raises(IllegalTransition) as raised:
        transition(S.PENDING, A.MERCHANT_REPLY, Actor.MERCHANT)
    assert raised.value.message == "案件尚未受理，暂不能答复。"


def test_accepting_twice_is_refused() -> None:
    with pytest.raises(IllegalTransition) as raised:
        transition(S.MEDIATING, A.ACCEPT, Actor.STAFF)
    assert "无需重复受理" in raised.value.message


def test_only_a_resolved_case_can_be_rated() -> None:
    with pytest.raises(IllegalTransition) as raised:
        transition(S.FAILED, A.RATE, Actor.REPORTER)
    assert "只有调解成功的案件才能评价" in raised.value.message


def test_an_open_case_is_not_reopened() -> None:
    with pytest.raises(IllegalTransition) as raised:
        transition(S.MERCHANT_REPLIED, A.REOPEN, Actor.STAFF)
    assert "无需重新开启" in raised.value.message


def test_a_resolved_case_is_not_reopened() -> None:
    with pytest.raises(IllegalTransition) as raised:
        transition(S.RESOLVED, A.REOPEN, Actor.STAFF)
    assert "已结案" in raised.value.message


def test_refusal_after_the_merchant_answered_is_not_possible() -> None:
    with pytest.raises(IllegalTransition) as raised:
        transition(S.MERCHANT_REPLIED, A.REFUSE, Actor.STAFF)
    assert raised.value.message == "案件当前为「商家已答复」，不能决定不予受理。"


def test_staff_cannot_terminate_by_hand_only_the_limit_does() -> None:
    with pytest.raises(IllegalTransition) as raised:
        transition(S.MEDIATING, A.TERMINATE, Actor.STAFF)
    assert raised.value.wrong_actor


def test_happy_path_with_a_revised_answer_and_a_rejection() -> None:
    status = S.PENDING
    for action, actor in [
        (A.ACCEPT, Actor.SYSTEM),
        (A.MERCHANT_REPLY, Actor.MERCHANT),
        (A.REJECT, Actor.REPORTER),
        (A.MERCHANT_REPLY, Actor.MERCHANT),
        (A.MERCHANT_REPLY, Actor.MERCHANT),
        (A.CONFIRM, Actor.REPORTER),
        (A.RATE, Actor.REPORTER),
    ]:
        status = transition(status, action, actor)
    assert status == S.RESOLVED
