"""Staff correct a case after acceptance (issue 19.3): `/edit` a detail, `/note` an internal
remark, `/merge` a duplicate. Read as group transcripts through the sandbox."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bot.app import BotApp
from mediation.clock import ManualClock
from mediation.reports import Month
from storage.area_queries import received_by_area
from storage.disclosure_queries import disclosure_cases
from storage.models import Case, CaseEvent

from .conversation import CONSUMER, GRID_WORKER, MERCHANT, STAFF, Group, Person
from .report_seed import seed_month, sh

NO_MERCHANT = "【投诉】有顾客反映在一家饭店吃饭被多收了58元，要求退款"
COMPLAINT = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，消费者电话13812345678"
STAFF_DM = f"dm:{STAFF.id}"


async def the_case(bot: BotApp, number: str) -> Case:
    async with bot.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        return case


async def events(bot: BotApp, number: str, kind: str | None = None) -> list[CaseEvent]:
    async with bot.sessions() as session:
        case_id = select(Case.id).where(Case.number == number).scalar_subquery()
        query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        if kind is not None:
            query = query.where(CaseEvent.kind == kind)
        return list(await session.scalars(query))


async def ask(group: Group, who: Person, text: str, **kwargs: object) -> list[str]:
    await group.say(who, text, **kwargs)  # type: ignore[arg-type]
    return await group.bot_replies()


async def test_staff_name_the_merchant_after_acceptance_and_it_is_notified(group: Group) -> None:
    await ask(group, STAFF, "/bind @张记饺子馆老板 张记饺子馆", mentions=(MERCHANT,))
    (opened,) = await ask(group, GRID_WORKER, NO_MERCHANT)
    assert "CY-202606-0001" in opened and "商家" in opened
    accepted = await ask(group, STAFF, "/accept CY-202606-0001")
    assert "受理" in accepted[0]

    edited, notice = await ask(group, STAFF, "/edit CY-202606-0001 商家 张记饺子馆")
    assert edited == "已修改 CY-202606-0001 的被投诉方：待补充 → 张记饺子馆。"
    assert "CY-202606-0001" in notice and "58元" in notice
    assert (await group.transcript())[-1]["mention_ids"] == [MERCHANT.id]

    case = await the_case(group.bot, "CY-202606-0001")
    assert case.merchant_name == "张记饺子馆" and case.merchant_id is not None
    assert "merchant" not in case.missing
    (event,) = await events(group.bot, "CY-202606-0001", "edited")
    assert event.data == {"field": "merchant", "old": "待补充", "new": "张记饺子馆"}
    assert event.actor_id == STAFF.id
    assert len(await events(group.bot, "CY-202606-0001", "notified")) == 1

    # the merchant's answer now moves the case
    await ask(group, MERCHANT, "同意退还58元")
    assert (await the_case(group.bot, "CY-202606-0001")).status == "merchant_replied"


async def test_each_field_is_checked_and_the_phone_never_echoed(group: Group) -> None:
    await ask(group, GRID_WORKER, COMPLAINT)
    number = "CY-202606-0001"
    for bad in ("0", "20000000", "1.234", "五十八块"):
        (refused,) = await ask(group, STAFF, f"/edit {number} 金额 {bad}")
        assert refused.startswith("金额应为 0.01 元至 10,000,000 元"), refused
    (done,) = await ask(group, STAFF, f"/edit {number} amount 58.5元")
    assert done == f"已修改 {number} 的金额：58元 → 58.5元。"

    (refused,) = await ask(group, STAFF, f"/修改 {number} 类别 吃饭")
    assert refused.startswith("类别应为以下之一：食品、") and "餐饮住宿" in refused
    (done,) = await ask(group, STAFF, f"/edit {number} 类别 食品")
    assert done.endswith("→ 食品。")

    (done,) = await ask(group, STAFF, f"/edit {number} 诉求 退款、道歉")
    assert done == f"已修改 {number} 的诉求：退款 → 退款、道歉。"

    (refused,) = await ask(group, STAFF, f"/edit {number} 电话 12345")
    assert refused.startswith("电话格式不正确")
    (done,) = await ask(group, STAFF, f"/edit {number} 电话 139-1234-9876")
    assert done == f"已修改 {number} 的联系电话：138****5678 → 139****9876。"
    assert "13912349876" not in str(await group.transcript())

    case = await the_case(group.bot, number)
    assert case.amount == Decimal("58.5")
    assert (case.category, case.category_group) == ("食品", "商品类")
    assert case.demands == ["退款", "道歉"]
    assert case.contacts == ["13912349876"]
    phone_event = (await events(group.bot, number, "edited"))[-1]
    assert phone_event.data == {"field": "phone", "old": "138****5678", "new": "139****9876"}

    (denied,) = await ask(group, GRID_WORKER, f"/edit {number} 金额 1")
    assert "无权" in denied or "权限" in denied, denied
    (usage,) = await ask(group, STAFF, f"/edit {number} 地址 湖西路")
    assert usage.startswith("用法：/edit")


async def test_a_note_is_for_staff_only_and_never_in_the_group(group: Group) -> None:
    await ask(group, GRID_WORKER, COMPLAINT)
    before = len(await group.transcript())
    assert await ask(group, STAFF, "/note CY-202606-0001 商家老板电话已打通，周一去现场") == []
    assert len(await group.transcript()) == before + 1  # only the command itself
    private = Group(group.bot, group.http, STAFF_DM)
    assert await private.bot_replies() == ["已记录内部备注（CY-202606-0001），仅工作人员可见。"]

    (timeline,) = await ask(group, STAFF, "/case CY-202606-0001")
    assert "备注" not in timeline and "现场" not in timeline
    (timeline,) = await ask(private, STAFF, "/case CY-202606-0001")
    assert "内部备注：商家老板电话已打通，周一去现场（" in timeline

    (denied,) = await ask(group, GRID_WORKER, "/note CY-202606-0001 我也来写")
    assert "备注" not in denied
    assert len(await events(group.bot, "CY-202606-0001", "note")) == 1


async def test_merge_closes_the_duplicate_and_tells_its_reporter(group: Group) -> None:
    await ask(group, GRID_WORKER, COMPLAINT)
    await ask(group, CONSUMER, "张记饺子馆昨天收了我58元的饺子钱算错了，多收了，要求退钱")
    assert (await the_case(group.bot, "CY-202606-0002")).status == "pending"

    (told,) = await ask(group, STAFF, "/merge CY-202606-0001 CY-202606-0002")
    assert told == (
        "您反映的投诉 CY-202606-0002 与 CY-202606-0001 为同一事项，已合并办理，"
        "后续进展请发送 /case CY-202606-0001 查看。"
    )
    assert (await group.transcript())[-1]["mention_ids"] == [CONSUMER.id]

    duplicate = await the_case(group.bot, "CY-202606-0002")
    assert (duplicate.status, duplicate.outcome) == ("merged", "merged")
    assert [e.kind for e in await events(group.bot, "CY-202606-0002")] == ["merged_into"]
    kept = [e.kind for e in await events(group.bot, "CY-202606-0001")]
    assert kept.count("opened") == 2 and kept[-1] == "merged"

    (again,) = await ask(group, STAFF, "/merge CY-202606-0001 CY-202606-0002")
    assert "已结案（已合并）" in again
    (same,) = await ask(group, STAFF, "/merge CY-202606-0001 CY-202606-0001")
    assert same == "两个编号相同，无需合并。"
    (refused,) = await ask(group, STAFF, "/merge CY-202606-0002 CY-202606-0001")
    assert refused == "案件 CY-202606-0002 已并入其他案件，请并入原案件。"
    (timeline,) = await ask(group, CONSUMER, "/case CY-202606-0002")
    assert "【已合并】" in timeline


JUNE_WITHOUT_0007 = """2026年6月消费投诉统计
收到投诉 6 件，受理 4 件，办结 5 件
调解成功 3 件，调解失败 1 件，调解成功率 75.0%
挽回经济损失 188元
超期 1 件；平均办结用时 4.6 个工作日
满意度 4.5 分（2 件评价）
环比 +100.0%（上月 3 件）；同比 +500.0%（去年同月 1 件）
按类别：餐饮住宿 3件、美容美发洗浴 2件、食品 1件
按性质：价格 2件、质量 2件、合同 1件、售后服务 1件
被投诉较多的商家：群内不公布，请私聊本助手查询
热点网格：湖西社区 5件、东湖社区 1件"""

JUNE_WITHOUT_0005 = """2026年6月消费投诉统计
收到投诉 6 件，受理 5 件，办结 5 件
调解成功 3 件，调解失败 1 件，调解成功率 75.0%
挽回经济损失 188元
超期 2 件；平均办结用时 4.6 个工作日
满意度 4.5 分（2 件评价）
环比 +100.0%（上月 3 件）；同比 +500.0%（去年同月 1 件）
按类别：美容美发洗浴 2件、餐饮住宿 2件、未分类 1件、食品 1件
按性质：质量 2件、价格 1件、合同 1件、售后服务 1件、未分类 1件
被投诉较多的商家：群内不公布，请私聊本助手查询
热点网格：湖西社区 4件、东湖社区 1件"""


async def test_a_merged_case_is_in_no_monthly_figure(
    bot: BotApp, clock: ManualClock, group: Group
) -> None:
    """The seeded June (tests/report_seed.py): 0007 (accepted, open and overdue at the
    month's end, no merchant) and 0005 (pending, 张记饺子馆) merged on 1 July leave June's
    figures, and July's closed count does not take them in."""
    await seed_month(bot.sessions)
    clock.set(sh(2026, 7, 1, 9))
    await ask(group, STAFF, "/merge CY-202606-0001 CY-202606-0007")
    assert await ask(group, STAFF, "/stats 2026-06") == [JUNE_WITHOUT_0007]
    await ask(group, STAFF, "/merge CY-202606-0001 CY-202606-0005")
    (both,) = await ask(group, STAFF, "/stats 2026-06")
    assert both.splitlines()[1] == "收到投诉 5 件，受理 4 件，办结 5 件"
    (july,) = await ask(group, STAFF, "/stats 2026-07")
    assert july.splitlines()[1] == "收到投诉 1 件，受理 0 件，办结 0 件"
    assert "环比 -80.0%（上月 5 件）" in july
    (merchants,) = await ask(Group(bot, group.http, STAFF_DM), STAFF, "/stats 2026-06")
    assert "张记饺子馆 2件" in merchants


async def test_merging_one_pending_case_keeps_the_rest_of_june(
    bot: BotApp, clock: ManualClock, group: Group
) -> None:
    await seed_month(bot.sessions)
    clock.set(sh(2026, 7, 1, 9))
    await ask(group, STAFF, "/merge CY-202606-0001 CY-202606-0005")
    assert await ask(group, STAFF, "/stats 2026-06") == [JUNE_WITHOUT_0005]


async def test_a_merged_case_leaves_the_area_split_and_the_merchant_disclosure(
    bot: BotApp, clock: ManualClock, group: Group
) -> None:
    await seed_month(bot.sessions)
    async with bot.sessions.begin() as session:
        for number in ("CY-202606-0001", "CY-202606-0005"):
            case = await session.scalar(select(Case).where(Case.number == number))
            assert case is not None
            case.street = "湖西街道"
    clock.set(sh(2026, 7, 1, 9))
    await ask(group, STAFF, "/merge CY-202606-0001 CY-202606-0005")
    tz = bot.handler_config.timezone
    async with bot.sessions() as session:
        split = await received_by_area(session, Month(2026, 6), tz)
        disclosed = await disclosure_cases(
            session,
            sh(2026, 6, 1),
            calendar=bot.shared.calendar,
            policy=bot.handler_config.deadline_policy,
            tz=tz,
        )
    assert split.by_street == [("湖西街道", 1)]
    numbers = {case.number for case in disclosed}
    assert "CY-202606-0001" in numbers and "CY-202606-0005" not in numbers
