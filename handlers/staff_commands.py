"""The commands bureau staff run the district with: statistics, case lists, the Excel export
for the joint meeting, and the merchant registry.

Figures come from `storage.report_queries` (the same report the board and the monthly summary
use). Lists are narrowed to what the asker may see, in SQL: merchants their own cases,
grid workers and others the cases they reported, staff everything. The export carries
personal data, so it goes to the staff member in a private chat (`dm:<member id>`), never
into the group; the group only hears that it was sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from mediation import templates
from mediation import templates as say
from mediation.cases import CaseStatus
from mediation.deadlines import DeadlinePolicy
from mediation.registry import trading_concerns
from mediation.reports import (
    MONTH_WORDS,
    Month,
    MonthlyReport,
    parse_month,
    was_overdue,
)
from mediation.roles import Role
from mediation.workdays import WorkingCalendar
from storage import case_queries, merchants, offices
from storage.area_queries import received_by_area
from storage.export_rows import export_rows
from storage.models import Case
from storage.report_queries import monthly_report

from .context import HandlerContext
from .exports import ExportRow, build_workbook, save_workbook
from .group_commands import merchant_fields
from .meeting_pack import export_meeting_pack
from .merchants import save_merchant
from .registry import STAFF, CommandCall, UsageError, on_command
from .registry_import import entry_of

DIRECT_ROOM_PREFIX = "dm:"
WHOLE_DISTRICT = "全区"  # `/stats 上月 全区`: every office
LIST_LIMIT = 20
MERCHANT_LIST_LIMIT = 30
CASE_LIST_KINDS = {
    "进行中": "open",
    "在办": "open",
    "open": "open",
    "超期": "overdue",
    "overdue": "overdue",
    "我的": "mine",
    "mine": "mine",
}
MERCHANT_ACTIONS = {
    "add": "add",
    "添加": "add",
    "新增": "add",
    "list": "list",
    "列表": "list",
    "info": "info",
    "查看": "info",
    "详情": "info",
}


def _month_arg(ctx: HandlerContext, word: str | None) -> Month:
    """The month named by `word` (default: this month, local time); UsageError if not one."""
    if word is None:
        return Month.of(ctx.now, ctx.config.timezone)
    try:
        return parse_month(word, ctx.local_now.date())
    except ValueError as error:
        raise UsageError from error


def _looks_like_month(word: str) -> bool:
    return word[:1].isdigit() or word in MONTH_WORDS


@on_command("stats", aliases=("统计",), roles=STAFF, usage=templates.USAGE_STATS)
async def cmd_stats(ctx: HandlerContext, call: CommandCall) -> None:
    """`/stats [YYYY-MM|本月|上月] [社区/网格]`: the month's figures, optionally for one grid."""
    if len(call.args) > 2:
        raise UsageError
    month_word = next((w for w in call.args[:1] if _looks_like_month(w)), None)
    rest = call.args[1:] if month_word is not None else call.args
    if len(rest) > 1:
        raise UsageError
    month = _month_arg(ctx, month_word)
    grid = rest[0][:100] if rest else None
    office = await offices.by_name(ctx.session, grid) if grid else None
    if office is not None or grid == WHOLE_DISTRICT:  # an office's figures, or all of them
        grid = None
    report = await monthly_report(
        ctx.session,
        month,
        ctx.config.timezone,
        ctx.calendar,
        grid=grid,
        policy=ctx.config.deadline_policy,
        now=ctx.now,
        office_id=office.id if office is not None else None,
    )
    # merchants sit in the group: each sees only its own cases (summary_show_merchants opts in)
    show_merchants = _in_private_chat(ctx) or ctx.config.summary_show_merchants
    label = office.name if office is not None else grid
    text = templates.stats_report(report, label, show_merchants=show_merchants)
    if grid is None and office is None:
        areas = await received_by_area(ctx.session, month, ctx.config.timezone)
        if not areas.empty:
            text += "\n" + say.area_lines(areas.by_street, areas.by_community)
    await ctx.reply(text)


