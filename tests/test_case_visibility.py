"""A case is shown in its own group; /bind names the merchant exactly and the member by name
(issue 17.10 and 17.14)."""

from __future__ import annotations

import httpx

from bot.app import BotApp

from .conversation import GRID_WORKER, MERCHANT, STAFF, Group, Person
from .test_mediation_conversations import COMPLAINT, bind_merchant, the_case

DUCK_OWNER = Person("wxid_duck0001", "烤鸭店老板")


async def test_a_merchant_sees_no_case_of_another_group(
    bot: BotApp, http: httpx.AsyncClient, group: Group
) -> None:
    other = Group(bot, http, room_id="room-donghu")
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)  # CY-202606-0001 in 湖西
    await other.say(MERCHANT, "大家好")
    await other.say(GRID_WORKER, COMPLAINT.replace("58元", "12元"))  # 0002 in 东湖
    await group.bot_replies()
    await other.bot_replies()

    await other.say(MERCHANT, "/case CY-202606-0001")
    (refused,) = await other.bot_replies()
    assert "CY-202606-0001" in refused and "调解" not in refused and "58元" not in refused
    await other.say(MERCHANT, "/cases")
    (listed,) = await other.bot_replies()
    assert "CY-202606-0002" in listed and "CY-202606-0001" not in listed
    await other.say(STAFF, "/case CY-202606-0001")
    (staff_in_group,) = await other.bot_replies()
    assert "私信" in staff_in_group and "58元" not in staff_in_group

    private = Group(bot, http, room_id=f"dm:{STAFF.id}")
    await private.say(STAFF, "/case CY-202606-0001")
    (staff_in_private,) = await private.bot_replies()
    assert "58元" in staff_in_private


async def test_bind_matches_the_merchant_name_exactly(group: Group) -> None:
    await group.say(GRID_WORKER, "【投诉】湖西路张记饺子馆多收消费者58元，要求退款")
    await group.say(GRID_WORKER, "【投诉】张记烤鸭店的烤鸭不新鲜，多收30元，要求退款")
    await group.bot_replies()

    await group.say(STAFF, "/bind @烤鸭店老板 张记", mentions=(DUCK_OWNER,))
    (bound,) = await group.bot_replies()
    assert "「张记」" in bound
    for number in ("CY-202606-0001", "CY-202606-0002"):
        assert (await the_case(group.bot, number)).status == "pending"

    await group.say(STAFF, "/bind @烤鸭店老板 张记烤鸭店", mentions=(DUCK_OWNER,))
    replies = await group.bot_replies()
    assert (await the_case(group.bot, "CY-202606-0002")).status == "mediating"
    assert (await the_case(group.bot, "CY-202606-0001")).status == "pending"
    assert not any("张记饺子馆" in reply for reply in replies)


async def test_the_bind_confirmation_names_the_member_not_the_contact_id(group: Group) -> None:
    await group.say(STAFF, "/bind @烤鸭店老板 张记烤鸭店", mentions=(DUCK_OWNER,))
    (bound,) = await group.bot_replies()
    assert "烤鸭店老板" in bound and "wxid_" not in bound
