"""Personal data retention: erased when due or on request, statistics kept."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from bot.app import BotApp
from mediation.clock import ManualClock
from storage.models import Case, CaseEvent, InboxMessage

from .conversation import GRID_WORKER, STAFF, Group

COMPLAINT = (
    "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，身份证110101199003074512，电话13812345678"
)


async def raw_numbers_left(bot: BotApp) -> list[str]:
    async with bot.sessions() as session:
        case = await session.scalar(select(Case))
        inbox_texts = list(await session.scalars(select(InboxMessage.text)))
    assert case is not None
    found = [case.raw_text, *case.contacts, *inbox_texts]
    return [text for text in found if "13812345678" in text or "110101199003074512" in text]


async def test_contacts_are_erased_when_the_retention_period_has_passed(
    group: Group, bot: BotApp, clock: ManualClock
) -> None:
    await group.say(GRID_WORKER, COMPLAINT)
    await group.say(STAFF, "/close CY-202606-0001 成功 58")
    assert await raw_numbers_left(bot)

    clock.advance(timedelta(days=364))
    await bot.sweep_deadlines()
    assert await raw_numbers_left(bot)  # not yet due

    clock.advance(timedelta(days=2))
    await bot.sweep_deadlines()
    await bot.sweep_deadlines()

    assert await raw_numbers_left(bot) == []
    async with bot.sessions() as session:
        case = await session.scalar(select(Case))
        kinds = list(await session.scalars(select(CaseEvent.kind)))
    assert case is not None
    assert case.amount == 58 and case.money_returned == 58 and case.status == "resolved"
    assert kinds.count("personal_data_erased") == 1


async def test_erase_command_erases_one_case_on_a_consumers_request(
    group: Group, bot: BotApp
) -> None:
    await group.say(GRID_WORKER, COMPLAINT)
    env = {**os.environ, "TIAOJIE_DATA_DIR": str(bot.settings.data_dir)}

    def erase(number: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "erase", number],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

    done = await asyncio.to_thread(erase, "CY-202606-0001")
    again = await asyncio.to_thread(erase, "CY-202606-0001")
    missing = await asyncio.to_thread(erase, "CY-202606-0099")

    assert done.returncode == 0 and "已删除" in done.stdout
    assert again.returncode == 0 and "此前已删除" in again.stdout
    assert missing.returncode == 1 and "没有找到" in missing.stderr
    database = sqlite3.connect(bot.settings.data_dir / "tiaojie.sqlite3")
    try:
        raw = database.execute("SELECT raw_text, contacts FROM cases").fetchone()
    finally:
        database.close()
    assert "13812345678" not in raw[0] and raw[1] == "[]"
