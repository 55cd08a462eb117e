"""The merchant is told about a complaint in a sentence the bot wrote, never the complaint's
own words (issue 17.3); staff read the full text with /case in a private chat."""

from __future__ import annotations

import re

from .conversation import GRID_WORKER, MERCHANT, STAFF, Group

COMPLAINT = (
    "【投诉】湖西路张记饺子馆多收消费者王小明58元，要求退款。王小明家住湖西路18号3幢2单元501室，"
    "电话138/1234/5678，退款打到卡号6222020212345678，微信wxid_wangxm88"
)
PERSONAL = ("王小明", "18号3幢", "501", "1234", "6222020212345678", "wxid_wangxm88", "家住")


async def _opened_and_notified(group: Group) -> list[str]:
    await group.say(STAFF, "/bind @张记饺子馆老板 张记饺子馆", mentions=(MERCHANT,))
    await group.bot_replies()
    await group.say(GRID_WORKER, COMPLAINT)
    return await group.bot_replies()


async def test_the_merchant_notice_is_a_summary_without_the_complaint_text(group: Group) -> None:
    replies = await _opened_and_notified(group)

    notice = next(text for text in replies if "贵店" in text)
    assert "CY-" in notice and "58元" in notice and "退款" in notice
    assert re.search(r"请于\d+月\d+日前", notice)
    for detail in PERSONAL:
        assert detail not in notice, (detail, notice)
    assert "多收消费者" not in notice  # not a quote of the complaint, even masked
    for text in replies:
        for detail in PERSONAL:
            assert detail not in text, (detail, text)


async def test_group_case_shows_the_summary_and_staff_get_the_full_text_privately(
    group: Group,
) -> None:
    replies = await _opened_and_notified(group)
    number = re.search(r"CY-\d{6}-\d{4}", "\n".join(replies)).group(0)  # type: ignore[union-attr]

    await group.say(STAFF, f"/case {number}")
    (in_group,) = await group.bot_replies()
    assert "情况：消费者反映" in in_group
    for detail in PERSONAL:
        assert detail not in in_group

    private = Group(group.bot, group.http, room_id=f"dm:{STAFF.id}")
    await private.say(STAFF, f"/case {number}")
    (in_private,) = await private.bot_replies()
    assert "13812345678" in in_private.replace("/", "")
    assert "王小明" in in_private and "501室" in in_private

    merchant_private = Group(group.bot, group.http, room_id=f"dm:{MERCHANT.id}")
    await merchant_private.say(MERCHANT, f"/case {number}")
    (for_merchant,) = await merchant_private.bot_replies()
    for detail in PERSONAL:
        assert detail not in for_merchant
