"""Survey files in and out: .xlsx and .csv as offices really save them."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from handlers.registry_files import (
    RegistryFileError,
    read_import_plan,
    read_import_plan_bytes,
    read_sheet,
    registry_csv_bytes,
    write_registry_file,
)
from mediation.registry import (
    BusinessStatus,
    RegistryEntry,
    credit_code_check_digit,
    export_rows,
    plan_upsert,
)

BODY = "92330106MA2H00001"
CODE = BODY + credit_code_check_digit(BODY)
HEADER = ["名称", "统一社会信用代码", "经营状态", "许可证有效期至", "放心消费承诺"]


def workbook_file(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def csv_file(path: Path, rows: list[list[str]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_an_xlsx_with_date_cells_and_serials_is_read(tmp_path: Path) -> None:
    path = workbook_file(
        tmp_path / "摸排.xlsx",
        [
            HEADER,
            ["张记饺子馆", CODE, "在营", datetime(2027, 3, 31), "是"],
            ["阳光家电维修部", None, "歇业", 46477, "否"],
        ],
    )
    plan = read_import_plan(path)
    assert not plan.rejected
    assert [row.entry.licence_valid_until for row in plan.rows] == [date(2027, 3, 31)] * 2
    assert plan.rows[1].entry.status is BusinessStatus.SUSPENDED


def test_a_title_row_above_the_header_keeps_row_numbers_as_the_sheet_shows(
    tmp_path: Path,
) -> None:
    path = workbook_file(
        tmp_path / "摸排.xlsx",
        [[None], HEADER, ["张记饺子馆", "123", "在营", None, None]],
    )
    sheet = read_sheet(path)
    assert sheet.header_row == 2
    plan = read_import_plan(path)
    assert plan.rejected[0].row_number == 3


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_or_gb18030_is_read(tmp_path: Path, encoding: str) -> None:
    path = csv_file(
        tmp_path / "摸排.csv",
        [HEADER, ["张记饺子馆", CODE, "在营", "2027/3/31", "是"]],
        encoding,
    )
    plan = read_import_plan(path)
    assert [row.entry.name for row in plan.rows] == ["张记饺子馆"]
    assert plan.rows[0].entry.committed


def test_a_tab_separated_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "摸排.csv"
    path.write_text("名称\t经营状态\n张记饺子馆\t在营\n", encoding="utf-8")
    assert read_import_plan(path).rows[0].entry.status is BusinessStatus.OPERATING


def test_a_damaged_xlsx_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "摸排.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(RegistryFileError, match="无法读取"):
        read_import_plan(path)


def test_a_missing_file_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryFileError):
        read_import_plan(tmp_path / "没有.xlsx")


def test_an_unsupported_suffix_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "摸排.txt"
    path.write_text("名称\n张记饺子馆\n", encoding="utf-8")
    with pytest.raises(RegistryFileError, match=r"\.txt"):
        read_import_plan(path)


def test_a_csv_in_no_known_encoding_is_a_file_error() -> None:
    with pytest.raises(RegistryFileError, match="编码"):
        read_import_plan_bytes(b"\xff\xfe\x80\x80\xff", "摸排.csv")


def test_a_sheet_without_a_name_column_is_a_file_error(tmp_path: Path) -> None:
    path = workbook_file(tmp_path / "摸排.xlsx", [["地址"], ["湖西路1号"]])
    with pytest.raises(RegistryFileError, match="名称"):
        read_import_plan(path)


def test_an_empty_file_is_a_file_error() -> None:
    with pytest.raises(RegistryFileError):
        read_import_plan_bytes(b"", "摸排.csv")


ENTRIES = [
    RegistryEntry(
        name="张记饺子馆",
        credit_code=CODE,
        aliases=("张记", "老张饺子"),
        address="湖西路1号",
        street="湖西街道",
        community="湖西社区",
        grid="第三网格",
        status=BusinessStatus.OPERATING,
        licences=("营业执照", "食品经营许可证"),
        licence_valid_until=date(2027, 3, 31),
        committed=True,
        committed_on=date(2026, 5, 1),
    ),
    RegistryEntry(name='=HYPERLINK("http://x","点我")', address="-1号"),
    RegistryEntry(name="@阳光家电维修部", grid="+3"),
]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_an_export_file_reimports_unchanged(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"导出{suffix}"
    write_registry_file(path, *export_rows(ENTRIES))
    plan = read_import_plan(path)
    assert [row.entry for row in plan.rows] == ENTRIES
    report = plan_upsert(plan, ENTRIES)
    assert len(report.unchanged) == len(ENTRIES) and report.ok


def test_exported_xlsx_cells_are_text_never_formulas(tmp_path: Path) -> None:
    path = tmp_path / "导出.xlsx"
    write_registry_file(path, *export_rows(ENTRIES))
    sheet = load_workbook(path).worksheets[0]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value]
    assert cells and all(cell.data_type == "s" for cell in cells)
    assert sheet["A3"].value.startswith("=HYPERLINK")


def test_exported_csv_cells_that_could_start_a_formula_are_quoted() -> None:
    text = registry_csv_bytes(*export_rows(ENTRIES)).decode("utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    assert rows[2][0].startswith("'=HYPERLINK")
    assert rows[2][3] == "'-1号"
    assert rows[3][0] == "'@阳光家电维修部"


def test_control_characters_never_reach_an_exported_file(tmp_path: Path) -> None:
    entry = RegistryEntry(name="张记\x07饺子馆", address="湖西路\n1号\x00")
    for suffix in (".xlsx", ".csv"):
        path = tmp_path / f"导出{suffix}"
        write_registry_file(path, *export_rows([entry]))
        (row,) = read_import_plan(path).rows
        assert row.entry.name == "张记饺子馆"
        assert row.entry.address == "湖西路 1号"


def test_writing_an_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RegistryFileError):
        write_registry_file(tmp_path / "导出.pdf", *export_rows(ENTRIES))


@pytest.mark.parametrize("value", ["=1+1", "'=1+1", "''@x", "'plain", "-", "a=b"])
def test_csv_guard_gives_back_exactly_what_was_written(tmp_path: Path, value: str) -> None:
    path = tmp_path / "导出.csv"
    write_registry_file(path, ["名称", "地址"], [["甲店", value]])
    assert read_sheet(path).rows == (("甲店", value),)
