"""Nothing leaks: a full month in the group, then every bot message, public page and JSON
is searched for phone and ID-card numbers with a pattern of this test's own."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from mediation.clock import ManualClock

from .conversation import GRID_WORKER, MERCHANT, STAFF, Group

SHANGHAI = ZoneInfo("Asia/Shanghai")
DIGITS_APART = r"[\s\-\u00a0\u200b]*"
MOBILE = re.compile(r"(?<!\d)1[3-9]\d(?:" + DIGITS_APART + r"\d){8}(?!\d)")
LANDLINE = re.compile(r"(?<!\d)0\d{2,3}" + DIGITS_APART + r"\d{7,8}(?!\d)")
ID_CARD = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")

MESSAGES = [
    "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话138 1234 5678",
    "【投诉】张记饺子馆卖的饺子变质，消费者王女士身份证110101199003074512，要求赔偿200元，"
    "联系电话0571-88886666",
    "【投诉】湖西路好又多超市卖过期牛奶，要求退货，消费者电话 139-8765-4321",
]


def leaks(text: str) -> list[str]:
    return MOBILE.findall(text) + LANDLINE.findall(text) + ID_CARD.findall(text)


async def test_no_personal_number_in_any_group_message_page_or_public_json(
    group: Group, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 6, 10, 10, 0, tzinfo=SHANGHAI))
    await group.say(STAFF, "/bind @张记饺子馆老板 张记饺子馆", mentions=(MERCHANT,))
    for text in MESSAGES:
        await group.say(GRID_WORKER, text)
    await group.say(MERCHANT, "CY-202606-0001 同意退还58元，请消费者打13900001111联系我")
    await group.say(GRID_WORKER, "CY-202606-0001 确认")
    await group.say(GRID_WORKER, "5分")
    for command in ("/case CY-202606-0002", "/cases", "/stats 本月", "/outbox", "/help"):
        await group.say(STAFF, command)
    await group.say(GRID_WORKER, "/case CY-202606-0003")

    clock.set(datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI))  # deadlines pass
    await group.bot.sweep_deadlines()
    clock.set(datetime(2026, 7, 1, 9, 30, tzinfo=SHANGHAI))  # the June summary
    await group.bot.post_monthly_summaries()
    await group.bot.settle()

    bot_messages = [
        str(m["text"])
        for m in await group.transcript()
        if m["sender_id"] == group.bot.settings.bot_id
    ]
    pages = {
        path: (await http.get(path)).text
        for path in ("/board", "/board/2026-06", "/api/public/stats?month=2026-06")
    }

    assert len(bot_messages) >= 15
    assert any("月" in m and "统计" in m for m in bot_messages)
    for text in bot_messages:
        assert leaks(text) == [], text
    for path, body in pages.items():
        assert leaks(body) == [], path
        assert "王女士" not in body
