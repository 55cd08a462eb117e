"""Typical cases on the board (典型案例): `/board/cases` and `/api/public/cases`.

Only published write-ups are shown. They were scrubbed of every personal detail when
drafted and when edited (`mediation.typical.scrub`); they are masked once more on the way
out, so nothing personal reaches a public page even from an old row.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from handlers.hot_issue_report import category_trend, hot_issues, hot_issues_json, trend_chart
from mediation.privacy import mask_text
from mediation.reports import Month
from storage import typical_cases

from .board import HotIssueSource, OfficeQuery, _template, chart_response
from .monthly import MonthError, MonthlyData

PAGE_LIMIT = 100


def hot_issue_source(monthly: MonthlyData, *, show_merchants: bool = False) -> HotIssueSource:
    """What the board shows of a month's hot issues (`handlers.hot_issue_report`)."""

    async def source(month: Month, office_id: int | None) -> dict[str, Any]:
        async with monthly.sessions() as session:
            issues = await hot_issues(
                session, month, monthly.timezone, office_id, show_merchants=show_merchants
            )
        return hot_issues_json(issues)

    return source


def typical_cases_router(monthly: MonthlyData) -> APIRouter:
    """`/board/cases`, `/api/public/cases`, and the board's twelve-month chart."""
    router = APIRouter(tags=["public"])

    @router.get(
        "/board/{month}/trend.png",
        summary="近12个月投诉类别走势图（PNG）",
        response_class=Response,
        responses={200: {"content": {"image/png": {}}}},
    )
    async def trend_png(month: str, office: OfficeQuery = None) -> Response:
        try:
            parsed = monthly.parse(month)
            office_id = await monthly.office_id(office)
        except MonthError as error:
            return Response(error.message, status_code=404, media_type="text/plain; charset=utf-8")
        async with monthly.sessions() as session:
            series = await category_trend(session, parsed, monthly.timezone, office_id)
        return await chart_response(trend_chart, series)

    async def published(office: str | None, limit: int) -> list[dict[str, Any]]:
        office_id = await monthly.office_id(office)
        async with monthly.sessions() as session:
            rows = await typical_cases.published(session, office_id=office_id, limit=limit)
        tz = monthly.timezone
        return [
            {
                "number": row.number,
                "title": mask_text(row.title),
                "text": mask_text(row.text),
                "published_at": row.published_at.isoformat() if row.published_at else None,
                "published_on": f"{row.published_at.astimezone(tz):%Y-%m-%d}"
                if row.published_at
                else None,
            }
            for row in rows
        ]

    @router.get("/board/cases", response_class=HTMLResponse, summary="典型案例公示页")
    async def cases_page(office: OfficeQuery = None) -> HTMLResponse:
        try:
            items = await published(office, PAGE_LIMIT)
        except MonthError as error:
            return HTMLResponse(error.message, status_code=404)
        for item in items:
            item["paragraphs"] = item["text"].splitlines()[1:] or [item["text"]]
        html = _template("board_cases.html").render(
            items=items, office=office, refresh_seconds=None
        )
        return HTMLResponse(html)

    @router.get("/api/public/cases", summary="已发布的典型案例（JSON，无需令牌，不含个人信息）")
    async def cases_json(
        office: OfficeQuery = None,
        limit: Annotated[int, Query(ge=1, le=PAGE_LIMIT)] = PAGE_LIMIT,
    ) -> JSONResponse:
        try:
            return JSONResponse({"cases": await published(office, limit)})
        except MonthError as error:
            return JSONResponse({"detail": error.message}, status_code=error.status_code)

    return router
