"""A relayed complaint keeps the consumer apart from the grid worker who posted it
(issue 19.6)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
from openpyxl import load_workbook
from sqlalchemy import select

from bot.app import BotApp
from mediation.clock import ManualClock
from storage.models import CaseEvent

from .conversation import GRID_WORKER, MERCHANT, STAFF, Group
from .test_mediation_conversations import bind_merchant, the_case

RELAYED = "居民王阿姨反映，湖西路张记饺子馆多收她58元，要求退款"
FORM = "【投诉】\n投诉人：刘建国\n被投诉方：张记饺子馆\n事由：吃饭多收了58元\n诉求：退款"


async def test_the_consumer_is_recorded_apart_from_the_relayer(group: Group) -> None:
    await bind_merchant(group)
    await group.say(GRID_WORKER, RELAYED)
    opened, _notice = await group.bot_replies()
    assert "消费者：王**（转述投诉）" in opened and "王阿姨" not in opened
    case = await the_case(group.bot)
    assert case.relayed and case.consumer_name == "王阿姨"
    assert case.reporter_id == GRID_WORKER.id

    await group.say(MERCHANT, "同意退还58元")
    (asked,) = await group.bot_replies()
    assert "请向消费者确认后回复" in asked
    await group.say(GRID_WORKER, "确认")
    (resolved,) = await group.bot_replies()
    assert "请向消费者确认后回复" in resolved
    await group.say(GRID_WORKER, "5分")
    await group.bot_replies()
    async with group.bot.sessions() as session:
        rated = await session.scalar(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "rated")
        )
    assert rated is not None and rated.data.get("relayed") is True


async def test_a_form_names_the_consumer_and_the_export_shows_them(
    bot: BotApp, group: Group, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    await group.say(GRID_WORKER, FORM)
    (opened, *_rest) = await group.bot_replies()
    assert "刘**" in opened and "刘建国" not in opened
    case = await the_case(bot)
    assert case.relayed and case.consumer_name == "刘建国"

    await group.say(STAFF, "/export 本月")
    await group.bot_replies()
    exports = await asyncio.to_thread(lambda: sorted(Path(bot.settings.data_dir).rglob("*.xlsx")))
    assert exports, "no export written"
    sheet = load_workbook(exports[-1]).active
    header = [cell.value for cell in sheet[1]]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    column = header.index("投诉人")
    assert [r[column] for r in rows if r[0] == "CY-202606-0001"] == ["刘建国"]


async def test_staff_closing_as_success_asks_for_the_rating(
    group: Group, clock: ManualClock
) -> None:
    await bind_merchant(group)
    await group.say(GRID_WORKER, RELAYED)
    await group.bot_replies()
    await group.say(STAFF, "/close CY-202606-0001 成功 58")
    (closed,) = await group.bot_replies()
    assert "请向消费者确认后回复" in closed and "1～5" in closed
    clock.advance(timedelta(minutes=5))
    await group.say(GRID_WORKER, "4分")
    (thanks,) = await group.bot_replies()
    assert "4 分" in thanks
    assert (await the_case(group.bot)).rating == 4
