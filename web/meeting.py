"""`/meeting/YYYY-MM`: the joint-meeting pack (联席会议) as a printable A4 page, for staff.

It names merchants and case numbers, so it needs a staff token like the admin API: a
bearer header, or `?token=` for a browser that is only given a link (to print from).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials

from handlers.context import HandlerConfig
from handlers.meeting_pack import build_meeting_pack, render_meeting_pack
from storage.tokens import authenticate

from .admin_api import BEARER
from .board import OfficeQuery
from .monthly import MonthError, MonthlyData

UNAUTHORIZED = "缺少有效的访问令牌"


def meeting_router(monthly: MonthlyData, config: Callable[[], HandlerConfig]) -> APIRouter:
    router = APIRouter(tags=["admin"])

    @router.get(
        "/meeting/{month}",
        response_class=HTMLResponse,
        summary="联席会议材料（A4 打印页，需工作人员令牌）",
    )
    async def meeting_page(
        month: str,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
        token: Annotated[str | None, Query(max_length=200)] = None,
        office: OfficeQuery = None,
    ) -> HTMLResponse:
        given = credentials.credentials if credentials is not None else token
        async with monthly.sessions() as session:
            valid = given is not None and await authenticate(session, given, monthly.now())
        if not valid:
            return HTMLResponse(
                UNAUTHORIZED, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        try:
            parsed = monthly.parse(month)
            office_id = await monthly.office_id(office)
        except MonthError as error:
            return HTMLResponse(error.message, status_code=404)
        async with monthly.sessions() as session:
            pack = await build_meeting_pack(
                session,
                parsed,
                config=config(),
                calendar=monthly.calendar(),
                now=monthly.now(),
                office_id=office_id,
                office_name=office,
            )
        return HTMLResponse(render_meeting_pack(pack), headers={"Cache-Control": "no-store"})

    return router
