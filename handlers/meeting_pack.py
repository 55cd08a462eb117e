"""The joint-meeting pack (信息共享联席工作会议): a printable staff document for a month.

Figures per street, community and grid; the hot issues; overdue and stuck cases; merchants
with repeated complaints; registry problems (not trading, expired licences); the month's
typical cases; charts. It names merchants and case numbers (never a consumer), so it is
staff-only: `/export 联席会议 [月]` sends it privately as an HTML file, and `/meeting/YYYY-MM`
(`web/meeting.py`) shows it behind a staff token. The page is laid out for A4 paper.

The HTML comes from the Jinja2 template `web/templates/meeting.html` (with the board's
templates, so the pages share one look); the charts are embedded as data URIs, so the file
stands alone.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from mediation import templates as say
from mediation.cases import CLOSED_STATUSES, CaseStatus
from mediation.charts import NoChineseFont
from mediation.registry import trading_concerns
from mediation.reports import Month, MonthlyReport, parse_month
from mediation.roles import Role
from mediation.workdays import WorkingCalendar
from storage import case_queries, meeting_queries, offices
from storage.models import Case
from storage.report_queries import monthly_report

from .context import DIRECT_ROOM_PREFIX, HandlerConfig, HandlerContext
from .hot_issue_report import HotIssues, category_trend, hot_issues, trend_chart
from .hot_issue_report import typical_cases_of_month as typical_of_month
from .registry import UsageError
from .registry_import import entry_of

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "web" / "templates"
STUCK_DAYS = 7  # an open case nobody touched for this long is stuck
LIST_LIMIT = 40
CLOSED_VALUES = frozenset(status.value for status in CLOSED_STATUSES)


@dataclass(frozen=True)
class AreaRow:
    street: str
    community: str
    grid: str
    received: int
    closed: int
    resolved: int


@dataclass(frozen=True)
class CaseLine:
    number: str
    merchant: str
    status: str
    received: str
    note: str = ""


@dataclass(frozen=True)
class MeetingPack:
    month: Month
    title: str
    generated: str
    report: MonthlyReport
    areas: list[AreaRow]
    hot: HotIssues
    overdue: list[CaseLine]
    stuck: list[CaseLine]
    repeated_merchants: list[tuple[str, int, str]]  # name, complaints, numbers
    registry_problems: list[str]
    typical: list[tuple[str, str]]  # title, text
    charts: list[tuple[str, str]]  # alt text, data URI


async def build_meeting_pack(
    session: AsyncSession,
    month: Month,
    *,
    config: HandlerConfig,
    calendar: WorkingCalendar,
    now: datetime,
    office_id: int | None = None,
    office_name: str | None = None,
) -> MeetingPack:
    tz = config.timezone
    report = await monthly_report(
        session, month, tz, calendar, policy=config.deadline_policy, now=now, office_id=office_id
    )
    received = await meeting_queries.received_in_month(session, month, tz, office_id)
    open_cases = await case_queries.open_cases(session, office_id=office_id)
    issues = await hot_issues(session, month, tz, office_id, show_merchants=True)
    trend = await category_trend(session, month, tz, office_id)
    typical = await typical_of_month(session, month, tz, office_id)
    today = now.astimezone(tz).date()
    problems = [
        say.registry_problem_line(merchant.name, list(concerns))
        for merchant in await meeting_queries.registered_merchants(session)
        if (concerns := trading_concerns(entry_of(merchant), today))
    ]
    charts = await asyncio.to_thread(_charts, report, trend)
    return MeetingPack(
        month=month,
        title=say.meeting_title(month.label, office_name),
        generated=f"{now.astimezone(tz):%Y-%m-%d %H:%M}",
        report=report,
        areas=_areas(received),
        hot=issues,
        overdue=[
            _line(case, tz)
            for case in open_cases
            if case.overdue_at is not None and case.overdue_at <= now
        ][:LIST_LIMIT],
        stuck=[
            _line(case, tz, f"{(now - case.updated_at).days}天无进展")
            for case in open_cases
            if case.updated_at <= now - timedelta(days=STUCK_DAYS)
        ][:LIST_LIMIT],
        repeated_merchants=_repeated(received),
        registry_problems=problems[:LIST_LIMIT],
        typical=[(row.title, row.text) for row in reversed(typical)],
        charts=charts,
    )


def _areas(cases: list[Case]) -> list[AreaRow]:
    counts: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    for case in cases:
        key = (case.street or say.NO_AREA, case.community or say.NO_AREA, case.grid or say.NO_AREA)
        counts[key]["received"] += 1
        counts[key]["closed"] += case.status in CLOSED_VALUES
        counts[key]["resolved"] += case.status == CaseStatus.RESOLVED.value
    rows = [
        AreaRow(*key, count["received"], count["closed"], count["resolved"])
        for key, count in counts.items()
    ]
    return sorted(rows, key=lambda row: (row.street, row.community, row.grid))


def _repeated(cases: list[Case]) -> list[tuple[str, int, str]]:
    by_merchant: dict[str, list[str]] = defaultdict(list)
    for case in cases:
        if case.merchant_name:
            by_merchant[case.merchant_name].append(case.number)
    repeated = [
        (name, len(numbers), "、".join(numbers))
        for name, numbers in by_merchant.items()
        if len(numbers) >= 2
    ]
    return sorted(repeated, key=lambda item: (-item[1], item[0]))[:LIST_LIMIT]


def _line(case: Case, tz: object, note: str = "") -> CaseLine:
    received = case.received_at.astimezone(tz)  # type: ignore[arg-type]
    return CaseLine(
        case.number,
        case.merchant_name or "—",
        CaseStatus(case.status).label,
        f"{received:%Y-%m-%d}",
        note,
    )


def _charts(report: MonthlyReport, trend: object) -> list[tuple[str, str]]:
    from mediation.charts import category_bar_chart

    try:
        pngs = [
            (f"{report.month.label}投诉类别", category_bar_chart(
                f"{report.month.label}投诉类别", report.by_category
            )),
            ("近12个月投诉类别走势", trend_chart(trend)),  # type: ignore[arg-type]
        ]  # fmt: skip
    except NoChineseFont:
        return []
    return [
        (alt, "data:image/png;base64," + base64.b64encode(png).decode("ascii")) for alt, png in pngs
    ]


@cache
def _environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_meeting_pack(pack: MeetingPack) -> str:
    return _environment().get_template("meeting.html").render(pack=pack)


def save_meeting_pack(html: str, directory: Path, month: Month) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"meeting-{month.key}.html"
    partial = path.with_name(f"{path.name}.{secrets.token_hex(6)}.part")
    partial.write_text(html, encoding="utf-8")
    os.replace(partial, path)
    return path


async def export_meeting_pack(ctx: HandlerContext, args: list[str]) -> None:
    """`/export 联席会议 [月]`: the pack as an HTML file, sent privately to the staff member
    (the group hears only that it was sent). Staff get their office's pack, admins the
    district's."""
    if len(args) > 1:
        raise UsageError
    try:
        month = (
            parse_month(args[0], ctx.local_now.date())
            if args
            else Month.of(ctx.now, ctx.config.timezone)
        )
    except ValueError as error:
        raise UsageError from error
    office_id = None if ctx.role is Role.ADMIN else ctx.sender.office_id
    office = await offices.by_id(ctx.session, office_id) if office_id is not None else None
    several = len(await offices.all_offices(ctx.session)) > 1
    pack = await build_meeting_pack(
        ctx.session,
        month,
        config=ctx.config,
        calendar=ctx.calendar,
        now=ctx.now,
        office_id=office_id,
        office_name=office.name if office is not None and several else None,
    )
    path = await asyncio.to_thread(
        save_meeting_pack, render_meeting_pack(pack), ctx.config.data_dir / "media", month
    )
    in_private = ctx.message.is_direct or ctx.message.room_id.startswith(DIRECT_ROOM_PREFIX)
    private_room = ctx.message.room_id if in_private else DIRECT_ROOM_PREFIX + ctx.sender.id
    await ctx.reply(say.meeting_caption(month.label), room_id=private_room, image_path=str(path))
    if not in_private:
        await ctx.reply(say.meeting_sent(month.label))
