"""Per-merchant disclosure (消费投诉信息公示): `/board/merchants` (printable) and its JSON
twin `GET /api/public/merchants?months=12`, with the 放心消费 committed merchants.

The rules are `mediation.disclosure`'s: registered merchants only, at least
`TIAOJIE_DISCLOSURE_MIN_COMPLAINTS` counted complaints (closed, or past the merchant's
first-answer deadline) in the window, figures only. The 放心消费 list shows every committed
merchant of the registry (the programme's public list) with the same figures, whatever
their count. Nothing here names a consumer, a case number or an amount; merchant names are
masked once more in case one was typed with a phone number in it. With
`TIAOJIE_DISCLOSURE_ENABLED=false` both routes answer 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse

from mediation.deadlines import DeadlinePolicy
from mediation.disclosure import Disclosure, MerchantDisclosure, disclose_merchants, window_start
from mediation.privacy import mask_text
from mediation.templates import iso_day
from storage.disclosure_queries import committed_merchants, disclosure_cases

from .board import REFRESH_SECONDS, _template
from .monthly import MonthlyData

MAX_MONTHS = 36
DISABLED = "本辖区未开放商家投诉信息公示"


def disclosure_router(
    monthly: MonthlyData, *, enabled: bool = True, min_complaints: int = 3
) -> APIRouter:
    router = APIRouter(tags=["public"])

    async def figures(months: int) -> tuple[Disclosure, list[dict[str, Any]]]:
        if not enabled:
            raise HTTPException(status_code=404, detail=DISABLED)
        now = monthly.now()
        tz = monthly.timezone
        async with monthly.sessions() as session:
            cases = await disclosure_cases(
                session,
                window_start(now, months, tz),
                calendar=monthly.calendar(),
                policy=monthly.policy or DeadlinePolicy(),
                tz=tz,
            )
            committed = await committed_merchants(session)
        disclosure = disclose_merchants(
            cases, as_of=now, months=months, min_complaints=min_complaints, tz=tz
        )
        every_count = disclose_merchants(cases, as_of=now, months=months, min_complaints=1, tz=tz)
        by_id = {merchant.merchant_id: merchant for merchant in every_count.merchants}
        programme = [
            {
                "name": mask_text(merchant.name),
                "committed_on": iso_day(merchant.committed_on) or None,
                **_figures(by_id.get(merchant.merchant_id)),
            }
            for merchant in committed
        ]
        return disclosure, programme

    @router.get("/api/public/merchants", summary="商家投诉信息公示（JSON，无需令牌，不含个人信息）")
    async def public_merchants(
        months: Annotated[int, Query(ge=1, le=MAX_MONTHS, description="统计最近几个月")] = 12,
    ) -> JSONResponse:
        disclosure, programme = await figures(months)
        return JSONResponse(
            {
                "months": disclosure.months,
                "window_start": disclosure.window_start.isoformat(),
                "window_end": disclosure.window_end.isoformat(),
                "min_complaints": disclosure.min_complaints,
                "merchants": [
                    {"name": mask_text(merchant.name), **_figures(merchant)}
                    for merchant in disclosure.merchants
                ],
                "fangxin": programme,
            }
        )

    @router.get(
        "/board/merchants", response_class=HTMLResponse, summary="商家投诉信息公示页（可打印）"
    )
    async def merchants_page(
        months: Annotated[int, Query(ge=1, le=MAX_MONTHS, description="统计最近几个月")] = 12,
    ) -> HTMLResponse:
        disclosure, programme = await figures(months)
        tz = monthly.timezone
        rows = [
            {"name": mask_text(merchant.name), **_shown(_figures(merchant))}
            for merchant in disclosure.merchants
        ]
        html = _template("board_merchants.html").render(
            months=months,
            period=(
                f"{_local_day(disclosure.window_start, tz)} — "
                f"{_local_day(disclosure.window_end, tz)}"
            ),
            min_complaints=disclosure.min_complaints,
            rows=rows,
            programme=[row | _shown(row) for row in programme],
            generated=f"{monthly.now().astimezone(tz):%Y-%m-%d %H:%M}",
            json_url=f"/api/public/merchants?months={months}",
            refresh_seconds=REFRESH_SECONDS,
        )
        return HTMLResponse(html)

    return router


def _figures(merchant: MerchantDisclosure | None) -> dict[str, Any]:
    if merchant is None:
        return {
            "complaints": 0,
            "resolved": 0,
            "failed": 0,
            "success_rate": None,
            "avg_working_days_to_close": None,
            "answered_in_time_share": None,
            "committed": True,
        }
    return {
        "complaints": merchant.complaints,
        "resolved": merchant.resolved,
        "failed": merchant.failed,
        "success_rate": merchant.success_rate,
        "avg_working_days_to_close": merchant.avg_working_days_to_close,
        "answered_in_time_share": merchant.answered_in_time_share,
        "committed": merchant.committed,
    }


def _shown(figures: dict[str, Any]) -> dict[str, str]:
    """The figures as the page prints them."""
    days = figures["avg_working_days_to_close"]
    return {
        "success_rate_text": _percent(figures["success_rate"]),
        "days_text": "—" if days is None else f"{days}",
        "in_time_text": _percent(figures["answered_in_time_share"]),
    }


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _local_day(instant: datetime, tz: Any) -> str:
    return f"{instant.astimezone(tz):%Y年%m月%d日}"
