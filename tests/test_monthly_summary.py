"""The monthly public summary: the month just ended, once per group, text and chart.

June 2026 is seeded as in `report_seed`; the summary falls due at 09:00 on 1 July, Shanghai
time. "Once" is checked the ways it can break: the job called twice, two calls at the same
moment, a second process on the same database, and a restart after the bot was down.
"""

from __future__ import annotations

import asyncio
import warnings
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import BotApp
from bot.settings import Settings
from handlers.monthly_summary import post_monthly_summaries
from mediation.clock import ManualClock
from storage.models import MonthlySummary, OutboxMessage, Room

from .conversation import Group
from .report_seed import RAW_PHONE, ROOM_DONGHU, ROOM_HUXI, seed_month, sh

JUNE_SUMMARY = (
    "【2026年6月消费投诉情况公示】\n"
    "2026年6月共收到消费投诉 7 件（环比 +133.3%，同比 +600.0%），受理 5 件，办结 5 件，"
    "其中调解成功 3 件，调解成功率 75.0%，为消费者挽回经济损失 188元。\n"
    "投诉较多的类别：餐饮住宿 3件、美容美发洗浴 2件、未分类 1件、食品 1件。\n"
    "投诉性质：价格 2件、质量 2件、合同 1件、售后服务 1件、未分类 1件。\n"
    "超期案件 2 件；平均办结用时 4.6 个工作日；消费者满意度 4.5 分。\n"
    "典型案例（调解成功）：CY-202605-0002、CY-202606-0001、CY-202606-0002。\n"
    "感谢各位网格员和经营者的支持，请诚信经营、共护放心消费环境。\n\n"
    "【热点问题】\n"
    "上升较快的类别：餐饮住宿 3件（前三个月月均0.7件，+350%）。\n"
    "本月各类投诉的高频词：餐饮住宿：收钱；美容美发洗浴：收钱"
)
MERCHANT_LINE = "被投诉较多的商家：张记饺子馆 3件、李氏美发 2件、好又多超市 1件。"
CHART_URL = "/sandbox/media/summary-2026-06.png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def june(bot: BotApp, clock: ManualClock) -> BotApp:
    await seed_month(bot.sessions)
    async with bot.sessions.begin() as session:
        session.add(Room(id="dm:staff-wang", name="", first_seen_at=sh(2026, 5, 1)))
        session.add(Room(id="room-new", name="", first_seen_at=sh(2026, 7, 1, 0, 30)))
    clock.set(sh(2026, 7, 1, 9))
    return bot


async def bot_messages(bot: BotApp, http: httpx.AsyncClient, room_id: str) -> list[dict]:
    await bot.settle()
    transcript = await Group(bot, http, room_id).transcript()
    return [m for m in transcript if m["sender_id"] == bot.settings.bot_id]


async def summaries_recorded(bot: BotApp) -> list[tuple[str, str]]:
    async with bot.sessions() as session:
        rows = await session.execute(
            select(MonthlySummary.room_id, MonthlySummary.month).order_by(MonthlySummary.room_id)
        )
        return [(room, month) for room, month in rows.all()]


async def summaries_queued(bot: BotApp) -> int:
    async with bot.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like("summary:%"))
        )
    return int(count or 0)


async def test_each_group_gets_the_june_summary_with_its_chart(
    june: BotApp, http: httpx.AsyncClient
) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")
        assert await june.post_monthly_summaries() == 2

    for room_id in (ROOM_HUXI, ROOM_DONGHU):
        (message,) = await bot_messages(june, http, room_id)
        assert message["text"] == JUNE_SUMMARY
        assert message["image_url"] == CHART_URL
    chart = await http.get(CHART_URL)
    assert chart.status_code == 200 and chart.content.startswith(PNG_SIGNATURE)
    assert await summaries_recorded(june) == [(ROOM_DONGHU, "2026-06"), (ROOM_HUXI, "2026-06")]


async def test_private_chats_and_groups_joined_after_june_get_no_june_summary(
    june: BotApp, http: httpx.AsyncClient
) -> None:
    await june.post_monthly_summaries()
    assert await bot_messages(june, http, "dm:staff-wang") == []
    assert await bot_messages(june, http, "room-new") == []


