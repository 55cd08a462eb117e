"""The staff admin API: cases, merchants, statistics and the monthly workbook over HTTP.

Bureau staff use it from their own tools (a spreadsheet, a dashboard). Every route needs a
bearer token made with `tiaojie token create NAME`; a request without a valid one gets 401
and nothing else. Tokens are for staff only, so case data here is NOT masked: phone numbers,
the raw complaint text and consumer names are returned as stored.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, Protocol
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import Select

from handlers.merchants import MerchantInUse, MerchantNameTaken, save_merchant
from handlers.merchants import delete_merchant as remove_merchant
from handlers.registry_files import RegistryFileError, read_import_plan_bytes
from handlers.registry_import import import_registry
from mediation.cases import CLOSED_STATUSES, OPEN_STATUSES
from mediation.clock import Clock
from mediation.deadlines import DeadlinePolicy
from mediation.reports import MonthlyReport
from mediation.workdays import WorkingCalendar
from storage import merchants
from storage.cases import by_number, timeline
from storage.export_rows import export_rows
from storage.models import ApiToken, Case, Merchant
from storage.tokens import authenticate

from .admin_schemas import (
    CaseDetail,
    CasePage,
    CaseSummary,
    MerchantIn,
    MerchantOut,
    MerchantPatch,
    RegistryImportOut,
    RejectedRowOut,
    StatusFilter,
    TimelineEntry,
    case_fields,
    event_label,
    merchant_out,
)
from .monthly import MonthlyData, parse_month_key, staff_stats

Sessions = async_sessionmaker[AsyncSession]
# A row id is a PostgreSQL `integer`; a bigger number can name nothing and used to reach the
# database (SQLite's 64-bit overflow was a 500). Pages beyond this hold nothing either.
LARGEST_ID = 2**31 - 1
LARGEST_PAGE = 1_000_000
MerchantId = Annotated[int, PathParam(ge=1, le=LARGEST_ID)]
OnMerchantsChanged = Callable[[], Awaitable[None]]


class SavableWorkbook(Protocol):
    def save(self, filename: Any) -> None: ...


class WorkbookBuilder(Protocol):
    """`handlers.exports.build_workbook`, handed in by the wiring (web does not import
    handlers): the month's figures and its cases (`storage.reports.export_rows`), each
    judged overdue at `as_of`."""

    def __call__(
        self,
        report: MonthlyReport,
        cases: Sequence[Any],
        *,
        as_of: datetime,
        calendar: WorkingCalendar,
        policy: DeadlinePolicy,
        tz: ZoneInfo,
    ) -> SavableWorkbook: ...


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

API_DESCRIPTION = """
工作人员接口。所有 `/api/…` 路径（`/api/public/…` 除外）都需要 Bearer 令牌：
在服务器上运行 `tiaojie token create 名称` 生成，令牌只显示一次，数据库中只保存其哈希值。
没有令牌或令牌无效、已吊销时返回 401。

**注意：令牌仅发给工作人员，本接口返回的案件数据未做脱敏**（含投诉人电话、身份证号、原始投诉文本），
请勿转发给商家或公开。公开的月度统计请用 `/api/public/stats` 或 `/board`。

