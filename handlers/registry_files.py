"""Registry survey files (摸排表): .xlsx and .csv in, .xlsx and .csv out.

The only part of the registry import that touches files; what the rows mean is
`mediation.registry`'s job. Interface:

- `read_sheet(path)` / `read_sheet_bytes(data, filename)` -> `Sheet(header, rows,
  header_row)`: the first worksheet of an .xlsx (openpyxl, read-only, cached values rather
  than formulas), or a .csv in UTF-8 (with or without BOM), else GB18030; comma- or
  tab-separated. The header is the first row with any cell filled; `header_row` is its row
  number as the spreadsheet shows it, so `mediation.registry.read_rows` numbers rows right.
- `read_import_plan(path)` / `read_import_plan_bytes(data, filename)` -> `ImportPlan`: the
  above, then `read_rows`; a header without 名称 becomes a `RegistryFileError` too, so the
  caller has one error for "this file cannot be imported" (the CLI's exit code 2).
- `registry_xlsx_bytes(header, rows)` / `registry_csv_bytes(header, rows)` and
  `write_registry_file(path, header, rows)` (by suffix): an export (`export_rows`).

`RegistryFileError` (a ValueError) carries a Chinese message fit to show the user: unknown
suffix, a damaged or missing file, an encoding that is neither UTF-8 nor GB18030.

Written cells are text and safe to open: control characters are removed (tabs and line
breaks become spaces), an .xlsx cell is always stored as a string (never a formula), and a
.csv cell that starts with = + - or @ gets a leading apostrophe, the usual guard against
formula injection; reading a .csv takes that apostrophe off again, so an export round-trips.
openpyxl is imported when a workbook is read or built (it takes about 0.4 s).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mediation import templates as say
from mediation.registry import Cell, ImportPlan, RegistryHeaderError, read_rows

XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
CSV_SUFFIXES = frozenset({".csv"})
# a cell a spreadsheet could take for a formula; apostrophes before it are guarded too, so
# that taking one apostrophe off on reading gives back exactly what was written
_NEEDS_GUARD = re.compile(r"^'*[=+\-@]")
_LINE_CONTROLS = re.compile(r"[\t\r\n]+")
_CONTROLS = re.compile("[\x00-\x1f\x7f]")
_GUARDED = re.compile(r"^'(?='*[=+\-@])")


class RegistryFileError(ValueError):
    """The file cannot be read as a registry sheet; the message is Chinese."""


@dataclass(frozen=True)
class Sheet:
    header: tuple[Cell, ...]
    rows: tuple[tuple[Cell, ...], ...]
    header_row: int  # the header's row number in the spreadsheet (1 for the first row)


def read_sheet(path: Path) -> Sheet:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RegistryFileError(say.unreadable_registry_file(path.name)) from error
    return read_sheet_bytes(data, path.name)


def read_sheet_bytes(data: bytes, filename: str) -> Sheet:
    suffix = Path(filename).suffix.lower()
    if suffix in XLSX_SUFFIXES:
        rows = _xlsx_rows(data, filename)
    elif suffix in CSV_SUFFIXES:
        rows = _csv_rows(data, filename)
    else:
        raise RegistryFileError(say.unsupported_registry_file(suffix))
    return _sheet(rows)


def read_import_plan(path: Path) -> ImportPlan:
    return _plan(read_sheet(path))


def read_import_plan_bytes(data: bytes, filename: str) -> ImportPlan:
    return _plan(read_sheet_bytes(data, filename))


def _plan(sheet: Sheet) -> ImportPlan:
    try:
        return read_rows(sheet.header, sheet.rows, header_row=sheet.header_row)
    except RegistryHeaderError as error:
        raise RegistryFileError(str(error)) from error


def _sheet(rows: Iterable[Sequence[Cell]]) -> Sheet:
    header: tuple[Cell, ...] = ()
    header_row = 1
    body: list[tuple[Cell, ...]] = []
    for number, row in enumerate(rows, start=1):
        cells = _trimmed(row)
        if header:
            body.append(cells)
        elif cells:
            header, header_row = cells, number
    return Sheet(header, tuple(body), header_row)


def _trimmed(row: Sequence[Cell]) -> tuple[Cell, ...]:
    """The row without its trailing blank cells (read-only sheets pad rows to the widest)."""
    cells = list(row)
    while cells and (cells[-1] is None or (isinstance(cells[-1], str) and not cells[-1].strip())):
        cells.pop()
    return tuple(cells)


def _xlsx_rows(data: bytes, filename: str) -> list[tuple[Cell, ...]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # any failure of the parser means a damaged file
        raise RegistryFileError(say.unreadable_registry_file(filename)) from error
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return []
        return [tuple(row) for row in sheet.iter_rows(values_only=True)]
    except Exception as error:
        raise RegistryFileError(say.unreadable_registry_file(filename)) from error
    finally:
        workbook.close()


def _decode(data: bytes, filename: str) -> str:
    bom = data.startswith(b"\xef\xbb\xbf")
    encodings = ("utf-8-sig",) if bom else ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RegistryFileError(say.undecodable_csv(filename))


def _csv_rows(data: bytes, filename: str) -> list[tuple[Cell, ...]]:
    text = _decode(data, filename)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return [tuple(_GUARDED.sub("", cell) for cell in row) for row in reader]
    except csv.Error as error:
        raise RegistryFileError(say.unreadable_registry_file(filename)) from error


# --- writing


def safe_text(value: str) -> str:
    """The cell's text without control characters (line breaks and tabs become spaces)."""
    return _CONTROLS.sub("", _LINE_CONTROLS.sub(" ", value))


def _csv_cell(value: str) -> str:
    text = safe_text(value)
    return "'" + text if _NEEDS_GUARD.match(text) else text


def registry_csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """UTF-8 with a BOM, so that Excel opens the Chinese text correctly."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_text(cell) for cell in header])
    for row in rows:
        writer.writerow([_csv_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def registry_xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(say.REGISTRY_SHEET_TITLE)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def text_cell(value: str, font: Font | None = None) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=safe_text(value))
        cell.data_type = "s"  # text, even when it starts with "=": never a formula
        if font is not None:
            cell.font = font
        return cell

    for index, _ in enumerate(header, start=1):
        sheet.column_dimensions[_column_letter(index)].width = 18
    sheet.append([text_cell(cell, bold) for cell in header])
    for row in rows:
        sheet.append([text_cell(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_registry_file(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """An .xlsx or .csv by the path's suffix; `RegistryFileError` for any other suffix."""
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        data = registry_xlsx_bytes(header, rows)
    elif suffix in CSV_SUFFIXES:
        data = registry_csv_bytes(header, rows)
    else:
        raise RegistryFileError(say.unsupported_registry_file(suffix))
    path.write_bytes(data)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
