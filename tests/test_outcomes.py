"""What the merchant offered and the reporter said is recorded as it was meant (issue 19.5)."""

from __future__ import annotations

from decimal import Decimal

from .conversation import GRID_WORKER, MERCHANT, STAFF, Group
from .test_mediation_conversations import COMPLAINT, bind_merchant, events_of, the_case


async def opened(group: Group) -> None:
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)  # 58元, 退款
    await group.bot_replies()


async def test_money_and_an_apology_in_one_longer_answer(group: Group) -> None:
    await opened(group)
    await group.say(MERCHANT, "同意退还58元，是收银员看错了价格，给消费者道歉")
    (asked,) = await group.bot_replies()
    assert "58元" in asked and "道歉" in asked
    await group.say(GRID_WORKER, "确认")
    (resolved,) = await group.bot_replies()
    assert "挽回经济损失58元" in resolved
    case = await the_case(group.bot)
    assert case.money_returned == Decimal("58") and "道歉" in (case.offer_remedy or "")


async def test_a_refund_without_an_amount_is_the_amount_claimed_and_says_so(group: Group) -> None:
    await opened(group)
    await group.say(MERCHANT, "同意退款")
    (asked,) = await group.bot_replies()
    assert "58元（即消费者诉求的金额）" in asked
    await group.say(GRID_WORKER, "确认")
    await group.bot_replies()
    assert (await the_case(group.bot)).money_returned == Decimal("58")


async def test_a_voucher_is_a_non_cash_remedy_not_money_returned(group: Group) -> None:
    await opened(group)
    await group.say(MERCHANT, "送一张50元代金券")
    (asked,) = await group.bot_replies()
    assert "代金券" in asked and "非现金" in asked
    await group.say(GRID_WORKER, "确认")
    (resolved,) = await group.bot_replies()
    assert "挽回经济损失" not in resolved and "代金券" in resolved
    case = await the_case(group.bot)
    assert case.status == "resolved" and not case.money_returned
    assert "代金券" in (case.offer_remedy or "")


async def test_free_goods_are_a_non_cash_remedy(group: Group) -> None:
    await opened(group)
    await group.say(MERCHANT, "再送一份饺子")
    (asked,) = await group.bot_replies()
    assert "赠送" in asked and "非现金" in asked
    case = await the_case(group.bot)
    assert case.status == "merchant_replied" and case.offer_amount is None


async def test_resending_without_a_refund_is_a_counter_offer(group: Group) -> None:
    await opened(group)
    await group.say(MERCHANT, "可以补送，但不退款")
    (asked,) = await group.bot_replies()
    assert "请投诉人回复「确认」" in asked and "不同意" not in asked
    case = await the_case(group.bot)
    assert case.status == "merchant_replied" and case.offer_remedy != "不同意"


async def test_a_first_answer_without_an_offer_stops_the_first_answer_clock(group: Group) -> None:
    await opened(group)
    await group.say(MERCHANT, "我们已经联系消费者了，明天处理")
    (noted,) = await group.bot_replies()
    assert "商家已回应" in noted
    case = await the_case(group.bot)
    assert case.status == "mediating" and case.merchant_replied_at is not None
    assert "merchant_acknowledged" in await events_of(group.bot, case.id)
    await group.say(STAFF, "/case CY-202606-0001")
    (timeline,) = await group.bot_replies()
    assert "商家回应" in timeline


async def test_ok_from_the_reporter_after_an_offer_is_asked_about(group: Group) -> None:
    await opened(group)
    await group.say(MERCHANT, "同意退还58元")
    await group.bot_replies()
    await group.say(GRID_WORKER, "好的")
    (asked,) = await group.bot_replies()
    assert "请回复「确认」接受，或「不接受」" in asked
    assert (await the_case(group.bot)).status == "merchant_replied"


async def test_very_bad_is_a_rating_of_one(group: Group) -> None:
    await opened(group)
    await group.say(MERCHANT, "同意退还58元")
    await group.say(GRID_WORKER, "确认")
    await group.bot_replies()
    await group.say(GRID_WORKER, "很差")
    (thanks,) = await group.bot_replies()
    assert "1 分" in thanks
    assert (await the_case(group.bot)).rating == 1