# merchants, grid workers and members see the cases they may see (`_visible_open_cases`)
@on_command(
    "cases",
    aliases=("案件列表",),
    roles=frozenset({Role.ADMIN, Role.STAFF, Role.GRID_WORKER, Role.MERCHANT}),
    usage=templates.USAGE_CASES,
)
async def cmd_cases(ctx: HandlerContext, call: CommandCall) -> None:
    """`/cases [进行中|超期|我的]`: open cases the asker may see, oldest first."""
    if len(call.args) > 1 or (call.args and call.args[0] not in CASE_LIST_KINDS):
        raise UsageError
    kind = CASE_LIST_KINDS[call.args[0]] if call.args else "open"
    rows = await _visible_open_cases(ctx, mine=kind == "mine")
    tz = ctx.config.timezone
    overdue = {case.number for case in rows if _overdue_now(ctx, case)}
    if kind == "overdue":
        rows = [case for case in rows if case.number in overdue]
    lines = [
        templates.case_list_line(
            case.number,
            CaseStatus(case.status).label,
            case.merchant_name,
            case.received_at.astimezone(tz).date(),
            case.number in overdue,
        )
        for case in rows[:LIST_LIMIT]
    ]
    await ctx.reply(templates.case_list(kind, len(rows), lines))


async def _visible_open_cases(ctx: HandlerContext, *, mine: bool) -> list[Case]:
    """The SQL twin of `permissions.may_see_case`, plus 我的 (assigned to / reported by me)."""
    role = ctx.role
    # in a group, everyone (staff too) sees only the group's own cases: other groups' cases
    # are listed to staff by private message (issue 17.10)
    room = None if ctx.message.room_id.startswith("dm:") else ctx.message.room_id
    if role.is_staff:
        assignee = ctx.sender.id if mine else None
        office = None if role is Role.ADMIN else ctx.sender.office_id
        return await case_queries.open_cases(
            ctx.session, assignee_id=assignee, office_id=office, room_id=room
        )
    if role is Role.MERCHANT:
        if ctx.sender.merchant_id is None:
            return []
        return await case_queries.open_cases(
            ctx.session, merchant_id=ctx.sender.merchant_id, room_id=room
        )
    return await case_queries.open_cases(ctx.session, reporter_id=ctx.sender.id, room_id=room)


def _overdue_now(ctx: HandlerContext, case: Case) -> bool:
    return was_overdue(
        received_at=case.received_at,
        accepted_at=case.accepted_at,
        closed_at=case.closed_at,
        as_of=ctx.now,
        calendar=ctx.calendar,
        policy=ctx.config.deadline_policy,
        tz=ctx.config.timezone,
    )


# carries personal data: sent to the staff member privately
@on_command("export", aliases=("导出",), roles=STAFF, usage=templates.USAGE_EXPORT)
async def cmd_export(ctx: HandlerContext, call: CommandCall) -> None:
    """`/export [YYYY-MM]`: the month's workbook, sent privately to the staff member."""
    if call.args and call.args[0] == say.MEETING_WORD:  # `/export 联席会议 [月]` (issue 21)
        await export_meeting_pack(ctx, call.args[1:])
        return
    if len(call.args) > 1:
        raise UsageError
    month = _month_arg(ctx, call.args[0] if call.args else None)
    tz = ctx.config.timezone
    report = await monthly_report(
        ctx.session,
        month,
        tz,
        ctx.calendar,
        policy=ctx.config.deadline_policy,
        now=ctx.now,
    )
    rows = await export_rows(ctx.session, month, tz)
    path = await asyncio.to_thread(
        _write_workbook,
        report,
        rows,
        as_of=min(month.end_utc(tz), ctx.now),
        calendar=ctx.calendar,
        policy=ctx.config.deadline_policy,
        tz=tz,
        directory=ctx.config.data_dir / "media",
    )
    private_room = _private_room_of(ctx)
    await ctx.reply(
        templates.export_caption(month.label, len(rows)),
        room_id=private_room,
        image_path=str(path),
    )
    if private_room != ctx.message.room_id:
        await ctx.reply(templates.export_sent(month.label))


