"""Typical cases (典型案例) at work in the group: a closed case made typical, edited and
published appears on the board and `/api/public/cases` with no phone, name or address;
`/案例` finds it by a keyword of its text; it goes out once with the next monthly summary;
withdrawn, it is gone from the board."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from bot.app import BotApp
from mediation.clock import ManualClock
from mediation.privacy import contains_personal_data
from storage.models import OutboxMessage

from .conversation import GRID_WORKER, MERCHANT, STAFF, Group
from .report_seed import sh

NUMBER = "CY-202606-0001"
COMPLAINT = (
    "【投诉】王女士在湖西路张记饺子馆办了预付卡充值500元，现在商家拒绝退款也不让用卡，要求退款500元，"
    "联系电话13812345678，家住阳光小区3栋2单元501"
)
PERSONAL = ("王女士", "13812345678", "138****5678", "阳光小区", "3栋", "陈女士", "王芳")
EDITED = (
    "【典型案例】饺子馆预付卡充值不让用卡纠纷调解成功\n"
    "基本案情：消费者王芳（电话13812345678，住址阳光小区3栋2单元501）在张记饺子馆充值500元后被拒绝用卡。\n"
    "调解过程：监管所约谈商家，商家同意退还预付款。\n"
    "处理结果：退款500元。"
)


async def a_closed_case(group: Group) -> None:
    await group.say(STAFF, "/bind @张记饺子馆老板 张记饺子馆", mentions=(MERCHANT,))
    await group.say(GRID_WORKER, COMPLAINT)
    await group.say(MERCHANT, "同意退还500元")
    await group.say(GRID_WORKER, "确认")
    await group.bot_replies()


async def public_cases(http: httpx.AsyncClient) -> list[dict[str, str]]:
    response = await http.get("/api/public/cases")
    assert response.status_code == 200
    return list(response.json()["cases"])


def assert_nothing_personal(text: str) -> None:
    for detail in PERSONAL:
        assert detail not in text, detail
    assert not contains_personal_data(text)


async def test_a_closed_case_made_typical_edited_and_published_is_public_without_personal_data(
    bot: BotApp, group: Group, http: httpx.AsyncClient
) -> None:
    await a_closed_case(group)

    await group.say(STAFF, f"/典型 {NUMBER}")
    (drafted,) = await group.bot_replies()
    assert "基本案情" in drafted and "法律要点" in drafted and "第五十三条" in drafted
    assert "某饺子馆" in drafted and "张记" not in drafted  # not named by default
    assert_nothing_personal(drafted)
    assert await public_cases(http) == []  # a draft is not public

    await group.say(STAFF, f"/典型 {NUMBER} 修改 {EDITED}")
    (edited,) = await group.bot_replies()
    assert "约谈商家" in edited
    assert_nothing_personal(edited)

    await group.say(STAFF, f"/典型 {NUMBER} 发布")
    (published,) = await group.bot_replies()
    assert "已发布" in published

    (item,) = await public_cases(http)
    assert item["number"] == NUMBER
    assert item["title"] == "饺子馆预付卡充值不让用卡纠纷调解成功"
    assert "约谈商家" in item["text"]
    assert_nothing_personal(item["title"] + item["text"])
    page = await http.get("/board/cases")
    assert page.status_code == 200 and "约谈商家" in page.text
    assert_nothing_personal(page.text)

    await group.say(STAFF, f"/role @{GRID_WORKER.name} 网格员", mentions=(GRID_WORKER,))
    await group.bot_replies()
    await group.say(GRID_WORKER, "/案例 预付卡 充值")
    (answer,) = await group.bot_replies()
    assert len(answer.splitlines()) > 1, answer
    first = answer.splitlines()[1]
    assert first.startswith("【典型】") and NUMBER in first and "调解成功" in first
    assert_nothing_personal(answer)

    await group.say(STAFF, f"/典型 {NUMBER} 撤下")
    await group.bot_replies()
    assert await public_cases(http) == []
    assert "约谈商家" not in (await http.get("/board/cases")).text


async def test_only_staff_make_typical_cases_and_only_of_closed_cases(group: Group) -> None:
    await group.say(STAFF, "/bind @张记饺子馆老板 张记饺子馆", mentions=(MERCHANT,))
    await group.say(GRID_WORKER, COMPLAINT)
    await group.bot_replies()

    await group.say(GRID_WORKER, f"/典型 {NUMBER}")
    await group.say(STAFF, f"/典型 {NUMBER}")
    refused, not_closed = await group.bot_replies()
    assert "典型" in refused or "权限" in refused
    assert "尚未办结" in not_closed


async def test_a_published_typical_case_goes_out_once_with_the_next_monthly_summary(
    bot: BotApp, group: Group, clock: ManualClock
) -> None:
    await a_closed_case(group)
    await group.say(STAFF, f"/典型 {NUMBER}")
    await group.say(STAFF, f"/典型 {NUMBER} 发布")
    await group.bot_replies()

    clock.set(sh(2026, 7, 1, 9))
    assert await bot.post_monthly_summaries() >= 1
    assert await bot.post_monthly_summaries() == 0
    clock.set(sh(2026, 8, 1, 9))
    await bot.post_monthly_summaries()

    async with bot.sessions() as session:
        texts = list(
            await session.scalars(
                select(OutboxMessage.text)
                .where(OutboxMessage.room_id == group.room_id)
                .where(OutboxMessage.dedupe_key.like("summary:%"))
                .order_by(OutboxMessage.id)
            )
        )
    june, july = texts
    assert "本月发布的典型案例" in june and "【典型案例】某饺子馆" in june
    assert "【热点问题】" in june
    assert "典型案例】某饺子馆" not in july
    assert_nothing_personal(june)


async def test_ask_the_groups_memory_finds_closed_cases_with_their_outcome(group: Group) -> None:
    await a_closed_case(group)
    await group.say(GRID_WORKER, "【投诉】好又多超市卖的牛奶过期了，要求退款12元，电话13912345678")
    await group.say(STAFF, "/close CY-202606-0002 失败")
    await group.say(STAFF, f"/role @{GRID_WORKER.name} 网格员", mentions=(GRID_WORKER,))
    await group.bot_replies()

    await group.say(GRID_WORKER, "/案例 牛奶 过期")
    (answer,) = await group.bot_replies()
    lines = answer.splitlines()
    assert "CY-202606-0002" in lines[1] and "调解未果" in lines[1]
    assert all("CY-202606-0001" not in line for line in lines)  # nothing in common
    assert_nothing_personal(answer)

    await group.say(GRID_WORKER, "/案例 火箭 卫星")
    (nothing,) = await group.bot_replies()
    assert "没有找到" in nothing

    await group.say(MERCHANT, "/案例 牛奶")
    (refused,) = await group.bot_replies()
    assert "权限" in refused
