"""The daily staff digest (issue 19.4): on working days at its time, once per recipient,
counts first; run by the real APScheduler at the ManualClock's time."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, time
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select

from bot.app import BotApp
from bot.settings import Settings
from handlers.staff_digest import DIGEST_TIME
from mediation.clock import ManualClock
from scheduler import add_jobs, build_scheduler, timed_jobs
from storage.models import Case, InboxMessage, OutboxMessage

from .conversation import CONSUMER, GRID_WORKER, MERCHANT, STAFF, Group, Person
from .report_seed import SHANGHAI, sh

STAFF_MEMBER = Person("staff-zhou", "监管所周科员")
COMPLAINT = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，消费者电话13812345678"
NO_MERCHANT = "【投诉】有顾客反映在一家饭店吃饭被多收了58元，要求退款"

MONDAY_DIGEST = """每日待办提醒 · 6月8日（周一）
待受理 1 件
商家逾期未答复 1 件
两个工作日内到期 1 件：CY-202606-0002
疑似投诉未登记 1 条（上个工作日以来）
发送 /cases 查看全部在办案件，/cases 超期 查看已超期案件。
疑似投诉请到群里向发送人核实，需要登记的请其补充后重新发送。"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Two offices: the groups and cases of these tests are in the first (CY)."""
    return Settings(
        data_dir=tmp_path / "data",
        admins=[STAFF.id],
        gateway="sandbox",
        sweep_minutes=0,
        offices="湖西所:CY,南湖所:NH",
        _env_file=None,
    )


async def a_week_of_work(group: Group) -> None:
    """Monday 1 June: a merchant notified (answer due Tuesday), a complaint without a
    merchant waiting for acceptance (due 10 June), a second staff member. The digest at
    its default time (the tests' settings switch it off)."""
    work = group.bot.timed_work
    work.settings = dataclasses.replace(work.settings, digest_time=DIGEST_TIME)
    await group.say(STAFF, "/role @监管所周科员 工作人员", mentions=(STAFF_MEMBER,))
    await group.say(STAFF, "/bind @张记饺子馆老板 张记饺子馆", mentions=(MERCHANT,))
    await group.say(GRID_WORKER, COMPLAINT)
    await group.say(CONSUMER, NO_MERCHANT)
    await group.bot_replies()


async def unsure_messages(bot: BotApp) -> None:
    """What the detector will route `unsure` (issue 16): Friday's counts, Thursday's is
    older than the last working day, and one opened a case after all."""
    async with bot.sessions.begin() as session:
        for message_id, received in (
            ("unsure-fri", sh(2026, 6, 5, 15)),
            ("unsure-thu", sh(2026, 6, 4, 15)),
            ("unsure-registered", sh(2026, 6, 5, 16)),
        ):
            session.add(
                InboxMessage(
                    message_id=message_id,
                    room_id="room-huxi",
                    sender_id=CONSUMER.id,
                    text="美容院办的卡不给退",
                    sent_at=received,
                    received_at=received,
                    state="handled",
                    route="unsure",
                )
            )
        case = await session.scalar(select(Case).where(Case.number == "CY-202606-0001"))
        assert case is not None
        case.source_message_id = "unsure-registered"


async def test_each_staff_member_gets_one_digest_a_working_day(
    bot: BotApp, clock: ManualClock, group: Group
) -> None:
    await a_week_of_work(group)
    await unsure_messages(bot)
    staff_wang = Group(bot, group.http, f"dm:{STAFF.id}")
    staff_zhou = Group(bot, group.http, f"dm:{STAFF_MEMBER.id}")

    clock.set(sh(2026, 6, 6, 8, 30))  # Saturday: no digest
    assert await bot.timed_work.staff_digest() == 0
    clock.set(sh(2026, 6, 8, 8, 29))  # Monday, a minute early
    assert await bot.timed_work.staff_digest() == 0

    clock.set(sh(2026, 6, 8, 8, 30))
    assert await bot.timed_work.staff_digest() == 2
    assert await bot.timed_work.staff_digest() == 0  # a second run, or a restart: nothing
    await bot.settle()
    assert await staff_wang.bot_replies() == [MONDAY_DIGEST]
    assert await staff_zhou.bot_replies() == [MONDAY_DIGEST]
    assert len(MONDAY_DIGEST.splitlines()) <= 10
    assert await group.bot_replies() == []  # never in the group
    assert await digests_in_room_count(bot, "room-huxi") == 0

    clock.set(sh(2026, 6, 9, 9))  # Tuesday: a new day, a new digest
    assert await bot.timed_work.staff_digest() == 2