async def test_the_public_summary_carries_no_personal_data(june: BotApp) -> None:
    await june.post_monthly_summaries()
    async with june.sessions() as session:
        texts = list(
            await session.scalars(
                select(OutboxMessage.text).where(OutboxMessage.dedupe_key.like("summary:%"))
            )
        )
    for text in texts:
        assert RAW_PHONE not in text and "138****" not in text and "陈女士" not in text
        assert "张记饺子馆" not in text  # merchant names are off by default


async def test_merchant_names_appear_when_the_setting_is_on(june: BotApp) -> None:
    config = replace(june.handler_config, summary_show_merchants=True)
    posted = await post_monthly_summaries(
        june.sessions,
        now=june.clock.now(),
        config=config,
        calendar=june.shared.calendar,
        charts_dir=june.settings.data_dir / "media",
    )
    assert posted == 2
    async with june.sessions() as session:
        text = await session.scalar(
            select(OutboxMessage.text).where(OutboxMessage.room_id == ROOM_HUXI)
        )
    assert text is not None and MERCHANT_LINE in text


async def test_a_double_trigger_posts_nothing_more(june: BotApp, http: httpx.AsyncClient) -> None:
    assert await june.post_monthly_summaries() == 2
    assert await june.post_monthly_summaries() == 0
    assert await asyncio.gather(june.post_monthly_summaries(), june.post_monthly_summaries()) == [
        0,
        0,
    ]
    assert len(await bot_messages(june, http, ROOM_HUXI)) == 1
    assert await summaries_queued(june) == 2


async def test_two_triggers_at_the_same_moment_post_once(
    june: BotApp, http: httpx.AsyncClient
) -> None:
    results = await asyncio.gather(june.post_monthly_summaries(), june.post_monthly_summaries())
    assert sum(results) == 2
    assert len(await bot_messages(june, http, ROOM_HUXI)) == 1
    assert len(await bot_messages(june, http, ROOM_DONGHU)) == 1


async def test_two_processes_on_the_same_database_post_once_between_them(
    june: BotApp, settings: Settings, http: httpx.AsyncClient
) -> None:
    other = BotApp(settings, clock=ManualClock(sh(2026, 7, 1, 9)))  # its own engine and pool
    try:
        mine, theirs = await asyncio.gather(
            june.post_monthly_summaries(), other.post_monthly_summaries()
        )
        assert mine + theirs == 2
        assert await other.post_monthly_summaries() == 0
    finally:
        await other.stop()
    assert len(await bot_messages(june, http, ROOM_HUXI)) == 1
    assert await summaries_queued(june) == 2


async def test_nothing_is_posted_before_nine_on_the_first(june: BotApp, clock: ManualClock) -> None:
    clock.set(sh(2026, 7, 1, 8, 59))
    assert await june.post_monthly_summaries() == 0
    assert await summaries_recorded(june) == []


async def test_a_bot_that_was_down_at_nine_posts_on_start_up_once(
    june: BotApp, settings: Settings, http: httpx.AsyncClient
) -> None:
    restarted = BotApp(settings, clock=ManualClock(sh(2026, 7, 3, 15)))
    await restarted.start()  # the start-up catch-up posts June
    try:
        await restarted.settle()
    finally:
        await restarted.stop()
    assert await summaries_recorded(june) == [(ROOM_DONGHU, "2026-06"), (ROOM_HUXI, "2026-06")]

    again = BotApp(settings, clock=ManualClock(sh(2026, 7, 3, 16)))
    await again.start()  # a restart later the same day posts nothing
    try:
        assert await again.post_monthly_summaries() == 0
    finally:
        await again.stop()
    (message,) = await bot_messages(june, http, ROOM_HUXI)
    assert message["text"] == JUNE_SUMMARY
    assert await summaries_queued(june) == 2


async def test_the_chart_file_lives_in_the_media_folder(june: BotApp) -> None:
    await june.post_monthly_summaries()
    chart = june.settings.data_dir / "media" / "summary-2026-06.png"
    assert (await asyncio.to_thread(chart.read_bytes)).startswith(PNG_SIGNATURE)
