"""Staff commands in the group: /stats, /cases, /export and /merchant, read as transcripts.

The month is the seeded June 2026 of `report_seed` (figures worked out there by hand); the
clock stands at 09:00 on 1 July 2026, Shanghai time.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.app import BotApp
from handlers.commands import COMMANDS
from mediation.clock import ManualClock
from mediation.reports import CalendarFactsCalculator
from mediation.roles import Role
from storage import reports
from storage.models import Case, Merchant, OutboxMessage

from .conversation import CONSUMER, GRID_WORKER, MERCHANT, STAFF, Group, Person
from .report_seed import RAW_PHONE, seed_month, sh

STAFF_MEMBER = Person("staff-zhou", "监管所周科员")
STAFF_DM = f"dm:{STAFF.id}"

JUNE_STATS = """2026年6月消费投诉统计
收到投诉 7 件，受理 5 件，办结 5 件
调解成功 3 件，调解失败 1 件，调解成功率 75.0%
挽回经济损失 188元
超期 2 件；平均办结用时 4.6 个工作日
满意度 4.5 分（2 件评价）
环比 +133.3%（上月 3 件）；同比 +600.0%（去年同月 1 件）
按类别：餐饮住宿 3件、美容美发洗浴 2件、未分类 1件、食品 1件
按性质：价格 2件、质量 2件、合同 1件、售后服务 1件、未分类 1件
被投诉较多的商家：群内不公布，请私聊本助手查询
热点网格：湖西社区 5件、东湖社区 1件"""
JUNE_MERCHANTS = "被投诉较多的商家：张记饺子馆 3件、李氏美发 2件、好又多超市 1件"

DONGHU_JUNE_STATS = """2026年6月消费投诉统计（东湖社区）
收到投诉 1 件，受理 1 件，办结 0 件
调解成功 0 件，调解失败 0 件，调解成功率 —
挽回经济损失 0元
超期 1 件；平均办结用时 —
满意度 —（0 件评价）
环比 —（上月 0 件）；同比 —（去年同月 0 件）
按类别：食品 1件
按性质：质量 1件
被投诉较多的商家：群内不公布，请私聊本助手查询
热点网格：东湖社区 1件"""


@pytest.fixture
async def june(bot: BotApp, clock: ManualClock) -> BotApp:
    await seed_month(bot.sessions)
    clock.set(sh(2026, 7, 1, 9))
    return bot


async def ask(group: Group, who: Person, text: str) -> list[str]:
    await group.say(who, text)
    return await group.bot_replies()


async def test_stats_for_june_give_the_exact_figures(june: BotApp, group: Group) -> None:
    assert await ask(group, STAFF, "/stats 2026-06") == [JUNE_STATS]


async def test_last_month_and_the_chinese_alias_mean_the_same_june(
    june: BotApp, group: Group
) -> None:
    assert await ask(group, STAFF, "/统计 上月") == [JUNE_STATS]
    assert await ask(group, STAFF_MEMBER, "/stats 2026年6月") == [JUNE_STATS]


async def test_stats_for_one_grid_count_only_its_merchants(june: BotApp, group: Group) -> None:
    assert await ask(group, STAFF, "/stats 2026-06 东湖社区") == [DONGHU_JUNE_STATS]


async def test_stats_name_the_merchants_only_in_the_private_chat(
    june: BotApp, group: Group, http: httpx.AsyncClient
) -> None:
    private = Group(june, http, STAFF_DM)
    (in_private,) = await ask(private, STAFF, "/stats 2026-06")
    assert in_private == JUNE_STATS.replace(
        "被投诉较多的商家：群内不公布，请私聊本助手查询", JUNE_MERCHANTS
    )
    (in_group,) = await ask(group, STAFF, "/stats 2026-06")
    assert "张记饺子馆" not in in_group and "好又多超市" not in in_group


async def test_stats_default_to_this_month_which_has_the_case_after_midnight(
    june: BotApp, group: Group
) -> None:
    (reply,) = await ask(group, STAFF, "/stats")
    assert reply.startswith("2026年7月消费投诉统计\n收到投诉 1 件，受理 0 件，办结 0 件")
    assert "环比 -85.7%（上月 7 件）" in reply


@pytest.mark.parametrize(
    "text", ["/stats 2026-13", "/stats 2026-00", "/stats 2026-06 东湖 多余", "/统计 13月 东湖"]
)
async def test_a_month_that_does_not_exist_gets_the_usage_line(
    june: BotApp, group: Group, text: str
) -> None:
    (reply,) = await ask(group, STAFF, text)
    assert reply.startswith("用法：/stats [YYYY-MM|本月|上月] [社区/网格|监管所|全区]")


def _private(group: Group, person: Person) -> Group:
    return Group(group.bot, group.http, room_id=f"dm:{person.id}")


async def test_staff_see_every_open_case_oldest_first_with_overdue_marked(
    june: BotApp, group: Group
) -> None:
    assert await ask(_private(group, STAFF), STAFF, "/cases") == [
        "进行中的案件（共 4 件）：\n"
        "CY-202606-0007【调解中】待补充 · 6月1日登记 · 超期\n"
        "CY-202606-0004【调解中】好又多超市 · 6月8日登记 · 超期\n"
        "CY-202606-0005【待受理】张记饺子馆 · 6月30日登记\n"
        "CY-202607-0001【待受理】张记饺子馆 · 7月1日登记"
    ]
    (in_the_group,) = await ask(group, STAFF, "/cases")  # another group's case stays out
    assert "CY-202606-0004" not in in_the_group and "CY-202606-0005" in in_the_group


async def test_overdue_and_mine_narrow_the_list(june: BotApp, group: Group) -> None:
    private = _private(group, STAFF)
    assert await ask(private, STAFF, "/案件列表 超期") == [
        "超期案件（共 2 件）：\n"
        "CY-202606-0007【调解中】待补充 · 6月1日登记 · 超期\n"
        "CY-202606-0004【调解中】好又多超市 · 6月8日登记 · 超期"
    ]
    assert await ask(private, STAFF, "/cases 我的") == [
        "我的案件（共 1 件）：\nCY-202606-0004【调解中】好又多超市 · 6月8日登记 · 超期"
    ]
    assert await ask(group, STAFF_MEMBER, "/cases 我的") == ["我的案件：暂无。"]


async def test_a_merchant_sees_only_its_own_cases(june: BotApp, group: Group) -> None:
    (reply,) = await ask(group, MERCHANT, "/cases")
    assert reply.splitlines()[0] == "进行中的案件（共 2 件）："
    assert "CY-202606-0005" in reply and "CY-202607-0001" in reply
    assert "好又多超市" not in reply and "CY-202606-0007" not in reply


async def test_a_grid_worker_sees_only_the_cases_they_reported(june: BotApp, group: Group) -> None:
    (reply,) = await ask(group, GRID_WORKER, "/cases")
    assert reply.splitlines()[0] == "进行中的案件（共 3 件）："
    assert "CY-202606-0004" not in reply  # reported by another grid worker
    (overdue,) = await ask(group, GRID_WORKER, "/cases 超期")
    assert overdue == "超期案件（共 1 件）：\nCY-202606-0007【调解中】待补充 · 6月1日登记 · 超期"


async def test_an_unknown_case_list_kind_gets_the_usage_line(june: BotApp, group: Group) -> None:
    (reply,) = await ask(group, STAFF, "/cases 全部")
    assert reply.startswith("用法：/cases [进行中|超期|我的]")


async def test_export_goes_to_the_staff_member_privately_never_into_the_group(
    june: BotApp, group: Group, http: httpx.AsyncClient
) -> None:
    assert await ask(group, STAFF, "/export 2026-06") == ["2026年6月案件统计表已私信发送。"]
    in_group = await group.transcript()
    assert all(RAW_PHONE not in str(m["text"]) and not m["image_url"] for m in in_group)

    private = await Group(june, http, STAFF_DM).transcript()
    (sent,) = private
    assert sent["text"] == (
        "2026年6月案件统计表（8 件案件）。"
        "表中含消费者联系方式等个人信息，仅供联席会议内部使用，请勿转发到群里。"
    )
    url = str(sent["image_url"])
    assert url.startswith("/sandbox/media/export-2026-06-") and url.endswith(".xlsx")
    assert (await http.get(url)).status_code == 200


async def test_the_workbook_holds_the_cases_and_the_same_figures(
    june: BotApp, group: Group
) -> None:
    await ask(group, STAFF, "/导出 2026-06")
    path = await exported_file(june)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["案件", "统计"]

    cases = list(workbook["案件"].iter_rows(values_only=True))
    header, rows = cases[0], cases[1:]
    assert header[:5] == ("编号", "登记时间", "受理时间", "结案时间", "状态")
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert list(by_number) == [
        "CY-202605-0002",  # received in May, closed in June
        "CY-202606-0007",
        "CY-202606-0001",
        "CY-202606-0002",
        "CY-202606-0003",
        "CY-202606-0004",
        "CY-202606-0006",
        "CY-202606-0005",
    ]
    late = by_number["CY-202606-0005"]
    assert late["登记时间"] == datetime(2026, 6, 30, 23, 30)  # Shanghai wall-clock time
    assert late["状态"] == "待受理" and late["网格"] == "湖西社区"
    assert late["联系电话"] == RAW_PHONE  # staff-only: unmasked
    assert by_number["CY-202606-0001"]["挽回金额（元）"] == 58
    assert by_number["CY-202606-0001"]["办结工作日"] == 2
    assert [n for n, row in by_number.items() if row["超期"] == "是"] == [
        "CY-202606-0007",
        "CY-202606-0004",
    ]

    figures = {row[0]: row[1] for row in workbook["统计"].iter_rows(values_only=True) if row}
    assert figures["2026年6月指标"] == "数值"
    assert figures["收到投诉（件）"] == 7
    assert figures["受理（件）"] == 5
    assert figures["办结（件）"] == 5
    assert figures["调解成功率"] == 0.75
    assert figures["挽回经济损失（元）"] == 188
    assert figures["超期（件）"] == 2
    assert figures["平均办结用时（工作日）"] == 4.6
    assert figures["环比"] == 1.3333
    assert figures["同比"] == 6
    assert figures["餐饮住宿"] == 3
    assert figures["湖西社区"] == 5


async def test_the_workbook_reads_overdue_and_working_days_from_the_stored_facts(
    june: BotApp, group: Group
) -> None:
    async with june.sessions.begin() as session:
        calculator = CalendarFactsCalculator(
            june.shared.calendar, june.handler_config.deadline_policy, june.timezone
        )
        await reports.refresh_calendar_facts(session, calculator, where=Case.id.is_not(None))
    async with june.sessions() as session:
        unknown = await session.scalar(
            select(func.count()).select_from(Case).where(reports.facts_unknown())
        )
    assert unknown == 0  # every row now takes the stored path

    await ask(group, STAFF, "/导出 2026-06")
    sheet = load_workbook(await exported_file(june))["案件"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert [n for n, row in by_number.items() if row["超期"] == "是"] == [
        "CY-202606-0007",
        "CY-202606-0004",
    ]
    assert by_number["CY-202606-0001"]["办结工作日"] == 2
    assert by_number["CY-202606-0005"]["办结工作日"] is None  # still open


async def exported_file(bot: BotApp) -> Path:
    async with bot.sessions() as session:
        path = await session.scalar(
            select(OutboxMessage.image_path).where(OutboxMessage.room_id == STAFF_DM)
        )
    assert path is not None
    assert Path(path).parent == bot.settings.data_dir / "media"
    return Path(path)


async def test_export_asked_in_the_private_chat_is_answered_there(
    june: BotApp, http: httpx.AsyncClient
) -> None:
    private = Group(june, http, STAFF_DM)
    await private.say(STAFF, "/export 上月")
    (reply,) = await private.bot_replies()
    assert reply.startswith("2026年6月案件统计表（8 件案件）")


async def test_export_of_a_month_that_does_not_exist_gets_the_usage_line(
    june: BotApp, group: Group
) -> None:
    (reply,) = await ask(group, STAFF, "/export 2026-13")
    assert reply.startswith("用法：/export")


async def test_merchant_registry_add_update_list_and_info(june: BotApp, group: Group) -> None:
    assert await ask(group, STAFF, "/merchant add 王家面馆 91310000MA1FL8XQ3K 湖西社区") == [
        "已新建商家档案「王家面馆」。"
    ]
    assert await ask(group, STAFF, "/商家 添加 王家面馆 东湖社区") == [
        "已更新商家档案「王家面馆」。"
    ]
    async with june.sessions() as session:
        added = await session.scalar(select(Merchant).where(Merchant.name == "王家面馆"))
    assert added is not None
    assert (added.licence_no, added.grid) == ("91310000MA1FL8XQ3K", "东湖社区")

    assert await ask(group, STAFF, "/merchant list") == [
        "商家档案（共 4 家）：\n"
        "好又多超市（东湖社区） · 进行中 1 件\n"
        "张记饺子馆（湖西社区） · 进行中 2 件\n"
        "李氏美发（湖西社区）\n"
        "王家面馆（东湖社区）"
    ]
    (huxi,) = await ask(group, STAFF, "/merchant list 湖西")
    assert huxi.startswith("商家档案（共 2 家）：")

    assert await ask(group, STAFF, "/merchant info 张记饺子馆") == [
        "商家「张记饺子馆」\n"
        "别名：无\n"
        "统一社会信用代码：未登记\n"
        "地址：未登记；网格：湖西社区\n"
        "群内绑定成员：1 人\n"
        "投诉：共 7 件，进行中 2 件，调解成功 5 件，挽回经济损失 248元\n"
        "街道/社区：未登记\n"
        "经营状态：未摸排\n"
        "证照：未登记\n"
        "放心消费：未承诺\n"
        "最近的投诉：\n"
        "CY-202607-0001【待受理】7月1日登记\n"
        "CY-202606-0005【待受理】6月30日登记\n"
        "CY-202606-0002【调解成功】6月2日登记\n"
        "CY-202606-0001【调解成功】6月1日登记\n"
        "CY-202605-0002【调解成功】5月20日登记"
    ]
    assert await ask(group, STAFF, "/商家 张记饺子馆") == await ask(
        group, STAFF, "/merchant info 张记饺子馆"
    )  # a bare name is `info`
    (unknown,) = await ask(group, STAFF, "/merchant info 不存在的店")
    assert unknown.startswith("商家档案中没有「不存在的店」")
    (frobnicate,) = await ask(group, STAFF, "/merchant frobnicate")
    assert frobnicate.startswith("商家档案中没有「frobnicate」")


@pytest.mark.parametrize("text", ["/merchant", "/merchant info", "/merchant list a b"])
async def test_merchant_without_a_known_action_gets_the_usage_line(
    june: BotApp, group: Group, text: str
) -> None:
    (reply,) = await ask(group, STAFF, text)
    assert reply.startswith("用法：/merchant add")


ROLE_OF = {
    Role.ADMIN: STAFF,
    Role.STAFF: STAFF_MEMBER,
    Role.GRID_WORKER: GRID_WORKER,
    Role.MERCHANT: MERCHANT,
    Role.UNKNOWN: CONSUMER,
}
EXPECTED_ROLES = {
    "stats": {Role.ADMIN, Role.STAFF},
    "cases": {Role.ADMIN, Role.STAFF, Role.GRID_WORKER, Role.MERCHANT},
    "export": {Role.ADMIN, Role.STAFF},
    "merchant": {Role.ADMIN, Role.STAFF},
}
TRY = {
    "stats": "/stats 2026-06",
    "cases": "/cases",
    "export": "/export 2026-06",
    "merchant": "/merchant list",
}


def test_permission_table_rows_for_the_staff_commands() -> None:
    for command, allowed in EXPECTED_ROLES.items():
        assert set(COMMANDS[command].roles) == allowed, command
        for role in Role:
            assert COMMANDS[command].may_run(role) is (role in allowed), (command, role)


@pytest.mark.parametrize("command", sorted(EXPECTED_ROLES))
async def test_each_role_is_let_in_or_refused_politely_in_the_group(
    june: BotApp, group: Group, command: str
) -> None:
    for role, person in ROLE_OF.items():
        replies = await ask(group, person, TRY[command])
        refused = any("没有使用" in reply and "权限" in reply for reply in replies)
        assert refused is (role not in EXPECTED_ROLES[command]), (command, role, replies)
        assert replies, (command, role)


async def test_help_lists_the_staff_commands_only_to_staff(june: BotApp, group: Group) -> None:
    (for_staff,) = await ask(group, STAFF_MEMBER, "/help")
    assert "/stats" in for_staff and "/export" in for_staff and "/merchant" in for_staff
    (for_merchant,) = await ask(group, MERCHANT, "/help")
    assert "/cases" in for_merchant
    assert "/stats" not in for_merchant and "/export" not in for_merchant