async def digests_in_room_count(bot: BotApp, room_id: str) -> int:
    async with bot.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.room_id == room_id, OutboxMessage.dedupe_key.like("digest:%"))
        )
        return int(count or 0)


async def test_a_staff_room_gets_the_digest_instead(
    bot: BotApp, clock: ManualClock, group: Group
) -> None:
    await a_week_of_work(group)
    work = bot.timed_work
    work.settings = dataclasses.replace(work.settings, staff_room="room-staff")
    clock.set(sh(2026, 6, 2, 8, 45))
    assert await work.staff_digest() == 1
    await bot.settle()
    (digest,) = await Group(bot, group.http, "room-staff").bot_replies()
    assert digest.splitlines()[:3] == [
        "每日待办提醒 · 6月2日（周二）",
        "待受理 1 件",
        "商家逾期未答复 0 件",
    ]
    assert await Group(bot, group.http, f"dm:{STAFF.id}").bot_replies() == []


async def test_the_real_scheduler_runs_the_digest_at_its_time(
    bot: BotApp, clock: ManualClock, group: Group
) -> None:
    await a_week_of_work(group)
    jobs = [job for job in timed_jobs(bot.timed_work) if job.id == "staff-digest"]
    (digest_job,) = jobs
    assert (digest_job.trigger, dict(digest_job.trigger_args), digest_job.catch_up_at_start) == (
        "cron",
        {"hour": 8, "minute": 30},
        True,
    )
    scheduler = build_scheduler(SHANGHAI)
    add_jobs(scheduler, jobs, SHANGHAI)
    scheduler.start()
    try:
        job = scheduler.get_job("staff-digest")
        assert isinstance(job.trigger, CronTrigger)
        # every day at 08:30: the digest itself skips days off, 调休 working days included
        after = job.trigger.get_next_fire_time(None, datetime(2026, 6, 5, 9, tzinfo=SHANGHAI))
        assert after == datetime(2026, 6, 6, 8, 30, tzinfo=SHANGHAI)
        clock.set(sh(2026, 6, 3, 8, 30))
        job.modify(next_run_time=datetime.now(SHANGHAI))  # fire now, at the clock's 08:30
        for _ in range(200):
            await asyncio.sleep(0.01)
            if await digests_in_room_count(bot, f"dm:{STAFF.id}"):
                break
    finally:
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)
    await bot.settle()
    (digest,) = await Group(bot, group.http, f"dm:{STAFF.id}").bot_replies()
    assert digest.splitlines()[:3] == [
        "每日待办提醒 · 6月3日（周三）",
        "待受理 1 件",
        "商家逾期未答复 1 件",
    ]


def test_the_digest_settings_default_to_0830_privately_and_blank_switches_it_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TIAOJIE_DIGEST_TIME")
    default = Settings(_env_file=None)
    assert (default.digest_time, default.staff_room) == (time(8, 30), "")
    assert Settings(digest_time="", _env_file=None).digest_time is None
    assert Settings(digest_time="07:45", _env_file=None).digest_time == time(7, 45)


async def test_staff_of_another_office_count_their_own_cases_and_admins_all(
    bot: BotApp, clock: ManualClock, group: Group
) -> None:
    await a_week_of_work(group)
    await group.say(STAFF, "/role @监管所周科员 工作人员 南湖所", mentions=(STAFF_MEMBER,))
    clock.set(sh(2026, 6, 8, 8, 30))
    assert await bot.timed_work.staff_digest() == 2
    await bot.settle()
    (district,) = await Group(bot, group.http, f"dm:{STAFF.id}").bot_replies()
    (nanhu,) = await Group(bot, group.http, f"dm:{STAFF_MEMBER.id}").bot_replies()
    assert district.splitlines()[1:4] == [
        "待受理 1 件",
        "商家逾期未答复 1 件",
        "两个工作日内到期 1 件：CY-202606-0002",
    ]
    assert nanhu.splitlines()[1:4] == [
        "待受理 0 件",
        "商家逾期未答复 0 件",
        "两个工作日内到期 0 件",
    ]
