"""Flood control both ways: a member posting too fast, and the bot never flooding a group."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import BotApp
from bot.settings import Settings
from storage.models import InboxMessage, OutboxMessage

from .conversation import GRID_WORKER, STAFF, Group, Person


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        admins=[STAFF.id],
        gateway="sandbox",
        sweep_minutes=0,
        sender_messages_per_minute=5,
        room_messages_per_minute=2,
        _env_file=None,
    )


async def test_member_posting_too_fast_is_told_once_and_nothing_is_lost(group: Group) -> None:
    for n in range(9):
        await group.say(GRID_WORKER, f"/help {n}")

    async with group.bot.sessions() as session:
        queued = list(await session.scalars(select(OutboxMessage.text)))
        routes = list(await session.scalars(select(InboxMessage.route).order_by(InboxMessage.id)))
    assert len([text for text in queued if "太快" in text]) == 1
    assert routes == ["command"] * 5 + ["rate_limited"] * 4


async def test_staff_are_not_rate_limited(group: Group) -> None:
    for _ in range(8):
        await group.say(STAFF, "收到")
    async with group.bot.sessions() as session:
        routes = set(await session.scalars(select(InboxMessage.route)))
    assert routes == {"chatter"}


async def test_bot_paces_a_room_and_merges_the_backlog_instead_of_dropping_it(
    group: Group, bot: BotApp
) -> None:
    fake_time = [1000.0]
    bot.sender._pacer._monotonic = lambda: fake_time[0]  # type: ignore[attr-defined]

    for n in range(5):  # five members: /help is answered once a minute per sender
        await group.say(Person(f"member-{n}", f"居民{n}"), "/help")
    assert len(await group.bot_replies()) == 2  # two a minute; three wait

    fake_time[0] += 61
    await bot.sender.deliver_due()

    (merged,) = await group.bot_replies()
    assert merged.count("您可以使用以下指令") == 3
    async with bot.sessions() as session:
        states = list(await session.scalars(select(OutboxMessage.state)))
    assert states == ["sent"] * 5
