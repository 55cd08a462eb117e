"""The public board and its JSON twin on a known month: exact figures, month boundaries in
Shanghai time, no personal data anywhere, user text shown as text, and a printable page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from bot.app import BotApp
from mediation.clock import ManualClock
from mediation.privacy import contains_personal_data
from web import create_app
from web.board import board_router
from web.monthly import MonthlyData

from .month_seed import (
    AFTER_JUNE,
    CONSUMER,
    ID_NUMBER,
    JUNE,
    JUNE_TOP_MERCHANTS,
    PHONE,
    PHONE_MERCHANT,
    SCRIPT_MERCHANT,
    seed_june,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def seeded(bot: BotApp, clock: ManualClock) -> BotApp:
    await seed_june(bot.sessions)
    clock.set(AFTER_JUNE)
    return bot


@pytest.fixture
async def http_with_merchants(seeded: BotApp) -> AsyncIterator[httpx.AsyncClient]:
    """The same database behind a board that the office set to name merchants."""
    monthly = MonthlyData(
        seeded.sessions,
        clock=seeded.clock,
        timezone=seeded.timezone,
        calendar=lambda: seeded.shared.calendar,
        policy=seeded.handler_config.deadline_policy,
    )

    async def healthy() -> dict[str, bool]:
        return {"ok": True}

    app: FastAPI = create_app(
        health=healthy, routers=[board_router(monthly, show_merchants=True)], sandbox_page=False
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://board.test") as client:
        yield client


async def test_public_json_has_the_exact_figures_of_the_seeded_month(
    seeded: BotApp, http: httpx.AsyncClient
) -> None:
    response = await http.get("/api/public/stats", params={"month": "2026-06"})

    assert response.status_code == 200
    stats = response.json()
    assert stats["month"] == "2026-06"
    assert stats["label"] == "2026年6月"
    assert stats["complete"] is True
    for key, expected in JUNE.items():
        assert stats[key] == expected, key
    assert "top_merchants" not in stats  # merchant names are off unless the office turns them on
    assert "typical_cases" not in stats and "overdue" not in stats


async def test_complaint_at_2330_on_june_30_in_shanghai_counts_in_june_not_july(
    seeded: BotApp, http: httpx.AsyncClient
) -> None:
    june = (await http.get("/api/public/stats", params={"month": "2026-06"})).json()
    july = (await http.get("/api/public/stats", params={"month": "2026-07"})).json()

    assert june["received"] == 6  # includes CY-202606-0005 at 06-30 23:30 Shanghai
    assert july["received"] == 1  # only CY-202607-0001 at 07-01 00:10 Shanghai
    assert july["complete"] is False


async def test_board_without_month_shows_the_month_just_ended(
    seeded: BotApp, http: httpx.AsyncClient
) -> None:
    page = await http.get("/board")
    default_json = (await http.get("/api/public/stats")).json()

    assert page.status_code == 200
    assert "2026年6月消费投诉情况公示" in page.text
    assert default_json["month"] == "2026-06"


async def test_board_page_shows_the_figures_and_the_chart_images(
    seeded: BotApp, http: httpx.AsyncClient
) -> None:
    page = await http.get("/board/2026-06")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert _tile(text, "received") == "6件"
    assert _tile(text, "closed") == "5件"
    assert _tile(text, "success_rate") == "75.0%"
    assert _tile(text, "money_returned") == "178.50元"
    assert _tile(text, "rating") == "4.5分"
    assert "环比 +200.0%（上月 2 件）" in text
    assert "湖西社区第一网格" in text
    assert 'src="/board/2026-06/chart.png"' in text
    assert 'src="/board/2026-06/problems.png"' in text
    for chart in ("chart.png", "problems.png"):
        image = await http.get(f"/board/2026-06/{chart}")
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/png"
        assert image.content.startswith(PNG_SIGNATURE)


async def test_no_phone_id_number_or_consumer_name_on_the_page_or_in_the_json(
    seeded: BotApp, http: httpx.AsyncClient, http_with_merchants: httpx.AsyncClient
) -> None:
    outputs = [
        (await client.get(path)).text
        for client in (http, http_with_merchants)
        for path in (
            "/board",
            "/board/2026-06",
            "/board/2026-07",
            "/api/public/stats?month=2026-06",
            "/api/public/stats?month=2026-07",
        )
    ]

    for output in outputs:
        assert PHONE not in output
        assert "13987654321" not in output  # typed into a merchant's name
        assert ID_NUMBER not in output
        assert CONSUMER not in output
        assert not contains_personal_data(output)


async def test_merchant_names_appear_only_when_the_setting_is_on_and_then_masked(
    seeded: BotApp, http: httpx.AsyncClient, http_with_merchants: httpx.AsyncClient
) -> None:
    hidden = await http.get("/board/2026-06")
    shown = await http_with_merchants.get("/board/2026-06")
    shown_json = (await http_with_merchants.get("/api/public/stats?month=2026-06")).json()

    assert "张记饺子馆" not in hidden.text and "被投诉较多的经营者" not in hidden.text
    assert "张记饺子馆" in shown.text and "被投诉较多的经营者" in shown.text
    assert shown_json["top_merchants"] == JUNE_TOP_MERCHANTS
    assert PHONE_MERCHANT not in shown.text


async def test_script_in_a_merchant_name_is_shown_as_text(
    seeded: BotApp, http_with_merchants: httpx.AsyncClient
) -> None:
    page = (await http_with_merchants.get("/board/2026-06")).text

    assert SCRIPT_MERCHANT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert len(re.findall(r"<script", page, flags=re.IGNORECASE)) == 0


async def test_page_has_print_styles(seeded: BotApp, http: httpx.AsyncClient) -> None:
    page = (await http.get("/board/2026-06")).text

    assert "@media print" in page
    assert "@page" in page
    assert 'class="toolbar no-print"' in page


@pytest.mark.parametrize("month", ["2026-13", "2026-6", "abc", "0000-01", "2026-00"])
async def test_malformed_month_gets_a_chinese_404_page_and_a_422_json(
    seeded: BotApp, http: httpx.AsyncClient, month: str
) -> None:
    page = await http.get(f"/board/{month}")
    data = await http.get("/api/public/stats", params={"month": month})
    chart = await http.get(f"/board/{month}/chart.png")

    assert page.status_code == 404
    assert "月份格式不正确" in page.text
    assert data.status_code == 422
    assert "月份格式不正确" in data.json()["detail"]
    assert chart.status_code == 404


async def test_month_not_yet_begun_is_not_found(seeded: BotApp, http: httpx.AsyncClient) -> None:
    page = await http.get("/board/2026-08")
    data = await http.get("/api/public/stats", params={"month": "2026-08"})

    assert page.status_code == 404 and "尚未开始" in page.text
    assert data.status_code == 404


async def test_month_in_progress_says_it_is_incomplete(
    seeded: BotApp, http: httpx.AsyncClient
) -> None:
    page = await http.get("/board/2026-07")

    assert page.status_code == 200
    assert "本月尚未结束" in page.text
    assert "2026年8月" not in page.text  # no link to a month that has not begun


async def test_public_routes_need_no_token(seeded: BotApp, http: httpx.AsyncClient) -> None:
    assert (await http.get("/board")).status_code == 200
    assert (await http.get("/api/public/stats")).status_code == 200


def _tile(page: str, key: str) -> str:
    match = re.search(
        rf'data-figure="{key}">\s*<div class="label">[^<]*</div>\s*<div class="value">(.*?)</div>',
        page,
        flags=re.S,
    )
    assert match is not None, key
    return re.sub(r"<[^>]+>", "", match.group(1))
