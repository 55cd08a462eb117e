"""The no-loss message path: inbox first, one case per complaint, outbox with retry."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.app import BotApp
from storage.models import Case, InboxMessage, OutboxMessage

from .conversation import GRID_WORKER, Group

COMPLAINT = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678"


async def count(bot: BotApp, model: type) -> int:
    async with bot.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_complaint_opens_one_case_and_one_reply_with_masked_phone(group: Group) -> None:
    await group.say(GRID_WORKER, COMPLAINT)

    replies = await group.bot_replies()
    assert len(replies) == 1
    assert re.search(r"CY-202606-0001", replies[0])
    assert "138****5678" in replies[0]
    assert "13812345678" not in replies[0]
    assert await count(group.bot, Case) == 1


async def test_redelivered_message_id_is_handled_once(group: Group) -> None:
    await group.say(GRID_WORKER, COMPLAINT, message_id="wx-1")
    await group.say(GRID_WORKER, COMPLAINT, message_id="wx-1")

    assert len(await group.bot_replies()) == 1
    assert await count(group.bot, Case) == 1
    assert await count(group.bot, InboxMessage) == 1
    assert len(await group.transcript()) == 2  # the complaint once, the reply once


async def test_chatter_opens_no_case_and_gets_no_reply(group: Group) -> None:
    for text in ("收到", "好的", "👍", "[图片]"):
        await group.say(GRID_WORKER, text)

    assert await group.bot_replies() == []
    assert await count(group.bot, Case) == 0


async def test_reply_refused_once_is_delivered_on_retry(group: Group, clock) -> None:
    from datetime import timedelta

    assert group.bot.sandbox is not None
    group.bot.sandbox.faults.refuse_next = 1
    await group.say(GRID_WORKER, COMPLAINT)
    assert await group.bot_replies() == []

    clock.advance(timedelta(minutes=1))
    await group.bot.sender.deliver_due()

    replies = await group.bot_replies()
    assert len(replies) == 1 and "CY-202606-0001" in replies[0]
    async with group.bot.sessions() as session:
        row = await session.scalar(select(OutboxMessage))
        assert row is not None and row.state == "sent" and row.attempts == 2


async def test_healthz_reports_ready(http) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json()["ok"] is True
