"""The public monthly board (月度消费投诉情况公示) and its JSON twin.

A bureau shows `/board` on a screen or prints it for the display boards in malls and at bus
stops, so it must say only what may be posted on a wall: counts, money returned, the split
by category and problem, the areas complaints came from, and merchant names only when the
office has chosen to publish them. It never touches a consumer's name, number or words.

`/board` shows the month just ended (the month the chat summary of the 1st covers), not
the month in progress: a 公示 reports a closed period, and a half-month looks like a drop.
The month in progress is one click away and says that it is incomplete. The page refreshes
itself every ten minutes, so a screen left on `/board` rolls over to the new month alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from mediation.charts import NoChineseFont, category_bar_chart
from mediation.reports import Month

from .monthly import MonthError, MonthlyData, public_stats

if TYPE_CHECKING:
    from jinja2 import Environment, Template

TEMPLATES_DIR = Path(__file__).with_name("templates")
REFRESH_SECONDS = 600
CHART_CACHE_SIZE = 32
CHART_MAX_AGE_SECONDS = 60


async def chart_response(draw: Callable[..., bytes], *args: Any) -> Response:
    """A chart drawn off the event loop as a PNG response; 503 without a Chinese font."""
    try:
        png = await asyncio.to_thread(draw, *args)
    except NoChineseFont:
        return Response(
            "服务器缺少中文字体，暂时无法生成图表",
            status_code=503,
            media_type="text/plain; charset=utf-8",
        )
    return Response(
        png,
        media_type="image/png",
        headers={"Cache-Control": f"max-age={CHART_MAX_AGE_SECONDS}"},
    )
OfficeQuery = Annotated[str | None, Query(max_length=50, description="监管所名称；不填为全区")]


@cache
def _templates() -> Environment:
    """Made on the first page view: jinja2 is not worth importing while the bot starts."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "htm", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _template(name: str) -> Template:
    return _templates().get_template(name)


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    unit: str = ""
    note: str = ""


HotIssueSource = Callable[[Month, int | None], Awaitable[dict[str, Any]]]


def board_router(
    monthly: MonthlyData,
    *,
    show_merchants: bool = False,
    hot_issues: HotIssueSource | None = None,
) -> APIRouter:
    """`/board`, `/board/YYYY-MM` with its chart images, and `/api/public/stats` (no token).

    `hot_issues` (issue 21) adds what is rising and the month's keywords to both."""
    router = APIRouter(tags=["public"])

    async def stats_of(month: Month, office: str | None = None) -> dict[str, Any]:
        office_id = await monthly.office_id(office)  # MonthError 404 for an unknown office
        report = await monthly.report(month, office_id)
        stats = public_stats(
            report,
            show_merchants=show_merchants,
            complete=monthly.is_complete(month),
            generated_at=monthly.now(),
        )
        stats["office"] = office or None  # None: the whole district
        if hot_issues is not None:
            stats["hot_issues"] = await hot_issues(month, office_id)
        return stats | await monthly.areas(month, office_id)

    async def page(month: Month, office: str | None) -> HTMLResponse:
        try:
            stats = await stats_of(month, office)
        except MonthError as error:
            return _error_page(error)
        offices = await monthly.office_names()
        return HTMLResponse(_render_board(monthly, month, stats, offices))

    @router.get("/board", response_class=HTMLResponse, summary="公示页（上一个完整月份）")
    async def board_default(office: OfficeQuery = None) -> HTMLResponse:
        return await page(monthly.default_month(), office)

    @router.get("/board/{month}", response_class=HTMLResponse, summary="某月公示页")
    async def board_month(month: str, office: OfficeQuery = None) -> HTMLResponse:
        try:
            parsed = monthly.parse(month)
        except MonthError as error:
            return _error_page(error)
        return await page(parsed, office)

    @router.get(
        "/board/{month}/chart.png",
        summary="投诉类别柱状图（PNG）",
        response_class=Response,
        responses={200: {"content": {"image/png": {}}}},
    )
    async def category_chart(month: str, office: OfficeQuery = None) -> Response:
        return await _chart(month, "category", office)

    @router.get(
        "/board/{month}/problems.png",
        summary="投诉问题柱状图（PNG）",
        response_class=Response,
        responses={200: {"content": {"image/png": {}}}},
    )
    async def problem_chart(month: str, office: OfficeQuery = None) -> Response:
        return await _chart(month, "problem", office)

    async def _chart(month_text: str, kind: str, office: str | None) -> Response:
        try:
            month = monthly.parse(month_text)
            office_id = await monthly.office_id(office)
        except MonthError as error:
            return Response(error.message, status_code=404, media_type="text/plain; charset=utf-8")
        report = await monthly.report(month, office_id)
        if kind == "category":
            title, bars = f"{month.label}投诉类别", report.by_category
        else:
            title, bars = f"{month.label}投诉问题", report.by_problem
        return await chart_response(_chart_png, title, tuple(bars))

    @router.get("/api/public/stats", summary="公示数据（JSON，无需令牌，不含个人信息）")
    async def public_stats_json(
        month: Annotated[
            str | None, Query(description="月份 YYYY-MM；不填为上一个完整月份")
        ] = None,
        office: OfficeQuery = None,
    ) -> JSONResponse:
        if month is None:
            parsed = monthly.default_month()
        else:
            try:
                parsed = monthly.parse(month)
            except MonthError as error:
                return JSONResponse({"detail": error.message}, status_code=error.status_code)
        try:
            return JSONResponse(await stats_of(parsed, office))
        except MonthError as error:
            return JSONResponse({"detail": error.message}, status_code=error.status_code)

    return router


