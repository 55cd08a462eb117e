"""The merchant registry as the street survey (摸排) keeps it: reading and checking its rows.

Street offices and grid workers keep their survey of the district's businesses in a
spreadsheet. This module turns such a sheet (already read into a header and rows of cells
by `handlers.registry_files`) into registry entries, says which rows are wrong and why, and
decides what an import would change. It does no I/O: the caller loads the existing entries,
shows the report and writes what it says.

Interface (frozen dataclasses in, frozen dataclasses out):

- `read_rows(header, rows, *, header_row=1) -> ImportPlan`: the header's columns may come
  in any order, spelt with surrounding or full-width spaces, full-width letters, or a note in
  brackets (「名称（必填）」); unknown columns are listed in `ImportPlan.ignored_columns`. A
  sheet without a 名称 column, or with a column twice, raises `RegistryHeaderError` (the
  file as a whole is unusable). Each row is checked on its own (name present, credit-code
  check digit per GB 32100-2015, status known, dates and 是/否 readable) and against the
  rows above it (same credit code or same name: the later row is rejected). Row numbers are
  those the spreadsheet shows: the header is row `header_row`, the first data row the next.
  Rows with every cell blank are skipped.
- `plan_upsert(plan, existing) -> UpsertReport`: matches each good row to an existing entry
  by credit code, else by exact name, and sorts it into added / updated (with the columns
  that change) / unchanged / rejected. A column absent from the sheet keeps the existing
  value; a column present but blank clears it (except the credit code, which a blank never
  erases). A row whose name belongs to another entry, or that matches the same entry as an
  earlier row, is rejected. `report.ok` is True when no row was rejected (the caller
  imports all or nothing unless told to skip bad rows).
- `export_rows(entries) -> (header, rows)`: every column, cells as text, in a form
  `read_rows` reads back to the same entries.
- `trading_concerns(entry, today) -> tuple[str, ...]`: why a complaint against this
  merchant is a lead for staff (not 在营, licence expired; Chinese, empty when none), and
  `licences_expiring(entries, today, days=30)`: the entries for the daily staff digest.

Cells may be str, int, float, date/datetime or None, as openpyxl and csv give them. Dates
are read from 2027-03-31, 2027/3/31, 2027.3.31, 20270331, 2027年3月31日, an Excel date
serial (a number) or a date object; 长期 (a licence without end) reads as blank. Status
accepts the five survey words and the synonyms the national enterprise-credit system uses
(存续/开业 → 在营, 停业 → 歇业).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from mediation import templates as say
from mediation.privacy import strip_hidden

Cell = str | int | float | date | datetime | None


class Column(StrEnum):
    """The sheet's columns, as their headers read (the canonical spelling)."""

    NAME = "名称"
    CREDIT_CODE = "统一社会信用代码"
    ALIASES = "别名"
    ADDRESS = "地址"
    STREET = "街道"
    COMMUNITY = "社区"
    GRID = "网格"
    STATUS = "经营状态"
    LICENCES = "证照"
    LICENCE_VALID_UNTIL = "许可证有效期至"
    COMMITTED = "放心消费承诺"
    COMMITTED_ON = "承诺日期"


# Other spellings seen in survey sheets, after normalising (see `_header_key`).
_HEADER_SYNONYMS: dict[str, Column] = {
    "商家名称": Column.NAME,
    "经营者名称": Column.NAME,
    "企业名称": Column.NAME,
    "主体名称": Column.NAME,
    "社会信用代码": Column.CREDIT_CODE,
    "信用代码": Column.CREDIT_CODE,
    "经营地址": Column.ADDRESS,
    "经营场所": Column.ADDRESS,
    "所属街道": Column.STREET,
    "所属社区": Column.COMMUNITY,
    "所属网格": Column.GRID,
    "状态": Column.STATUS,
    "证照情况": Column.LICENCES,
    "许可证有效期": Column.LICENCE_VALID_UNTIL,
    "有效期至": Column.LICENCE_VALID_UNTIL,
    "放心消费承诺单位": Column.COMMITTED,
    "是否放心消费承诺": Column.COMMITTED,
}


class BusinessStatus(StrEnum):
    OPERATING = "在营"
    SUSPENDED = "歇业"
    DEREGISTERED = "注销"
    REVOKED = "吊销"
    MOVED_OUT = "迁出"

    @property
    def trading(self) -> bool:
        """Only 在营 may trade; a complaint against any other is a lead for staff."""
        return self is BusinessStatus.OPERATING


_STATUS_SYNONYMS = {"存续": "在营", "开业": "在营", "在业": "在营", "营业": "在营", "停业": "歇业"}
_YES = frozenset({"是", "已承诺", "y", "yes", "true", "1", "√", "✓"})
_NO = frozenset({"", "否", "未承诺", "n", "no", "false", "0", "×"})


