"""Hot issues on the board: what is rising against the three months before, the month's
keywords per category (masked texts, no merchant names unless shown), and a chart of the
last twelve months by category."""

from __future__ import annotations

import httpx

from bot.app import BotApp
from mediation.clock import ManualClock

from .report_seed import RAW_PHONE, seed_month, sh

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def test_the_board_shows_rising_issues_keywords_and_the_twelve_month_chart(
    bot: BotApp, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    await seed_month(bot.sessions)
    clock.set(sh(2026, 7, 2, 9))

    stats = (await http.get("/api/public/stats", params={"month": "2026-06"})).json()
    hot = stats["hot_issues"]
    assert [item["label"] for item in hot["rising_categories"]] == ["餐饮住宿"]
    assert hot["rising_categories"][0]["count"] == 3
    keywords = {item["category"]: item["words"] for item in hot["keywords"]}
    assert "收钱" in keywords["餐饮住宿"]
    words = [word for category in keywords.values() for word in category]
    assert not any("饺子" in word or "李氏" in word for word in words)  # merchant names

    page = await http.get("/board/2026-06")
    assert "热点问题" in page.text and "上升较快的类别：餐饮住宿" in page.text
    assert 'src="/board/2026-06/trend.png"' in page.text
    assert RAW_PHONE not in page.text

    chart = await http.get("/board/2026-06/trend.png")
    assert chart.status_code == 200 and chart.content.startswith(PNG_SIGNATURE)
    assert (await http.get("/board/2099-01/trend.png")).status_code == 404