def _write_workbook(
    report: MonthlyReport,
    rows: Sequence[ExportRow],
    *,
    as_of: datetime,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy,
    tz: ZoneInfo,
    directory: Path,
) -> Path:
    """Build and save the export (in a thread: a city's month is tens of thousands of rows)."""
    workbook = build_workbook(report, rows, as_of=as_of, calendar=calendar, policy=policy, tz=tz)
    return save_workbook(workbook, directory, report.month.key)


def _private_room_of(ctx: HandlerContext) -> str:
    if _in_private_chat(ctx):
        return ctx.message.room_id
    return DIRECT_ROOM_PREFIX + ctx.sender.id


def _in_private_chat(ctx: HandlerContext) -> bool:
    return ctx.message.is_direct or ctx.message.room_id.startswith(DIRECT_ROOM_PREFIX)


@on_command("merchant", aliases=("商家",), roles=STAFF, usage=templates.USAGE_MERCHANT)
async def cmd_merchant(ctx: HandlerContext, call: CommandCall) -> None:
    """`/merchant 名称 | add | list | info`: the merchant registry (a bare name is `info`)."""
    if not call.args:
        raise UsageError
    action = MERCHANT_ACTIONS.get(call.args[0].lower())
    args = call.args[1:] if action is not None else call.args
    action = action or "info"
    if action == "add":
        await _merchant_add(ctx, args)
    elif action == "list":
        await _merchant_list(ctx, args)
    else:
        await _merchant_info(ctx, args)


async def _merchant_add(ctx: HandlerContext, args: list[str]) -> None:
    if not args or len(args) > 3:
        raise UsageError
    merchant, created = await save_merchant(ctx.session, merchant_fields(args), now=ctx.now)
    ctx.reload.add("merchants")  # this process reloads; the others see the version raised
    await ctx.reply(templates.merchant_saved(merchant.name, created))


async def _merchant_list(ctx: HandlerContext, args: list[str]) -> None:
    if len(args) > 1:
        raise UsageError
    rows = await merchants.with_open_case_counts(ctx.session, args[0][:100] if args else None)
    await ctx.reply(templates.merchant_list(rows[:MERCHANT_LIST_LIMIT], len(rows)))


async def _merchant_info(ctx: HandlerContext, args: list[str]) -> None:
    if len(args) != 1:
        raise UsageError
    merchant = await merchants.by_name_or_alias(ctx.session, args[0])
    if merchant is None:
        await ctx.reply(templates.unknown_merchant(args[0][:100]))
        return
    record = await merchants.record_of(ctx.session, merchant.id)
    tz = ctx.config.timezone
    recent = [
        say.merchant_case_line(
            case.number, CaseStatus(case.status).label, case.received_at.astimezone(tz).date()
        )
        for case in await merchants.recent_cases(ctx.session, merchant.id)
    ]
    entry = entry_of(merchant)
    registry = say.merchant_registry_lines(
        street=entry.street,
        community=entry.community,
        status=entry.status.value if entry.status else None,
        concerns=list(trading_concerns(entry, ctx.local_now.date())),
        licences=list(entry.licences),
        licence_valid_until=entry.licence_valid_until,
        committed=entry.committed,
        committed_on=entry.committed_on,
        cases=recent,
    )
    info = (
        templates.merchant_info(
            merchant.name,
            list(merchant.aliases),
            merchant.licence_no,
            merchant.address,
            merchant.grid,
            record.bound_members,
            record.cases,
            record.open_cases,
            record.resolved,
            record.money_returned,
        )
    )
    await ctx.reply(f"{info}\n{registry}")