@dataclass(frozen=True)
class RegistryEntry:
    """One merchant in the registry. Also the shape of the existing entries to compare with."""

    name: str
    credit_code: str | None = None
    aliases: tuple[str, ...] = ()
    address: str | None = None
    street: str | None = None
    community: str | None = None
    grid: str | None = None
    status: BusinessStatus | None = None  # None: not surveyed
    licences: tuple[str, ...] = ()
    licence_valid_until: date | None = None
    committed: bool = False  # 放心消费承诺
    committed_on: date | None = None

    def licence_expired(self, today: date) -> bool:
        return self.licence_valid_until is not None and self.licence_valid_until < today

    def licence_expires_within(self, today: date, days: int) -> bool:
        """Still valid today but ending within `days` days (the staff digest's list)."""
        until = self.licence_valid_until
        return until is not None and today <= until <= today + timedelta(days=days)


_FIELD_OF: dict[Column, str] = {
    Column.NAME: "name",
    Column.CREDIT_CODE: "credit_code",
    Column.ALIASES: "aliases",
    Column.ADDRESS: "address",
    Column.STREET: "street",
    Column.COMMUNITY: "community",
    Column.GRID: "grid",
    Column.STATUS: "status",
    Column.LICENCES: "licences",
    Column.LICENCE_VALID_UNTIL: "licence_valid_until",
    Column.COMMITTED: "committed",
    Column.COMMITTED_ON: "committed_on",
}


@dataclass(frozen=True)
class RegistryRow:
    """A good row: its number in the sheet and the entry it describes."""

    row_number: int
    entry: RegistryEntry


@dataclass(frozen=True)
class RejectedRow:
    row_number: int
    reasons: tuple[str, ...]  # Chinese, for the import report

    @property
    def message(self) -> str:
        return say.row_rejected(self.row_number, self.reasons)


@dataclass(frozen=True)
class ImportPlan:
    """What a sheet says, checked row by row; nothing compared with the registry yet."""

    columns: frozenset[Column]
    rows: tuple[RegistryRow, ...]
    rejected: tuple[RejectedRow, ...]
    ignored_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegistryUpdate:
    """An existing entry (`before`, found by its name) and what the row makes of it."""

    row_number: int
    before: RegistryEntry
    after: RegistryEntry
    changed: tuple[Column, ...]


