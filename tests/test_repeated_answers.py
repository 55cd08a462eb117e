"""A repeated /help or refusal is answered once per sender and minute, so ten members asking
for help ten times each do not use up the room's reply budget (issue 17.12)."""

from __future__ import annotations

from datetime import timedelta

from bot.app import BotApp
from mediation.clock import ManualClock

from .conversation import GRID_WORKER, Group, Person


async def test_help_and_refusals_are_answered_once_per_sender_and_minute(
    bot: BotApp, group: Group, clock: ManualClock
) -> None:
    members = [Person(f"member-{n}", f"居民{n}") for n in range(10)]
    for _ in range(10):
        for member in members:
            await group.say(member, "/help")
    helps = [r for r in await group.bot_replies() if r.startswith("您可以使用以下指令")]
    assert len(helps) == 10

    await group.say(members[0], "/stats")
    await group.say(members[0], "/stats")
    refusals = [r for r in await group.bot_replies() if "没有使用" in r]
    assert len(refusals) == 1

    await group.say(GRID_WORKER, "【投诉】湖西路张记饺子馆多收消费者58元，要求退款")
    (opened,) = await group.bot_replies()
    assert "已登记投诉" in opened

    clock.advance(timedelta(minutes=1))
    await group.say(members[0], "/help")
    assert len(await group.bot_replies()) == 1