金额以字符串表示（单位：元，两位小数），时间为 UTC 的 ISO 8601 格式；月份按 `TIAOJIE_TIMEZONE`
（默认 Asia/Shanghai）划分。
""".strip()


def unauthorized() -> HTTPException:
    return HTTPException(
        status_code=401,
        detail="缺少有效的访问令牌",
        headers={"WWW-Authenticate": "Bearer"},
    )


# module level: the route signature below names it, and FastAPI reads signatures as strings
BEARER = HTTPBearer(auto_error=False, description="由 `tiaojie token create 名称` 生成的令牌")


def token_dependency(sessions: Sessions, clock: Clock) -> Callable[..., Awaitable[ApiToken]]:
    async def require_token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    ) -> ApiToken:
        if credentials is None:
            raise unauthorized()
        async with sessions() as session:
            token = await authenticate(session, credentials.credentials, clock.now())
        if token is None:
            raise unauthorized()
        return token

    return require_token


def admin_router(
    monthly: MonthlyData,
    *,
    build_workbook: WorkbookBuilder,
    on_merchants_changed: OnMerchantsChanged | None = None,
) -> APIRouter:
    """Routes under /api for staff tools; every one needs a valid bearer token."""
    sessions, clock, timezone = monthly.sessions, monthly.clock, monthly.timezone
    router = APIRouter(
        prefix="/api",
        tags=["admin"],
        dependencies=[Depends(token_dependency(sessions, clock))],
        responses={401: {"description": "缺少或无效的令牌"}},
    )

    async def merchants_changed() -> None:
        if on_merchants_changed is not None:
            await on_merchants_changed()

    @router.get("/cases", response_model=CasePage, summary="案件列表（可筛选、分页）")
    async def list_cases(
        status: StatusFilter | None = None,
        month: Annotated[
            str | None, Query(description="受理月份 YYYY-MM（按收到投诉的时间）")
        ] = None,
        merchant: Annotated[str | None, Query(description="商家名称包含", max_length=200)] = None,
        merchant_id: Annotated[int | None, Query(ge=1, le=LARGEST_ID)] = None,
        q: Annotated[
            str | None,
            Query(description="在编号、商家、投诉人、原始文本中搜索", max_length=200),
        ] = None,
        page: Annotated[int, Query(ge=1, le=LARGEST_PAGE)] = 1,
        page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> CasePage:
        query = select(Case)
        if status is StatusFilter.OPEN:
            query = query.where(Case.status.in_([s.value for s in OPEN_STATUSES]))
        elif status is StatusFilter.CLOSED:
            query = query.where(Case.status.in_([s.value for s in CLOSED_STATUSES]))
        elif status is not None:
            query = query.where(Case.status == status.value)
        if month is not None:
            try:
                period = parse_month_key(month)
            except ValueError as error:
                raise HTTPException(status_code=422, detail=str(error)) from None
            query = query.where(
                Case.received_at >= period.start_utc(timezone),
                Case.received_at < period.end_utc(timezone),
            )
        if merchant:
            query = query.where(Case.merchant_name.contains(merchant, autoescape=True))
        if merchant_id is not None:
            query = query.where(Case.merchant_id == merchant_id)
        if q:
            query = query.where(_text_search(q))
        async with sessions() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            rows = await session.scalars(_page(query, page, page_size))
            items = [CaseSummary(**case_fields(case)) for case in rows]
        return CasePage(total=total or 0, page=page, page_size=page_size, items=items)

    @router.get(
        "/cases/{number}",
        response_model=CaseDetail,
        summary="案件详情与处理记录（未脱敏）",
        responses={404: {"description": "没有这个案件"}},
    )
    async def case_detail(number: Annotated[str, PathParam(max_length=32)]) -> CaseDetail:
        async with sessions() as session:
            case = await by_number(session, number)
            if case is None:
                raise HTTPException(status_code=404, detail=f"没有编号为 {number} 的案件")
            events = await timeline(session, case.id)
        entries = [
            TimelineEntry(
                at=event.at,
                kind=event.kind,
                label=event_label(event.kind),
                actor=event.actor,
                actor_id=event.actor_id,
                data=event.data,
            )
            for event in events
        ]
        return CaseDetail(
            **case_fields(case),
            raw_text=case.raw_text,
            masked_text=case.masked_text,
            contacts=list(case.contacts),
            demands=list(case.demands),
            missing=list(case.missing),
            offer_amount=case.offer_amount,
            offer_remedy=case.offer_remedy,
            merchant_replied_at=case.merchant_replied_at,
            updated_at=case.updated_at,
            personal_data_erased_at=case.personal_data_erased_at,
            timeline=entries,
        )

    @router.get("/merchants", response_model=list[MerchantOut], summary="商家名录")
    async def list_merchants(
        q: Annotated[str | None, Query(description="名称包含", max_length=200)] = None,
    ) -> list[MerchantOut]:
        async with sessions() as session:
            return [merchant_out(m) for m in await merchants.all_merchants(session, q)]

    @router.post(
        "/merchants",
        response_model=MerchantOut,
        status_code=201,
        summary="新增商家",
        responses={409: {"description": "同名商家已存在"}},
    )
    async def create_merchant(body: MerchantIn) -> MerchantOut:
        async with sessions.begin() as session:
            with _merchant_refusals():
                merchant, _ = await save_merchant(
                    session, body.model_dump(), now=clock.now(), existing_name="refuse"
                )
            result = merchant_out(merchant)
        await merchants_changed()
        return result

    @router.post(
        "/merchants/import",
        response_model=RegistryImportOut,
        summary="导入商家摸排表（.xlsx 或 .csv；multipart 的 file 字段，或请求体即文件）",
        responses={422: {"description": "文件无法读取或缺少名称列"}},
    )
    async def import_merchants(
        request: Request,
        dry_run: Annotated[bool, Query(description="只给出报告，不写入")] = False,
        skip_bad: Annotated[bool, Query(description="跳过被退回的行，导入其余行")] = False,
        filename: Annotated[
            str | None, Query(max_length=200, description="请求体即文件时的文件名（定格式）")
        ] = None,
    ) -> RegistryImportOut:
        data, name = await _uploaded_file(request, filename)
        try:
            plan = read_import_plan_bytes(data, name)
        except RegistryFileError as error:
            raise HTTPException(status_code=422, detail=str(error)) from error
        async with sessions.begin() as session:
            outcome = await import_registry(
                session, plan, now=clock.now(), dry_run=dry_run, skip_bad=skip_bad
            )
        if outcome.written:
            await merchants_changed()
        report = outcome.report
        return RegistryImportOut(
            ok=report.ok,
            written=outcome.written,
            added=len(report.added),
            updated=len(report.updated),
            unchanged=len(report.unchanged),
            rejected=[
                RejectedRowOut(row=row.row_number, reasons=list(row.reasons))
                for row in report.rejected
            ],
            report=outcome.text(dry_run=dry_run),
        )

    @router.get(
        "/merchants/{merchant_id}",
        response_model=MerchantOut,
        summary="商家信息",
        responses={404: {"description": "没有这个商家"}},
    )
    async def get_merchant(merchant_id: MerchantId) -> MerchantOut:
        async with sessions() as session:
            return merchant_out(await _merchant_or_404(session, merchant_id))

    @router.patch(
        "/merchants/{merchant_id}",
        response_model=MerchantOut,
        summary="修改商家（只改给出的字段）",
        responses={404: {"description": "没有这个商家"}, 409: {"description": "同名商家已存在"}},
    )
    async def update_merchant(merchant_id: MerchantId, body: MerchantPatch) -> MerchantOut:
        changes = body.model_dump(exclude_unset=True)
        # not nullable: null leaves them as they are
        for field in ("name", "aliases", "licences", "committed"):
            if changes.get(field, "") is None:
                del changes[field]
        async with sessions.begin() as session:
            merchant = await _merchant_or_404(session, merchant_id)
            with _merchant_refusals():
                await save_merchant(session, changes, now=clock.now(), merchant=merchant)
            result = merchant_out(merchant)
        await merchants_changed()
        return result

    @router.delete(
        "/merchants/{merchant_id}",
        status_code=204,
        summary="删除商家（没有案件和绑定成员时）",
        responses={404: {"description": "没有这个商家"}, 409: {"description": "仍被引用"}},
    )
    async def delete_merchant(merchant_id: MerchantId) -> Response:
        async with sessions.begin() as session:
            merchant = await _merchant_or_404(session, merchant_id)
            try:
                await remove_merchant(session, merchant)
            except MerchantInUse as in_use:
                cases, members = in_use.cases, in_use.members
                detail = f"该商家有 {cases} 件投诉案件、{members} 个绑定成员，不能删除"
                raise HTTPException(status_code=409, detail=detail) from in_use
        await merchants_changed()
        return Response(status_code=204)

    @router.get("/stats", summary="月度统计（含商家名称、超期和典型案例）")
    async def stats(
        month: Annotated[str, Query(description="月份 YYYY-MM", examples=["2026-06"])],
    ) -> dict[str, Any]:
        period = monthly.parse_or_http(month)
        report = await monthly.report(period)
        return staff_stats(report, complete=monthly.is_complete(period), generated_at=monthly.now())

    @router.get(
        "/export",
        summary="导出月度工作簿（Excel，未脱敏，仅限工作人员）",
        response_class=Response,
        responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "xlsx 文件"}},
    )
    async def export(
        month: Annotated[str, Query(description="月份 YYYY-MM", examples=["2026-06"])],
    ) -> Response:
        period = monthly.parse_or_http(month)
        report = await monthly.report(period)
        async with sessions() as session:
            rows = await export_rows(session, period, timezone)
        as_of = min(period.end_utc(timezone), monthly.now())

        def render() -> bytes:
            buffer = io.BytesIO()
            workbook = build_workbook(
                report,
                rows,
                as_of=as_of,
                calendar=monthly.calendar(),
                policy=monthly.policy or DeadlinePolicy(),
                tz=timezone,
            )
            workbook.save(buffer)
            return buffer.getvalue()

        content = await asyncio.to_thread(render)
        return Response(
            content,
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="tiaojie-{period.key}.xlsx"'},
        )

    return router


def _text_search(q: str) -> Any:
    return or_(
        Case.number.contains(q.upper(), autoescape=True),
        Case.merchant_name.contains(q, autoescape=True),
        Case.reporter_name.contains(q, autoescape=True),
        Case.raw_text.contains(q, autoescape=True),
    )


def _page(query: Select[tuple[Case]], page: int, page_size: int) -> Select[tuple[Case]]:
    return (
        query.order_by(Case.received_at.desc(), Case.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )


async def _uploaded_file(request: Request, filename: str | None) -> tuple[bytes, str]:
    """The file of a multipart upload (field `file`), or the body itself; (bytes, name)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(status_code=422, detail="请在 file 字段上传 .xlsx 或 .csv 文件")
        return await upload.read(), filename or upload.filename or "import.xlsx"
    guessed = "import.csv" if "csv" in content_type or "text/" in content_type else "import.xlsx"
    return await request.body(), filename or guessed


@contextmanager
def _merchant_refusals() -> Iterator[None]:
    """The registry's refusals as HTTP answers."""
    try:
        yield
    except MerchantNameTaken as taken:
        raise HTTPException(
            status_code=409, detail=f"已有同名商家「{taken.name}」（编号 {taken.merchant_id}）"
        ) from taken
    except ValueError as error:
        raise HTTPException(status_code=422, detail="商家名称不能为空") from error


async def _merchant_or_404(session: AsyncSession, merchant_id: int) -> Merchant:
    merchant = await session.get(Merchant, merchant_id)
    if merchant is None:
        raise HTTPException(status_code=404, detail=f"没有编号为 {merchant_id} 的商家")
    return merchant