@dataclass(frozen=True)
class UpsertReport:
    added: tuple[RegistryRow, ...] = ()
    updated: tuple[RegistryUpdate, ...] = ()
    unchanged: tuple[RegistryRow, ...] = ()
    rejected: tuple[RejectedRow, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.rejected


class RegistryHeaderError(ValueError):
    """The sheet's header makes the whole file unusable; the message is Chinese."""


# --- the credit code (统一社会信用代码), GB 32100-2015

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I O Z S V
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_digit(first_17: str) -> str:
    """The 18th character: weights 3^i mod 31, check = 31 - (sum mod 31), 31 read as 0."""
    total = sum(
        CREDIT_CODE_ALPHABET.index(char) * weight
        for char, weight in zip(first_17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def normalise_credit_code(text: str) -> str:
    """Upper case ASCII without spaces or hyphens (full-width characters folded)."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text)).upper()


def credit_code_problem(code: str) -> str | None:
    """Why a (normalised) credit code is wrong, in Chinese; None when it is valid.

    Positions 1–2 (registering authority, entity type) and 9–18 come from the 31-character
    alphabet, positions 3–8 (the administrative division) are digits, and the 18th is the
    check character. (python-stdnum's `cn.uscc` insists on digits in positions 1–2 too,
    which the standard does not: 农村集体经济组织 codes start with N.)
    """
    if len(code) != 18:
        return say.credit_code_length(len(code))
    if any(char not in CREDIT_CODE_ALPHABET for char in code) or not code[2:8].isdigit():
        return say.credit_code_characters()
    if credit_code_check_digit(code[:17]) != code[17]:
        return say.credit_code_check_digit()
    return None


# --- reading cells


_NO_END = frozenset({"长期", "长期有效", "永久", "永久有效", "无期限"})  # licences without end
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 leap-year bug)
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_TIME_TAIL = re.compile(r"[\sT]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_ALIAS_SEPARATORS = re.compile(r"[、,，]")
_LICENCE_SEPARATORS = re.compile(r"[;；、]")


def cell_text(cell: Cell) -> str:
    """A cell as trimmed text: whole floats lose their `.0`, dates are ISO, None is blank."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return strip_hidden(str(cell)).strip().strip("\u3000").strip()


def parse_day(cell: Cell) -> date | None:
    """A date in one of the spreadsheet forms above; None for a blank; ValueError otherwise."""
    if cell is None:
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, bool):
        raise ValueError(cell)
    if isinstance(cell, int | float):
        if not 1 <= cell < 2958466:  # Excel's last serial is 9999-12-31
            raise ValueError(cell)
        return _EXCEL_EPOCH + timedelta(days=int(cell))
    text = _TIME_TAIL.sub("", unicodedata.normalize("NFKC", cell_text(cell)))
    if not text or text in _NO_END:
        return None
    match = _DATE_TEXT.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


def parse_status(text: str) -> BusinessStatus | None:
    """One of the five survey words or a synonym; None for a blank; ValueError otherwise."""
    word = re.sub(r"\s", "", unicodedata.normalize("NFKC", text))
    if not word:
        return None
    word = _STATUS_SYNONYMS.get(word, word)
    return BusinessStatus(word)


def parse_yes_no(text: str) -> bool:
    word = unicodedata.normalize("NFKC", text).strip().lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ValueError(text)


def split_list(text: str, separators: re.Pattern[str], *, leave_out: str = "") -> tuple[str, ...]:
    """Items in order, blanks and repeats (and `leave_out`) dropped."""
    items: list[str] = []
    for item in separators.split(text):
        item = item.strip().strip("\u3000").strip()
        if item and item != leave_out and item not in items:
            items.append(item)
    return tuple(items)


# --- the header


def _header_key(text: str) -> str:
    """Fold full-width forms, drop whitespace and a bracketed note: 「 名称（必填）」→ 名称."""
    folded = unicodedata.normalize("NFKC", strip_hidden(text))
    folded = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", folded)
    return re.sub(r"[\s*:：]", "", folded)


def _read_header(header: Sequence[Cell]) -> tuple[dict[Column, int], tuple[str, ...]]:
    known = {column.value: column for column in Column} | _HEADER_SYNONYMS
    positions: dict[Column, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        key = _header_key(cell_text(cell))
        if not key:
            continue
        column = known.get(key)
        if column is None:
            ignored.append(cell_text(cell))
        elif column in positions:
            raise RegistryHeaderError(say.repeated_column(column.value))
        else:
            positions[column] = index
    if Column.NAME not in positions:
        raise RegistryHeaderError(say.missing_column(Column.NAME.value))
    return positions, tuple(ignored)


# --- rows


def _read_entry(cells: dict[Column, Cell]) -> tuple[RegistryEntry | None, list[str]]:
    reasons: list[str] = []

    def text(column: Column) -> str:
        return cell_text(cells.get(column))

    def optional(column: Column) -> str | None:
        return text(column) or None

    def day(column: Column) -> date | None:
        try:
            return parse_day(cells.get(column))
        except ValueError:
            reasons.append(say.bad_date(column.value, text(column)))
            return None

    name = text(Column.NAME)
    if not name:
        reasons.append(say.missing_name())
    code = normalise_credit_code(text(Column.CREDIT_CODE)) or None
    if code is not None and (problem := credit_code_problem(code)) is not None:
        reasons.append(problem)
    try:
        status = parse_status(text(Column.STATUS))
    except ValueError:
        allowed = tuple(status.value for status in BusinessStatus)
        reasons.append(say.unknown_status(text(Column.STATUS), allowed))
        status = None
    try:
        committed = parse_yes_no(text(Column.COMMITTED))
    except ValueError:
        reasons.append(say.bad_yes_no(Column.COMMITTED.value, text(Column.COMMITTED)))
        committed = False
    valid_until = day(Column.LICENCE_VALID_UNTIL)
    committed_on = day(Column.COMMITTED_ON)
    if reasons:
        return None, reasons
    entry = RegistryEntry(
        name=name,
        credit_code=code,
        aliases=split_list(text(Column.ALIASES), _ALIAS_SEPARATORS, leave_out=name),
        address=optional(Column.ADDRESS),
        street=optional(Column.STREET),
        community=optional(Column.COMMUNITY),
        grid=optional(Column.GRID),
        status=status,
        licences=split_list(text(Column.LICENCES), _LICENCE_SEPARATORS),
        licence_valid_until=valid_until,
        committed=committed,
        committed_on=committed_on,
    )
    return entry, []


def read_rows(
    header: Sequence[Cell], rows: Iterable[Sequence[Cell]], *, header_row: int = 1
) -> ImportPlan:
    """Check a sheet's rows; see the module docstring. Raises `RegistryHeaderError`."""
    positions, ignored = _read_header(header)
    good: list[RegistryRow] = []
    rejected: list[RejectedRow] = []
    row_of_code: dict[str, int] = {}
    row_of_name: dict[str, int] = {}
    for offset, row in enumerate(rows, start=1):
        row_number = header_row + offset
        if all(cell_text(cell) == "" for cell in row):
            continue
        cells = {
            column: row[index] if index < len(row) else None for column, index in positions.items()
        }
        entry, reasons = _read_entry(cells)
        if entry is not None:
            if entry.credit_code is not None and entry.credit_code in row_of_code:
                reasons.append(say.duplicate_row(row_of_code[entry.credit_code], True))
            elif entry.name in row_of_name:
                reasons.append(say.duplicate_row(row_of_name[entry.name], False))
        if entry is None or reasons:
            rejected.append(RejectedRow(row_number, tuple(reasons)))
            continue
        if entry.credit_code is not None:
            row_of_code[entry.credit_code] = row_number
        row_of_name[entry.name] = row_number
        good.append(RegistryRow(row_number, entry))
    return ImportPlan(frozenset(positions), tuple(good), tuple(rejected), ignored)


def _merged(before: RegistryEntry, row: RegistryEntry, columns: frozenset[Column]) -> RegistryEntry:
    """`row`'s values for the sheet's columns, `before`'s for the others."""
    kept = {
        _FIELD_OF[column]: getattr(before, _FIELD_OF[column])
        for column in Column
        if column not in columns
    }
    if row.credit_code is None:  # a blank code never erases a known one
        kept["credit_code"] = before.credit_code
    return replace(row, **kept)


def plan_upsert(plan: ImportPlan, existing: Iterable[RegistryEntry]) -> UpsertReport:
    """Decide what importing `plan` into a registry holding `existing` would do."""
    entries = list(existing)
    by_code = {entry.credit_code: entry for entry in entries if entry.credit_code}
    by_name = {entry.name: entry for entry in entries}
    added: list[RegistryRow] = []
    updated: list[RegistryUpdate] = []
    unchanged: list[RegistryRow] = []
    rejected = list(plan.rejected)
    matched_by_row: dict[str, int] = {}  # existing entry's name -> the row that matched it
    for row in plan.rows:
        entry = row.entry
        before = by_code.get(entry.credit_code) if entry.credit_code else None
        if before is None:
            before = by_name.get(entry.name)
            if (
                before is not None
                and entry.credit_code is not None
                and before.credit_code is not None
            ):  # the name belongs to a business with another code
                rejected.append(
                    RejectedRow(row.row_number, (say.name_taken(entry.name, before.credit_code),))
                )
                continue
        if before is None:
            added.append(row)
            continue
        holder = by_name.get(entry.name)
        if holder is not None and holder is not before:
            rejected.append(
                RejectedRow(row.row_number, (say.name_taken(entry.name, holder.credit_code),))
            )
            continue
        if before.name in matched_by_row:
            reason = say.same_merchant_as_row(matched_by_row[before.name])
            rejected.append(RejectedRow(row.row_number, (reason,)))
            continue
        matched_by_row[before.name] = row.row_number
        after = _merged(before, entry, plan.columns)
        changed = tuple(
            column
            for column in Column
            if getattr(before, _FIELD_OF[column]) != getattr(after, _FIELD_OF[column])
        )
        if changed:
            updated.append(RegistryUpdate(row.row_number, before, after, changed))
        else:
            unchanged.append(row)
    rejected.sort(key=lambda rejection: rejection.row_number)
    return UpsertReport(tuple(added), tuple(updated), tuple(unchanged), tuple(rejected))


def export_rows(entries: Iterable[RegistryEntry]) -> tuple[list[str], list[list[str]]]:
    """The registry as a sheet: every column, cells as text, readable by `read_rows`."""
    header = [column.value for column in Column]
    rows = [
        [
            entry.name,
            entry.credit_code or "",
            "、".join(entry.aliases),
            entry.address or "",
            entry.street or "",
            entry.community or "",
            entry.grid or "",
            entry.status.value if entry.status else "",
            "；".join(entry.licences),
            say.iso_day(entry.licence_valid_until),
            say.yes_no(entry.committed),
            say.iso_day(entry.committed_on),
        ]
        for entry in entries
    ]
    return header, rows


# --- the registry at work


def trading_concerns(entry: RegistryEntry, today: date) -> tuple[str, ...]:
    """Why a complaint against `entry` may point to unlicensed trading (查处 lead)."""
    concerns = []
    if entry.status is not None and not entry.status.trading:
        concerns.append(say.merchant_not_trading(entry.status.value))
    if entry.licence_valid_until is not None and entry.licence_expired(today):
        concerns.append(say.licence_expired(entry.licence_valid_until))
    return tuple(concerns)


def licences_expiring(
    entries: Iterable[RegistryEntry], today: date, days: int = 30
) -> tuple[RegistryEntry, ...]:
    """Entries whose licence is still valid today but ends within `days` days, soonest first."""
    expiring = [entry for entry in entries if entry.licence_expires_within(today, days)]
    return tuple(sorted(expiring, key=lambda entry: (entry.licence_valid_until, entry.name)))
