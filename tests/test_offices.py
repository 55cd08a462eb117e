"""Offices (监管所): two groups of two offices (TIAOJIE_OFFICES=湖西所:HX,南湖所:NH), each
with its own case numbers, staff who act on their office's cases, and each group's figures
(/stats, the monthly summary, the board) for its own office; admins and 全区 see it all."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.app import BotApp
from bot.settings import Settings
from handlers.registry_import import import_registry
from mediation.case_numbers import find_case_numbers
from mediation.clock import ManualClock
from mediation.offices import parse_offices
from mediation.registry import read_rows
from storage.models import Case, Office, OutboxMessage

from .conversation import GRID_WORKER, STAFF, Group, Person

STAFF_NANHU = Person("staff-zhou", "南湖所周科员")
COMPLAINT = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话1381234567{}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        admins=["staff-wang"],
        gateway="sandbox",
        sweep_minutes=0,
        offices="湖西所:HX,南湖所:NH",
        _env_file=None,
    )


@pytest.fixture
async def groups(bot: BotApp, http: httpx.AsyncClient) -> tuple[Group, Group]:
    huxi, nanhu = Group(bot, http, "room-huxi"), Group(bot, http, "room-nanhu")
    await huxi.say(STAFF, "/office")
    assert await huxi.bot_replies() == ["本群属于湖西所。可选：湖西所、南湖所。"]
    await nanhu.say(STAFF, "/office 南湖所")
    assert await nanhu.bot_replies() == ["本群已划归南湖所，此后登记的投诉编号以 NH 开头。"]
    await nanhu.say(STAFF, f"/role @{STAFF_NANHU.name} 工作人员 南湖所", mentions=(STAFF_NANHU,))
    assert await nanhu.bot_replies() == [f"已将 {STAFF_NANHU.name} 设为南湖所工作人员。"]
    await huxi.say(GRID_WORKER, COMPLAINT.format(1))
    await nanhu.say(GRID_WORKER, COMPLAINT.format(2))
    await nanhu.say(GRID_WORKER, COMPLAINT.format(3))
    await huxi.bot_replies(), await nanhu.bot_replies()
    return huxi, nanhu


async def numbers(bot: BotApp) -> list[str]:
    async with bot.sessions() as session:
        return list(await session.scalars(select(Case.number).order_by(Case.id)))


def test_offices_are_read_from_the_setting() -> None:
    assert [(o.name, o.prefix) for o in parse_offices("")] == [("本所", "CY")]
    with pytest.raises(ValueError):
        Settings(offices="湖西所:HX,南湖所", _env_file=None)


async def test_each_office_numbers_its_own_cases(bot: BotApp, groups: tuple[Group, Group]) -> None:
    assert await numbers(bot) == ["HX-202606-0001", "NH-202606-0001", "NH-202606-0002"]
    async with bot.sessions() as session:
        offices = [(o.id, o.name, o.prefix) for o in await session.scalars(select(Office))]
    assert offices == [(1, "湖西所", "HX"), (2, "南湖所", "NH")]


async def test_staff_see_and_act_on_their_office_only_admins_on_all(
    groups: tuple[Group, Group],
) -> None:
    huxi, nanhu = groups

    await nanhu.say(STAFF_NANHU, "/cases")
    (listing,) = await nanhu.bot_replies()
    assert listing.startswith("进行中的案件（共 2 件）：") and "HX-" not in listing
    await huxi.say(STAFF_NANHU, "/close HX-202606-0001 成功 58")
    (refused,) = await huxi.bot_replies()
    assert refused == "您无权查看或处理案件 HX-202606-0001。"
    await huxi.say(STAFF, "/cases")  # in a group, the group's own cases only
    (in_huxi,) = await huxi.bot_replies()
    assert in_huxi.startswith("进行中的案件（共 1 件）：")
    private = Group(huxi.bot, huxi.http, room_id=f"dm:{STAFF.id}")
    await private.say(STAFF, "/cases")  # by private message, every office's
    (everything,) = await private.bot_replies()
    assert everything.startswith("进行中的案件（共 3 件）：")


async def test_stats_for_an_office_and_for_the_whole_district(
    groups: tuple[Group, Group],
) -> None:
    huxi, _ = groups

    await huxi.say(STAFF, "/stats 本月 南湖所")
    await huxi.say(STAFF, "/stats 本月 全区")
    office, district = await huxi.bot_replies()

    assert office.splitlines()[:2] == [
        "2026年6月消费投诉统计（南湖所）",
        "收到投诉 2 件，受理 0 件，办结 0 件",
    ]
    assert district.splitlines()[:2] == [
        "2026年6月消费投诉统计",
        "收到投诉 3 件，受理 0 件，办结 0 件",
    ]


async def test_each_group_gets_its_own_offices_monthly_summary(
    bot: BotApp, groups: tuple[Group, Group], clock: ManualClock
) -> None:
    huxi, nanhu = groups
    clock.set(datetime(2026, 7, 1, 1, 0, tzinfo=clock.now().tzinfo) + timedelta(minutes=5))

    assert await bot.post_monthly_summaries() == 2
    await bot.settle()

    (huxi_summary,) = await huxi.bot_replies()
    (nanhu_summary,) = await nanhu.bot_replies()
    assert "2026年6月共收到消费投诉 1 件" in huxi_summary and "湖西所辖区" in huxi_summary
    assert "2026年6月共收到消费投诉 2 件" in nanhu_summary and "南湖所辖区" in nanhu_summary


async def test_the_board_has_an_office_filter_and_a_whole_district_view(
    groups: tuple[Group, Group], http: httpx.AsyncClient
) -> None:
    async def received(**params: str) -> int:
        response = await http.get("/api/public/stats", params={"month": "2026-06", **params})
        assert response.status_code == 200, response.text
        return int(response.json()["received"])

    assert (await received(), await received(office="湖西所"), await received(office="南湖所")) == (
        3, 1, 2
    )  # fmt: skip
    page = await http.get("/board/2026-06", params={"office": "南湖所"})
    assert "2026年6月消费投诉情况公示（南湖所）" in page.text
    assert 'href="/board/2026-06?office=%E6%B9%96%E8%A5%BF%E6%89%80"' in page.text
    assert (await http.get("/api/public/stats", params={"office": "北湖所"})).status_code == 404
    assert (await http.get("/board", params={"office": "北湖所"})).status_code == 404


async def test_a_group_moved_to_another_office_numbers_its_next_case_there(
    bot: BotApp, groups: tuple[Group, Group]
) -> None:
    huxi, _ = groups

    await huxi.say(STAFF, "/office 南湖所")
    await huxi.say(GRID_WORKER, COMPLAINT.format(4))

    assert (await numbers(bot))[-1] == "NH-202606-0003"
    async with bot.sessions() as session:
        first = await session.scalar(select(Case).where(Case.number == "HX-202606-0001"))
    assert first is not None and first.office_id == 1  # a case keeps the office it began in


async def test_a_trading_lead_goes_to_the_cases_office_staff_and_the_admins(
    bot: BotApp, groups: tuple[Group, Group]
) -> None:
    async with bot.sessions.begin() as session:
        plan = read_rows(["名称", "经营状态"], [["李氏美发", "注销"]])
        await import_registry(session, plan, now=bot.clock.now())
    huxi, nanhu = groups
    complaint = "【投诉】李氏美发办卡后不给剪发，要求退款300元，电话1391234567{}"

    await huxi.say(GRID_WORKER, complaint.format(1))
    await nanhu.say(GRID_WORKER, complaint.format(2))

    async with bot.sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.room_id, OutboxMessage.text).where(
                OutboxMessage.room_id.like("dm:%")
            )
        )
        told = sorted((room, find_case_numbers(text)[0]) for room, text in rows.all())
    assert told == [
        ("dm:staff-wang", "HX-202606-0002"),
        ("dm:staff-wang", "NH-202606-0003"),
        ("dm:staff-zhou", "NH-202606-0003"),
    ]
