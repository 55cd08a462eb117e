"""Spike alerts (投诉预警): a burst of complaints against one merchant, or a category whose
weekly count doubles, alerts staff at once, privately (or in the staff room), once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.app import BotApp
from bot.settings import Settings
from mediation.clock import ManualClock
from storage.models import OutboxMessage

from .conversation import Group, Person

CONSUMERS = [Person(f"consumer-{n}", f"居民{n}") for n in range(6)]
BURST = [
    "【投诉】张记饺子馆多收了58元，要求退款，电话13812345678",
    "【投诉】在张记饺子馆吃出头发，要求退款30元，电话13912345678",
    "【投诉】张记饺子馆充值卡不让用，要求退款200元，电话13712345678",
    "【投诉】张记饺子馆菜品变质，要求赔偿100元，电话13612345678",
]
GYM_COMPLAINTS = [
    "【投诉】阳光健身房突然关门，年卡2000元没用完，要求退款2000元，电话13812345601",
    "【投诉】我在力美健身买了私教课30节，教练离职后课上不了，要求退课时费3000元，电话13812345602",
    "【投诉】动感健身会所办卡时承诺有游泳池，实际没有，属于虚假宣传，要求退款1500元，电话13812345603",
    "【投诉】星光健身中心跑步机坏了一个月没人修，要求延长会员期，电话13812345604",
    "【投诉】悦动健身房续费后被强制升级套餐多扣了800元，要求退还800元，电话13812345605",
]


async def alerts(bot: BotApp, room_prefix: str = "dm:") -> list[tuple[str, str]]:
    async with bot.sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.room_id, OutboxMessage.text)
            .where(OutboxMessage.room_id.like(f"{room_prefix}%"))
            .where(OutboxMessage.text.contains("投诉预警"))
            .order_by(OutboxMessage.id)
        )
        return [(room, text) for room, text in rows.all()]


async def test_three_complaints_against_one_merchant_in_a_day_alert_staff_once(
    bot: BotApp, group: Group, clock: ManualClock
) -> None:
    for consumer, text in zip(CONSUMERS[:2], BURST[:2], strict=True):
        await group.say(consumer, text)
        clock.advance(timedelta(hours=2))
    assert await alerts(bot) == []

    await group.say(CONSUMERS[2], BURST[2])
    ((room, text),) = await alerts(bot)
    assert room == "dm:staff-wang"  # the admin (and the office's staff)
    assert "张记饺子馆" in text and "3 件" in text
    assert all(f"CY-202606-000{n}" in text for n in (1, 2, 3))
    assert "13812345678" not in text

    clock.advance(timedelta(hours=2))
    await group.say(CONSUMERS[3], BURST[3])  # the same burst: told once
    assert len(await alerts(bot)) == 1


async def test_a_category_whose_week_doubles_with_five_complaints_alerts_staff(
    bot: BotApp, group: Group, clock: ManualClock
) -> None:
    for consumer, text in zip(CONSUMERS[:5], GYM_COMPLAINTS, strict=True):
        await group.say(consumer, text)
        clock.advance(timedelta(hours=5))
    ((_, text),) = await alerts(bot)
    assert "文化娱乐体育" in text and "近7天 5 件" in text


@pytest.fixture
async def staff_room_bot(settings: Settings, clock: ManualClock) -> AsyncIterator[BotApp]:
    # TIAOJIE_STAFF_ROOM may not be a setting yet: the bot reads it with getattr
    object.__setattr__(settings, "staff_room", "room-staff")
    app = BotApp(settings, clock=clock)
    web = app.web_app()
    async with web.router.lifespan_context(web):
        app.web = web  # type: ignore[attr-defined]
        yield app


async def test_with_a_staff_room_the_alert_goes_there(
    staff_room_bot: BotApp, clock: ManualClock, tmp_path: Path
) -> None:
    transport = httpx.ASGITransport(app=staff_room_bot.web)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://tiaojie.test") as http:
        group = Group(staff_room_bot, http, "room-huxi")
        for consumer, text in zip(CONSUMERS[:3], BURST[:3], strict=True):
            await group.say(consumer, text)
    assert await alerts(staff_room_bot) == []
    ((room, _),) = await alerts(staff_room_bot, "room-staff")
    assert room == "room-staff"
