"""A case never strands for want of a merchant: bound after acceptance, or in another group
(issue 19.1 and 19.2)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import delete

from bot.app import BotApp
from mediation.clock import ManualClock
from storage.models import RoomMember

from .conversation import GRID_WORKER, MERCHANT, STAFF, Group
from .test_mediation_conversations import COMPLAINT, events_of, the_case


async def test_accept_before_bind_notifies_the_merchant_once_bound(group: Group) -> None:
    await group.say(GRID_WORKER, COMPLAINT)
    await group.say(STAFF, "/accept CY-202606-0001")
    await group.bot_replies()
    assert (await the_case(group.bot)).status == "mediating"

    await group.say(STAFF, "/bind @张记饺子馆老板 张记饺子馆", mentions=(MERCHANT,))
    _bound, notice = await group.bot_replies()
    assert "CY-202606-0001" in notice and "请于" in notice
    assert (await group.transcript())[-1]["mention_ids"] == [MERCHANT.id]

    await group.say(MERCHANT, "同意退25元")
    (asked,) = await group.bot_replies()
    assert "25元" in asked
    await group.say(GRID_WORKER, "不接受，要求全额退款")
    (rejected,) = await group.bot_replies()
    assert "CY-202606-0001" in rejected
    case = await the_case(group.bot)
    assert case.status == "mediating" and case.merchant_id is not None
    assert await events_of(group.bot, case.id) == [
        "opened",
        "accepted",
        "notified",
        "merchant_replied",
        "rejected_by_reporter",
    ]


async def test_a_merchant_in_another_group_is_told_there_and_the_complainant_here(
    bot: BotApp, http: httpx.AsyncClient, group: Group
) -> None:
    other = Group(bot, http, room_id="room-donghu")
    await other.say(STAFF, "/bind @张记饺子馆老板 张记饺子馆", mentions=(MERCHANT,))
    await other.bot_replies()

    await group.say(GRID_WORKER, COMPLAINT)
    here = await group.bot_replies()
    there = await other.bot_replies()
    assert any("已在被投诉商家所在的群里通知商家" in r for r in here)
    (notice,) = there
    assert "CY-202606-0001" in notice and "请于" in notice
    assert (await other.transcript())[-1]["mention_ids"] == [MERCHANT.id]

    await other.say(MERCHANT, "同意退还58元")
    (forwarded,) = await other.bot_replies()
    assert "已转告" in forwarded
    (asked,) = await group.bot_replies()
    assert "同意退款58元" in asked
    assert (await group.transcript())[-1]["mention_ids"] == [GRID_WORKER.id]

    await group.say(GRID_WORKER, "确认")
    (resolved,) = await group.bot_replies()
    assert "调解成功" in resolved


async def test_staff_are_told_when_the_merchant_is_in_no_known_group(
    bot: BotApp, group: Group
) -> None:
    await group.say(STAFF, "/bind @张记饺子馆老板 张记饺子馆", mentions=(MERCHANT,))
    await group.bot_replies()
    async with bot.sessions.begin() as session:  # as if the merchant had left every group
        await session.execute(delete(RoomMember).where(RoomMember.member_id == MERCHANT.id))
    await group.say(GRID_WORKER, COMPLAINT)
    replies = await group.bot_replies()
    assert any("通知可能送不到" in r for r in replies), replies
    assert (await group.transcript())[-1]["mention_ids"] == [STAFF.id]


async def test_the_merchant_is_reminded_where_it_is(
    bot: BotApp, http: httpx.AsyncClient, group: Group, clock: ManualClock
) -> None:
    other = Group(bot, http, room_id="room-donghu")
    await other.say(STAFF, "/bind @张记饺子馆老板 张记饺子馆", mentions=(MERCHANT,))
    await group.say(GRID_WORKER, COMPLAINT)  # Mon 06-01: first answer due Tue 06-02
    await group.bot_replies()
    await other.bot_replies()

    clock.set(datetime(2026, 6, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    await bot.sweep_deadlines()
    await bot.settle()
    (reminder,) = await other.bot_replies()
    assert "CY-202606-0001" in reminder
    assert (await other.transcript())[-1]["mention_ids"] == [MERCHANT.id]
    assert not any("CY-202606-0001" in r for r in await group.bot_replies())
