"""Commands in the group: permissions, usage lines for bad arguments, the calendar."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from mediation.clock import ManualClock

from .conversation import CONSUMER, GRID_WORKER, MERCHANT, STAFF, Group

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/close", "用法：/close"),
        ("/close CY-202606-0001", "用法：/close"),
        ("/close CY-202606-0001 成功 五十块", "用法：/close"),
        ("/case", "用法：/case"),
        ("/case 12345", "用法：/case"),
        ("/case CY-209901-0001", "没有找到案件 CY-209901-0001"),
        ("/refuse CY-202606-0001", "用法：/refuse"),
        ("/calendar 2027-13-01 上班", "用法：/calendar"),
        ("/calendar 2027-02-06 随便", "用法：/calendar"),
        ("/bind 张记饺子馆", "用法：/bind"),
        ("/frobnicate", "未识别的指令 /frobnicate"),
        ("/", "未识别的指令"),
    ],
)
async def test_malformed_staff_commands_get_a_short_explanation(
    group: Group, text: str, expected: str
) -> None:
    await group.say(STAFF, text)
    (reply,) = await group.bot_replies()
    assert expected in reply
    assert len(reply) < 200


@pytest.mark.parametrize("who", [GRID_WORKER, MERCHANT, CONSUMER])
@pytest.mark.parametrize(
    "text",
    [
        "/bind @x 张记饺子馆",
        "/accept CY-202606-0001",
        "/refuse CY-202606-0001 超过三年",
        "/close CY-202606-0001 成功",
        "/reopen CY-202606-0001",
        "/assign CY-202606-0001 @x",
        "/role @x 工作人员",
        "/calendar 2027-02-06 上班",
    ],
)
async def test_staff_commands_are_refused_politely_to_others(group: Group, who, text: str) -> None:
    await group.say(who, text, mentions=(STAFF,))
    (reply,) = await group.bot_replies()
    assert "没有使用" in reply and "权限" in reply


async def test_help_lists_only_what_the_asker_may_use(group: Group) -> None:
    await group.say(GRID_WORKER, "/help")
    (for_grid_worker,) = await group.bot_replies()
    await group.say(STAFF, "/帮助")
    (for_staff,) = await group.bot_replies()

    assert "/case" in for_grid_worker and "/close" not in for_grid_worker
    assert "/close" in for_staff and "/bind" in for_staff


async def test_merchant_cannot_see_another_merchants_case(group: Group) -> None:
    await group.say(STAFF, "/bind @张记饺子馆老板 张记饺子馆", mentions=(MERCHANT,))
    await group.say(GRID_WORKER, "【投诉】湖西路李记面馆多收消费者20元，要求退款，电话13812345678")
    await group.bot_replies()

    await group.say(MERCHANT, "/case CY-202606-0001")
    (reply,) = await group.bot_replies()
    assert "无权" in reply and "13812345678" not in reply


async def test_staff_enter_a_make_up_working_day_and_deadlines_use_it(group: Group) -> None:
    saturday = date(2027, 2, 6)
    assert not group.bot.shared.calendar.is_working_day(saturday)

    await group.say(STAFF, "/calendar 2027-02-06 上班 春节调休")
    (reply,) = await group.bot_replies()
    assert "2027-02-06" in reply and "工作日" in reply
    assert group.bot.shared.calendar.is_working_day(saturday)

    await group.say(STAFF, "/日历 2027")
    (listing,) = await group.bot_replies()
    assert "2027-02-06 上班 春节调休" in listing


async def test_december_warning_about_unknown_make_up_days_is_posted_once(
    group: Group, clock: ManualClock
) -> None:
    await group.say(GRID_WORKER, "收到")  # the bot now knows the room
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI))

    await group.bot.sweep_deadlines()
    await group.bot.sweep_deadlines()
    await group.bot.settle()

    (warning,) = await group.bot_replies()
    assert "2027" in warning and "调休" in warning
