"""Several processes, each with its own WeChat account and its own groups, on one PostgreSQL
database: a group's replies are sent by the process whose account is in it, scheduled ones
included, and a merchant registered through one process is known to the others.

Each "process" is a BotApp with its own engine on the same database and its own bot account
(`TIAOJIE_BOT_ID`). Their sandbox gateways write one shared transcript, whose sender id says
which account posted each reply.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import BotApp
from bot.messages import IncomingMessage
from bot.settings import Settings
from mediation.clock import ManualClock
from storage import outbox
from storage.models import Case, Room, SandboxMessage

from .databases import SKIP_REASON, postgres_server_url

pytestmark = pytest.mark.skipif(postgres_server_url() is None, reason=SKIP_REASON)

START = datetime(2026, 6, 2, 2, 0, tzinfo=UTC)  # a Tuesday morning in Shanghai
STAFF = "staff-wang"
COMPLAINT = "【投诉】{merchant}多收消费者58元，要求退款，电话13812345678"


def settings_for(data_dir: Path, database_url: str, account: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        bot_id=account,
        admins=[STAFF],
        gateway="sandbox",
        sweep_minutes=0,
        sender_messages_per_minute=0,
        _env_file=None,
    )


@pytest.fixture
async def huxi_and_donghu(
    tmp_path: Path, postgres_url: str
) -> AsyncIterator[tuple[BotApp, BotApp]]:
    clock = ManualClock(START)
    bots = (
        BotApp(settings_for(tmp_path / "huxi", postgres_url, "wxid-huxi-bot"), clock=clock),
        BotApp(settings_for(tmp_path / "donghu", postgres_url, "wxid-donghu-bot"), clock=clock),
    )
    for bot in bots:
        await bot.start()
        await bot.sender.stop()  # deliveries are run by hand, one process at a time
    try:
        yield bots
    finally:
        for bot in bots:
            await bot.stop()


def message(number: int, room: str, text: str, sender: str = "grid-li") -> IncomingMessage:
    return IncomingMessage(
        message_id=f"acct-{number}",
        room_id=room,
        sender_id=sender,
        sender_name="网格员小李" if sender == "grid-li" else "监管所王科长",
        text=text,
        sent_at=START,
    )


async def posted_by(bot: BotApp) -> dict[str, set[str]]:
    """Rooms → the accounts that posted the bot's messages there."""
    async with bot.sessions() as session:
        rows = await session.execute(select(SandboxMessage.room_id, SandboxMessage.sender_id))
    accounts: dict[str, set[str]] = {}
    for room_id, sender_id in rows.all():
        if sender_id.endswith("-bot"):
            accounts.setdefault(room_id, set()).add(sender_id)
    return accounts


async def test_each_groups_replies_are_sent_by_the_account_that_is_in_it(
    huxi_and_donghu: tuple[BotApp, BotApp],
) -> None:
    huxi, donghu = huxi_and_donghu
    await huxi.dispatcher.accept(message(1, "room-huxi", COMPLAINT.format(merchant="张记饺子馆")))
    await donghu.dispatcher.accept(
        message(2, "room-donghu", COMPLAINT.format(merchant="好又多超市"))
    )
    await huxi.dispatcher.drain()
    await donghu.dispatcher.drain()

    assert await donghu.sender.deliver_due() == 1  # only its own group's reply
    assert await posted_by(donghu) == {"room-donghu": {"wxid-donghu-bot"}}
    assert await huxi.sender.deliver_due() == 1
    assert await posted_by(huxi) == {
        "room-donghu": {"wxid-donghu-bot"},
        "room-huxi": {"wxid-huxi-bot"},
    }
    async with huxi.sessions() as session:
        accounts = dict((await session.execute(select(Room.id, Room.account_id))).all())
    assert accounts == {"room-huxi": "wxid-huxi-bot", "room-donghu": "wxid-donghu-bot"}


async def test_a_scheduled_post_goes_out_through_the_groups_own_account(
    huxi_and_donghu: tuple[BotApp, BotApp],
) -> None:
    huxi, donghu = huxi_and_donghu
    await huxi.dispatcher.accept(message(1, "room-huxi", "大家好"))
    await huxi.dispatcher.drain()
    async with donghu.sessions.begin() as session:  # e.g. a reminder the other process swept
        await outbox.enqueue(session, room_id="room-huxi", text="提醒：请商家尽快答复。", now=START)

    assert await donghu.sender.deliver_due() == 0
    assert await huxi.sender.deliver_due() == 1
    assert await posted_by(huxi) == {"room-huxi": {"wxid-huxi-bot"}}


async def test_a_merchant_registered_through_one_process_is_recognised_by_the_other(
    huxi_and_donghu: tuple[BotApp, BotApp],
) -> None:
    huxi, donghu = huxi_and_donghu
    register = "/merchant add 王家面馆 91310000MA1FL8XQ3K 东湖社区"
    await huxi.dispatcher.accept(message(1, "room-huxi", register, sender=STAFF))
    await huxi.dispatcher.drain()

    await donghu.dispatcher.accept(message(2, "room-donghu", COMPLAINT.format(merchant="王家面馆")))
    await donghu.dispatcher.drain()

    async with donghu.sessions() as session:
        case = await session.scalar(select(Case).where(Case.room_id == "room-donghu"))
    assert case is not None
    assert (case.merchant_name, case.merchant_id is not None) == ("王家面馆", True)
