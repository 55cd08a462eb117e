"""Reading merchant and reporter answers typed in the group, as people actually write them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediation.replies import (
    ReplyIntent,
    ReplyReading,
    read_merchant_reply,
    read_rating,
    read_reporter_reply,
)

Intent = ReplyIntent
DEMAND = Decimal("58")


# --- merchant -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("同意退还58元", ReplyReading(Intent.AGREE, Decimal("58"), "退款")),
        ("同意退还五十八元", ReplyReading(Intent.AGREE, Decimal("58"), "退款")),
        ("同意换货", ReplyReading(Intent.AGREE, remedy="换货")),
        ("可以维修", ReplyReading(Intent.AGREE, remedy="维修")),
        ("好的，马上退款", ReplyReading(Intent.AGREE, remedy="退款")),
        ("不好意思，马上给您退款", ReplyReading(Intent.AGREE, remedy="退款")),
        ("同意全额退款", ReplyReading(Intent.AGREE, Decimal("58"), "退款")),
        ("已经退了58元", ReplyReading(Intent.AGREE, Decimal("58"), "退款")),
        ("同意", ReplyReading(Intent.AGREE)),
        ("同意退货退款，并赔礼道歉", ReplyReading(Intent.AGREE, remedy="退货、退款、道歉")),
    ],
)
def test_merchant_agreement(text: str, expected: ReplyReading) -> None:
    assert read_merchant_reply(text, DEMAND) == expected


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("只能退30元", Decimal("30")),
        ("最多退一半", Decimal("29")),
        ("可以退30，不能全退", Decimal("30")),
        ("顶多退三十块", Decimal("30")),
        ("不同意全额退款，可以退30元", Decimal("30")),
        ("不能退58元，只能退40元", Decimal("40")),
        ("同意退还40元", Decimal("40")),  # agreement below the demand
        ("订单58元，只能退20元", Decimal("20")),
    ],
)
def test_merchant_counter_offer_with_amount(text: str, amount: Decimal) -> None:
    reading = read_merchant_reply(text, DEMAND)
    assert reading.intent == Intent.COUNTER_OFFER
    assert reading.amount == amount


def test_half_without_a_known_demand_is_a_counter_offer_without_amount() -> None:
    assert read_merchant_reply("最多退一半") == ReplyReading(Intent.COUNTER_OFFER, remedy="退款")


def test_other_remedy_instead_of_the_demand_is_a_counter_offer() -> None:
    reading = read_merchant_reply("不同意退款，可以换货", DEMAND)
    assert reading == ReplyReading(Intent.COUNTER_OFFER, remedy="换货")


def test_agreement_at_or_above_the_demand_stays_agreement() -> None:
    assert read_merchant_reply("同意退还60元", DEMAND).intent == Intent.AGREE
    assert read_merchant_reply("同意退还30元").intent == Intent.AGREE  # no demand known


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("不同意，理由是已经过了七天", "已经过了七天"),
        ("不同意，因为商品已经使用", "商品已经使用"),
        ("不退，商品已经拆封使用了", "商品已经拆封使用了"),
        ("拒绝退款", None),
        ("不同意", None),
        ("可以理解，但是不能退", None),
    ],
)
def test_merchant_refusal_and_its_reason(text: str, reason: str | None) -> None:
    assert read_merchant_reply(text, DEMAND) == ReplyReading(Intent.REFUSE, reason=reason)


def test_a_number_of_days_in_the_reason_is_not_an_amount() -> None:
    reading = read_merchant_reply("不同意，已经过了7天", DEMAND)
    assert reading == ReplyReading(Intent.REFUSE, reason="已经过了7天")


@pytest.mark.parametrize(
    "text",
    ["好的", "收到", "我们再商量一下", "请问要退多少？", "稍等，我问问老板", "", "   ", "👍"],
)
def test_merchant_acknowledgement_or_chatter_agrees_to_nothing(text: str) -> None:
    assert read_merchant_reply(text, DEMAND).intent == Intent.UNKNOWN


def test_case_number_and_mention_are_not_read_as_amounts() -> None:
    reading = read_merchant_reply("@张记饺子馆 CY-202606-0007 同意退款", DEMAND)
    assert reading == ReplyReading(Intent.AGREE, remedy="退款")


def test_full_width_digits_are_understood() -> None:
    assert read_merchant_reply("只能退３０元", DEMAND).amount == Decimal("30")


def test_unusable_demand_is_ignored() -> None:
    reading = read_merchant_reply("同意退还40元", Decimal("NaN"))
    assert reading == ReplyReading(Intent.AGREE, Decimal("40"), "退款")


# --- reporter -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["确认", "消费者同意", "可以，接受", "同意", "没问题", "退款已收到", "已到账，谢谢"]
)
def test_reporter_confirmation(text: str) -> None:
    assert read_reporter_reply(text).intent == Intent.CONFIRM


@pytest.mark.parametrize("text", ["不接受", "不同意", "确认不接受", "不行，太少了"])
def test_reporter_rejection_negation_wins(text: str) -> None:
    assert read_reporter_reply(text).intent == Intent.REJECT


def test_reporter_rejection_carries_the_new_demand() -> None:
    reading = read_reporter_reply("消费者不满意，要求全额退款")
    assert reading.intent == Intent.REJECT
    assert reading.reason == "要求全额退款"
    assert reading.remedy == "退款"
    assert reading.rating == 2


@pytest.mark.parametrize("text", ["撤回投诉", "不投诉了", "我们已经和解了，撤销投诉", "私下解决了"])
def test_reporter_withdrawal(text: str) -> None:
    assert read_reporter_reply(text).intent == Intent.WITHDRAW


def test_refusing_to_withdraw_is_not_a_withdrawal() -> None:
    assert read_reporter_reply("不撤回").intent != Intent.WITHDRAW


@pytest.mark.parametrize(("text", "rating"), [("5", 5), ("4分", 4), ("五星", 5), ("⭐⭐⭐", 3)])
def test_reporter_bare_score_is_a_rating(text: str, rating: int) -> None:
    assert read_reporter_reply(text) == ReplyReading(Intent.RATING, rating=rating)


def test_satisfaction_words_confirm_and_carry_a_rating() -> None:
    assert read_reporter_reply("非常满意") == ReplyReading(Intent.CONFIRM, rating=5)
    assert read_reporter_reply("满意") == ReplyReading(Intent.CONFIRM, rating=4)
    assert read_reporter_reply("不是很满意").intent == Intent.REJECT


@pytest.mark.parametrize(
    "text", ["好的", "收到", "谢谢", "什么时候退？", "6", "", "还没收到钱", "退款未到账"]
)
def test_reporter_chatter_is_unknown(text: str) -> None:
    assert read_reporter_reply(text).intent == Intent.UNKNOWN


# --- rating -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("5", 5),
        ("5分", 5),
        ("１", 1),
        ("打5分", 5),
        ("五星", 5),
        ("三颗星", 3),
        ("给五星好评", 5),
        ("⭐⭐⭐⭐", 4),
        ("⭐️⭐️⭐️⭐️⭐️", 5),
        ("★★", 2),
        ("非常满意", 5),
        ("十分满意", 5),
        ("满意", 4),
        ("一般", 3),
        ("不满意", 2),
        ("不太满意", 2),
        ("不是很满意", 2),
        ("非常不满意", 1),
        ("很不满意", 1),
        ("5分，处理很及时", 5),
    ],
)
def test_rating_forms(text: str, rating: int) -> None:
    assert read_rating(text) == rating


@pytest.mark.parametrize(
    "text", ["0", "6", "6分", "10分", "4.5分", "⭐⭐⭐⭐⭐⭐", "好的", "", "过了5分钟"]
)
def test_out_of_range_or_no_rating_is_none(text: str) -> None:
    assert read_rating(text) is None


# --- robustness ---------------------------------------------------------------------------

_CHATTY = st.text(
    alphabet=st.sampled_from(
        list("0123456789.%％¥元块退赔换修同意不可以能只最多一二三四五六七八九十百千万点半")
        + list("满意分星⭐★，。？！ @CY-理由是因为确认撤回投诉")
        + ["\u2005", "\ufe0f"]
    ),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(st.text(max_size=60), _CHATTY), demand=st.none() | st.decimals())
def test_readers_never_raise(text: str, demand: Decimal | None) -> None:
    merchant = read_merchant_reply(text, demand)
    reporter = read_reporter_reply(text)
    rating = read_rating(text)
    assert merchant.intent in ReplyIntent and reporter.intent in ReplyIntent
    assert rating is None or 1 <= rating <= 5
    assert merchant.amount is None or merchant.amount > 0


def test_non_text_input_is_unknown() -> None:
    assert read_merchant_reply(None).intent == Intent.UNKNOWN  # type: ignore[arg-type]
    assert read_reporter_reply(123).intent == Intent.UNKNOWN  # type: ignore[arg-type]
    assert read_rating(None) is None  # type: ignore[arg-type]
