"""The Excel workbook for the monthly joint meeting (联席会议): one sheet of cases, one of
figures.

It is a staff-only document: the case sheet carries the reporter's name, the raw contact
numbers and the complaint as written, which is why it is only ever sent to a staff member
directly and never posted into a group. The figures sheet is the same `MonthlyReport` the
chat, the board and the summary show, so the meeting sees the numbers everyone else saw.

openpyxl (with the numpy it pulls in) takes about 0.4 s to import, so it is imported when a
workbook is built, not when the bot starts.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from mediation.cases import CaseStatus
from mediation.deadlines import DeadlinePolicy
from mediation.reports import CalendarFacts, CalendarFactsCalculator, MonthlyReport
from mediation.workdays import WorkingCalendar

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

CASE_SHEET = "案件"
STATS_SHEET = "统计"
CASE_COLUMNS = (
    ("编号", 16),
    ("登记时间", 17),
    ("受理时间", 17),
    ("结案时间", 17),
    ("状态", 10),
    ("被投诉方", 22),
    ("网格", 14),
    ("类别", 12),
    ("大类", 8),
    ("投诉性质", 10),
    ("涉及金额（元）", 12),
    ("诉求", 14),
    ("挽回金额（元）", 12),
    ("满意度", 8),
    ("超期", 6),
    ("办结工作日", 10),
    ("投诉人", 12),
    ("联系电话", 16),
    ("投诉内容", 60),
)
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# What a spreadsheet may read as the start of a formula (full-width forms too: Excel's IME
# input converts them)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


class ExportFailed(Exception):
    """The workbook could not be built; the message names the case, never a cell's value."""


class ExportRow(Protocol):
    """A case as `storage.reports.export_rows` reads it."""

    number: str
    received_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None
    status: str
    merchant_name: str | None
    grid: str | None
    category: str | None
    category_group: str | None
    problem: str | None
    amount: Decimal | None
    demands: list[str]
    money_returned: Decimal | None
    rating: int | None
    reporter_name: str
    contacts: list[str]
    raw_text: str
    overdue_at: datetime | None
    working_days_to_close: int | None


def stored_or_worked_out(row: ExportRow, calculator: CalendarFactsCalculator) -> CalendarFacts:
    """The case's calendar facts as stored on it, or, for the few not worked out yet (fresh
    from intake, closed by a command, until the next sweep), worked out now."""
    if row.overdue_at is None and row.working_days_to_close is None:
        return calculator.facts(row.received_at, row.accepted_at, row.closed_at)
    return CalendarFacts(row.overdue_at, row.working_days_to_close)


def build_workbook(
    report: MonthlyReport,
    cases: Sequence[ExportRow],
    *,
    as_of: datetime,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy,
    tz: ZoneInfo,
) -> Workbook:
    """Cases active in the month (with their registry grid) and the month's figures, each
    case judged overdue at `as_of`. Pure CPU over plain rows: callers run it in a thread,
    as a city's month takes seconds."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = CASE_SHEET
    _header(sheet, [name for name, _ in CASE_COLUMNS])
    for index, (_, width) in enumerate(CASE_COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    calculator = CalendarFactsCalculator(calendar, policy, tz)
    for case in cases:
        try:
            _append_case(sheet, case, calculator, as_of=as_of, tz=tz)
        except Exception as error:
            # the message names the case and the error's kind only: openpyxl's own messages
            # quote the cell's value (a consumer's phone, the complaint), and this one ends up
            # in the log and in inbox.error
            raise ExportFailed(f"{case.number}: {type(error).__name__}") from None
    for column in (2, 3, 4):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = DATETIME_FORMAT
    sheet.freeze_panes = "B2"
    _stats_sheet(workbook.create_sheet(STATS_SHEET), report)
    return workbook


def _append_case(
    sheet: Worksheet,
    case: ExportRow,
    calculator: CalendarFactsCalculator,
    *,
    as_of: datetime,
    tz: ZoneInfo,
) -> None:
    facts = stored_or_worked_out(case, calculator)
    _append_as_text(
        sheet,
        [
            case.number,
            _local(case.received_at, tz),
            _local(case.accepted_at, tz),
            _local(case.closed_at, tz),
            CaseStatus(case.status).label,
            case.merchant_name or "",
            case.grid or "",
            case.category or "",
            case.category_group or "",
            case.problem or "",
            _number(case.amount),
            "、".join(case.demands),
            _number(case.money_returned),
            case.rating,
            "是" if facts.overdue_by(as_of) else "",
            facts.working_days_to_close,
            case.reporter_name,
            "、".join(case.contacts),
            case.raw_text,
        ],
    )


def cell_text(value: str) -> str:
    """A string as a cell may hold it: without the control characters the file format
    refuses (one of them made the whole month's export fail)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _append_as_text(sheet: Worksheet, values: list[object]) -> None:
    """Append a row whose strings are text, whatever they start with.

    openpyxl turns a string starting with "=" into a live formula; Excel and LibreOffice also
    read + - @ (and a leading tab or return) as the start of one. Any member chooses their
    display name and the complaint text, so such a string is stored as a text cell with a
    quote prefix: shown as typed, never evaluated, even after the cell is edited.
    """
    sheet.append([cell_text(value) if isinstance(value, str) else value for value in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
            cell.data_type = "s"
            cell.quotePrefix = True


def _stats_sheet(sheet: Worksheet, report: MonthlyReport) -> None:
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 16
    _header(sheet, [f"{report.month.label}指标", "数值"])
    rows: list[tuple[str, object]] = [
        ("收到投诉（件）", report.received),
        ("受理（件）", report.accepted),
        ("办结（件）", report.closed),
        ("调解成功（件）", report.resolved),
        ("调解失败（件）", report.failed),
        ("调解成功率", report.success_rate),
        ("挽回经济损失（元）", _number(report.money_returned)),
        ("超期（件）", report.overdue),
        ("平均办结用时（工作日）", report.avg_working_days_to_close),
        ("平均满意度（分）", report.avg_rating),
        ("评价数（件）", report.rated),
        ("上月收到投诉（件）", report.previous_received),
        ("环比", report.month_on_month),
        ("去年同月收到投诉（件）", report.last_year_received),
        ("同比", report.year_on_year),
        ("典型案例", "、".join(report.typical_cases)),
    ]
    for label, value in rows:
        _append_as_text(sheet, [label, value])
        if label in ("调解成功率", "环比", "同比"):
            sheet.cell(row=sheet.max_row, column=2).number_format = "0.0%"
    for title, items in (
        ("按类别", report.by_category),
        ("按投诉性质", report.by_problem),
        ("被投诉较多的商家", report.top_merchants),
        ("热点网格", report.hot_spots),
    ):
        sheet.append([])
        _header(sheet, [title, "件数"])
        for label, count in items:
            _append_as_text(sheet, [label, count])


def save_workbook(workbook: Workbook, directory: Path, month_key: str) -> Path:
    """Write atomically under an unguessable name (the sandbox serves files by name)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"export-{month_key}-{secrets.token_hex(8)}.xlsx"
    partial = path.with_suffix(".part")
    workbook.save(partial)
    os.replace(partial, path)
    return path


def _header(sheet: Worksheet, names: list[str]) -> None:
    from openpyxl.styles import Font

    sheet.append(names)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def _local(instant: datetime | None, tz: ZoneInfo) -> datetime | None:
    """Local wall-clock time without a zone: Excel cells cannot hold one."""
    if instant is None:
        return None
    return instant.astimezone(tz).replace(tzinfo=None, microsecond=0)


def _number(amount: Decimal | None) -> float | None:
    return None if amount is None else float(amount)
