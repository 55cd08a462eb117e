"""Per-merchant disclosure over HTTP: `/api/public/merchants` and the printable
`/board/merchants`, on the seeded June 2026 (clock at 1 July 09:00, Shanghai).

In the twelve months before, 张记饺子馆 has four counted complaints (all 调解成功; its
two pending ones are not counted), 李氏美发 three closed ones (one 调解失败, two 撤回),
好又多超市 a single one (past its first-answer deadline) and an unregistered name one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import update

from bot.app import BotApp
from mediation.clock import ManualClock
from mediation.privacy import contains_personal_data
from storage.models import Merchant
from web import create_app
from web.disclosure import disclosure_router
from web.monthly import MonthlyData

from .report_seed import RAW_PHONE, seed_month, sh


@pytest.fixture
async def june(bot: BotApp, clock: ManualClock) -> BotApp:
    await seed_month(bot.sessions)
    async with bot.sessions.begin() as session:
        await session.execute(
            update(Merchant)
            .where(Merchant.name.in_(["张记饺子馆", "好又多超市"]))
            .values(committed=True, committed_on=sh(2026, 3, 1).date())
        )
    clock.set(sh(2026, 7, 1, 9))
    return bot


async def test_merchants_with_three_counted_complaints_are_listed_with_their_figures(
    june: BotApp, http: httpx.AsyncClient
) -> None:
    response = await http.get("/api/public/merchants", params={"months": 12})

    assert response.status_code == 200
    body = response.json()
    assert (body["months"], body["min_complaints"]) == (12, 3)
    assert body["merchants"] == [
        {
            "name": "张记饺子馆",
            "complaints": 4,
            "resolved": 4,
            "failed": 0,
            "success_rate": 1.0,
            "avg_working_days_to_close": body["merchants"][0]["avg_working_days_to_close"],
            "answered_in_time_share": 0.0,
            "committed": True,
        },
        {
            "name": "李氏美发",
            "complaints": 3,
            "resolved": 0,
            "failed": 1,
            "success_rate": 0.0,
            "avg_working_days_to_close": None,
            "answered_in_time_share": 0.0,
            "committed": False,
        },
    ]  # 好又多超市 (one complaint) and the unregistered name are absent
    assert [row["name"] for row in body["fangxin"]] == ["好又多超市", "张记饺子馆"]
    assert body["fangxin"][0]["complaints"] == 1  # the programme list shows every committed one


async def test_the_printable_page_lists_them_and_the_fangxin_merchants(
    june: BotApp, http: httpx.AsyncClient
) -> None:
    response = await http.get("/board/merchants")

    assert response.status_code == 200
    page = response.text
    assert "商家消费投诉信息公示" in page and "window.print()" in page
    disclosed = page.split('id="disclosed"')[1].split("</table>")[0]
    assert "张记饺子馆" in disclosed and "李氏美发" in disclosed
    assert "好又多超市" not in disclosed
    fangxin = page.split('id="fangxin"')[1].split("</table>")[0]
    assert "好又多超市" in fangxin and "2026-03-01" in fangxin


async def test_no_personal_data_on_the_page_or_in_the_json(
    june: BotApp, http: httpx.AsyncClient
) -> None:
    async with june.sessions.begin() as session:  # a name typed with a phone number in it
        await session.execute(
            update(Merchant)
            .where(Merchant.name == "李氏美发")
            .values(name=f"李氏美发{RAW_PHONE[:3]} {RAW_PHONE[3:7]} {RAW_PHONE[7:]}")
        )

    for path in ("/api/public/merchants", "/board/merchants"):
        text = (await http.get(path)).text
        assert not contains_personal_data(text), path
        assert RAW_PHONE not in text.replace(" ", "")
        assert "陈女士" not in text and "CY-2026" not in text and "grid-li" not in text


async def test_the_window_and_threshold_follow_the_query_and_the_setting(
    june: BotApp, http: httpx.AsyncClient
) -> None:
    one_month = (await http.get("/api/public/merchants", params={"months": 1})).json()
    assert one_month["merchants"] == []  # June alone: 张记 2 counted, 李氏 2
    bad = await http.get("/api/public/merchants", params={"months": 0})
    assert bad.status_code == 422


@pytest.fixture
async def disabled(june: BotApp) -> AsyncIterator[httpx.AsyncClient]:
    monthly = MonthlyData(
        june.sessions,
        clock=june.clock,
        timezone=june.timezone,
        calendar=lambda: june.shared.calendar,
        policy=june.handler_config.deadline_policy,
    )

    async def healthy() -> dict[str, bool]:
        return {"ok": True}

    app = create_app(
        health=healthy,
        routers=[disclosure_router(monthly, enabled=False)],
        sandbox_page=False,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://board.test") as client:
        yield client


async def test_switched_off_both_routes_answer_404(disabled: httpx.AsyncClient) -> None:
    assert (await disabled.get("/api/public/merchants")).status_code == 404
    assert (await disabled.get("/board/merchants")).status_code == 404