@lru_cache(maxsize=CHART_CACHE_SIZE)
def _chart_png(title: str, bars: Sequence[tuple[str, int]]) -> bytes:
    """Drawing takes a noticeable fraction of a second; a screen refreshing asks again."""
    return category_bar_chart(title, bars)


def _render_board(
    monthly: MonthlyData, month: Month, stats: dict[str, Any], offices: Sequence[str] = ()
) -> str:
    tz = monthly.timezone
    office = stats.get("office")
    query = f"?{urlencode({'office': office})}" if office else ""
    now = monthly.now()
    previous, following = month.previous(), month.next()
    has_next = following <= monthly.current_month()
    return _template("board.html").render(
        stats=stats,
        tiles=_tiles(stats),
        period=f"{month.first_day:%Y年%m月%d日} — {month.last_day:%Y年%m月%d日}",
        as_of=f"{now.astimezone(tz):%Y-%m-%d %H:%M}",
        generated=f"{now.astimezone(tz):%Y-%m-%d %H:%M}",
        category_chart_url=f"/board/{month.key}/chart.png{query}",
        problem_chart_url=f"/board/{month.key}/problems.png{query}",
        trend_chart_url=f"/board/{month.key}/trend.png{query}",
        previous_url=f"/board/{previous.key}{query}",
        previous_label=previous.label,
        next_url=f"/board/{following.key}{query}" if has_next else None,
        next_label=following.label,
        json_url=f"/api/public/stats?month={month.key}{query.replace('?', '&')}",
        office=office,
        office_links=[
            (name, f"/board/{month.key}?{urlencode({'office': name})}") for name in offices
        ]
        if len(offices) > 1
        else [],
        district_url=f"/board/{month.key}",
        refresh_seconds=REFRESH_SECONDS,
    )


def _error_page(error: MonthError) -> HTMLResponse:
    html = _template("board_error.html").render(
        message=error.message, board_url="/board", refresh_seconds=None
    )
    # a page that does not exist is a 404 to a browser, whatever the reason
    return HTMLResponse(html, status_code=404)


def _tiles(stats: dict[str, Any]) -> list[Tile]:
    changes = (
        f"环比 {_change(stats['month_on_month'])}（上月 {stats['previous_received']} 件）"
        f" · 同比 {_change(stats['year_on_year'])}"
    )
    closing = "平均用时 " + (
        f"{stats['avg_working_days_to_close']} 个工作日"
        if stats["avg_working_days_to_close"] is not None
        else "—"
    )
    rating = stats["avg_rating"]
    return [
        Tile("received", "收到投诉", str(stats["received"]), "件", changes),
        Tile("accepted", "受理", str(stats["accepted"]), "件"),
        Tile(
            "closed",
            "办结",
            str(stats["closed"]),
            "件",
            f"调解成功 {stats['resolved']} 件，调解失败 {stats['failed']} 件",
        ),
        Tile("success_rate", "调解成功率", _percent(stats["success_rate"]), "", closing),
        Tile(
            "money_returned",
            "挽回经济损失",
            _yuan(stats["money_returned"]),
            "元",
        ),
        Tile(
            "rating",
            "消费者满意度",
            "—" if rating is None else f"{rating}",
            "" if rating is None else "分",
            f"满分 5 分，{stats['rated']} 件评价",
        ),
    ]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _change(value: float | None) -> str:
    if value is None:
        return "—"
    if value == 0:
        return "持平"
    return f"{value * 100:+.1f}%"


def _yuan(amount: str) -> str:
    value = Decimal(amount)
    return f"{value:,.2f}" if value != value.to_integral() else f"{value:,.0f}"
