"""The survey registry import and export, through the `tiaojie merchants` command line and
`POST /api/merchants/import`: an .xlsx built with openpyxl, the Chinese report, exit codes
0 / 1 / 2, all or nothing unless --skip-bad, and an export that imports back unchanged."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook

from bot.app import BotApp
from mediation.registry import credit_code_check_digit
from storage.models import Merchant

from .test_cli import run_cli


def credit_code(serial: int) -> str:
    first_17 = f"91310000MA1F{serial:05d}"
    return first_17 + credit_code_check_digit(first_17)


GOOD_CODE_1, GOOD_CODE_2 = credit_code(1), credit_code(2)
BAD_CODE = GOOD_CODE_1[:17] + ("0" if GOOD_CODE_1[17] != "0" else "1")

HEADER = ["经营状态", "名称（必填）", "统一社会信用代码", "别名", "街道", "社区", "网格",
          "证照", "许可证有效期至", "放心消费承诺", "承诺日期", "备注"]  # fmt: skip
GOOD_ROWS = [
    ["在营", "张记饺子馆", GOOD_CODE_1, "张记、老张饺子", "湖西街道", "湖西社区", "湖西一网格",
     "营业执照；食品经营许可证", "2027-03-31", "是", "2026/5/1", ""],
    ["歇业", "李氏美发", GOOD_CODE_2, "", "湖西街道", "湖西社区", "湖西二网格",
     "营业执照", "", "否", "", "已关门"],
    ["在营", "好又多超市", "", "好又多", "南湖街道", "东湖社区", "东湖一网格",
     "营业执照", "长期", "是", "2026年3月1日", ""],
]  # fmt: skip
BAD_ROWS = [
    ["在营", "王记烧烤", BAD_CODE, "", "", "", "", "", "", "", "", ""],
    ["停摆", "赵家面馆", "", "", "", "", "", "", "", "", "", ""],
    ["在营", "钱记水果", "", "", "", "", "", "", "2027-02-30", "", "", ""],
    ["在营", "张记饺子馆", "", "", "", "", "", "", "", "", "", ""],
]  # fmt: skip


def xlsx(path: Path, rows: list[list[str]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([])  # a blank row above the header: row numbers are the sheet's
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def stored_merchants(data_dir: Path) -> dict[str, tuple]:
    with sqlite3.connect(data_dir / "tiaojie.sqlite3") as connection:
        rows = connection.execute(
            "SELECT name, licence_no, street, community, grid, business_status, licences,"
            " licence_valid_until, committed, committed_on FROM merchants"
        ).fetchall()
    return {row[0]: (*row[1:6], json.loads(row[6]), *row[7:]) for row in rows}


def test_a_good_sheet_is_imported_and_reported_in_chinese(tmp_path: Path) -> None:
    sheet = xlsx(tmp_path / "摸排.xlsx", GOOD_ROWS)

    result = run_cli("merchants", "import", str(sheet), data_dir=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [
        "商家档案已导入：",
        "新增 3 家，更新 0 家，未变 0 家，退回 0 行",
    ]
    stored = stored_merchants(tmp_path)
    assert stored["张记饺子馆"][:5] == (GOOD_CODE_1, "湖西街道", "湖西社区", "湖西一网格", "在营")
    assert stored["张记饺子馆"][5:] == (
        ["营业执照", "食品经营许可证"],
        "2027-03-31",
        1,
        "2026-05-01",
    )
    assert stored["李氏美发"][4] == "歇业"
    assert stored["好又多超市"][6] is None  # 长期: no end date


def test_rejected_rows_change_nothing_and_exit_1_with_row_numbers(tmp_path: Path) -> None:
    sheet = xlsx(tmp_path / "摸排.xlsx", GOOD_ROWS + BAD_ROWS)

    result = run_cli("merchants", "import", str(sheet), data_dir=tmp_path)

    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("有行未通过检查，本次导入未写入任何数据")
    assert lines[1] == "新增 3 家，更新 0 家，未变 0 家，退回 4 行"
    rejected = "\n".join(lines[lines.index("退回：") + 1 :])
    assert "第6行：统一社会信用代码校验位错误" in rejected  # header on row 2, data from 3
    assert "第7行：经营状态「停摆」无法识别" in rejected
    assert "第8行：许可证有效期至「2027-02-30」不是有效日期" in rejected
    assert "第9行：与第3行重复（名称相同）" in rejected
    assert stored_merchants(tmp_path) == {}


def test_skip_bad_imports_the_good_rows_and_still_exits_1(tmp_path: Path) -> None:
    sheet = xlsx(tmp_path / "摸排.xlsx", GOOD_ROWS + BAD_ROWS)

    result = run_cli("merchants", "import", str(sheet), "--skip-bad", data_dir=tmp_path)

    assert result.returncode == 1
    assert result.stdout.startswith("商家档案已导入（已跳过有问题的行）：\n新增 3 家")
    assert set(stored_merchants(tmp_path)) == {"张记饺子馆", "李氏美发", "好又多超市"}


def test_a_dry_run_reports_without_writing(tmp_path: Path) -> None:
    run_cli("db", "upgrade", data_dir=tmp_path)
    sheet = xlsx(tmp_path / "摸排.xlsx", GOOD_ROWS)

    result = run_cli("merchants", "import", str(sheet), "--dry-run", data_dir=tmp_path)

    assert result.returncode == 0
    assert result.stdout.startswith("试导入（--dry-run），未写入任何数据：\n新增 3 家")
    assert stored_merchants(tmp_path) == {}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("摸排.xlsx", b"not a workbook", "无法读取文件「摸排.xlsx」"),
        ("摸排.txt", b"name", "不支持 .txt 文件"),
        ("摸排.csv", "地址,街道\n湖西路1号,湖西街道\n".encode(), "表头缺少「名称」列"),
    ],
)
def test_a_file_that_cannot_be_read_exits_2(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(content)

    result = run_cli("merchants", "import", str(tmp_path / name), data_dir=tmp_path)

    assert result.returncode == 2
    assert message in result.stderr


def test_an_update_names_the_changed_columns_and_gb18030_csv_is_read(tmp_path: Path) -> None:
    run_cli("merchants", "import", str(xlsx(tmp_path / "a.xlsx", GOOD_ROWS)), data_dir=tmp_path)
    csv_text = "名称,经营状态,许可证有效期至\n张记饺子馆,注销,2026-01-31\n李氏美发,歇业,\n"
    (tmp_path / "b.csv").write_bytes(csv_text.encode("gb18030"))

    result = run_cli("merchants", "import", str(tmp_path / "b.csv"), data_dir=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:4] == [
        "新增 0 家，更新 1 家，未变 1 家，退回 0 行",
        "更新：",
        "  第2行：张记饺子馆（经营状态、许可证有效期至）",
    ]
    stored = stored_merchants(tmp_path)["张记饺子馆"]
    assert stored[1] == "湖西街道" and stored[4] == "注销" and stored[6] == "2026-01-31"


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_an_export_imports_back_unchanged(tmp_path: Path, suffix: str) -> None:
    run_cli("merchants", "import", str(xlsx(tmp_path / "a.xlsx", GOOD_ROWS)), data_dir=tmp_path)
    before = stored_merchants(tmp_path)
    exported = tmp_path / f"导出{suffix}"

    result = run_cli("merchants", "export", str(exported), data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"已导出 3 家商家到 {exported}。"
    again = run_cli("merchants", "import", str(exported), data_dir=tmp_path)

    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[1] == "新增 0 家，更新 0 家，未变 3 家，退回 0 行"
    assert stored_merchants(tmp_path) == before


# --- the admin API


async def staff_token(bot: BotApp) -> dict[str, str]:
    from storage import tokens

    async with bot.sessions.begin() as session:
        issued = await tokens.create_token(session, "registry-test", bot.clock.now())
    return {"Authorization": f"Bearer {issued.token}"}


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.BytesIO()
    workbook = Workbook()
    workbook.active.append(HEADER)
    for row in rows:
        workbook.active.append(row)
    workbook.save(buffer)
    return buffer.getvalue()


async def registry_names(bot: BotApp) -> set[str]:
    from sqlalchemy import select

    async with bot.sessions() as session:
        return set(await session.scalars(select(Merchant.name)))


async def test_the_api_imports_a_multipart_upload_all_or_nothing(
    bot: BotApp, http: httpx.AsyncClient
) -> None:
    headers = await staff_token(bot)
    files = {"file": ("摸排.xlsx", xlsx_bytes(GOOD_ROWS + BAD_ROWS[:1]))}

    refused = await http.post("/api/merchants/import", files=files, headers=headers)
    assert refused.status_code == 200, refused.text
    body = refused.json()
    assert (body["ok"], body["written"], body["added"], body["rejected"]) == (
        False, False, 3, [{"row": 5, "reasons": ["统一社会信用代码校验位错误，请核对"]}]
    )  # fmt: skip
    assert body["report"].startswith("有行未通过检查")
    assert await registry_names(bot) == set()

    skipped = await http.post(
        "/api/merchants/import", params={"skip_bad": "true"}, files=files, headers=headers
    )
    assert skipped.json()["written"] is True
    assert await registry_names(bot) == {"张记饺子馆", "李氏美发", "好又多超市"}


async def test_the_api_takes_a_raw_csv_body_and_a_dry_run(
    bot: BotApp, http: httpx.AsyncClient
) -> None:
    headers = await staff_token(bot)
    body = "名称,街道\n新开茶饮店,湖西街道\n".encode()

    dry = await http.post(
        "/api/merchants/import",
        params={"dry_run": "true", "filename": "x.csv"},
        content=body,
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert dry.status_code == 200, dry.text
    assert (dry.json()["added"], dry.json()["written"]) == (1, False)
    assert await registry_names(bot) == set()

    unreadable = await http.post(
        "/api/merchants/import",
        content=b"\x00\x01",
        headers={**headers, "Content-Type": "application/octet-stream"},
    )
    assert unreadable.status_code == 422
    assert "文件" in unreadable.json()["detail"]

    anonymous = await http.post("/api/merchants/import", content=body)
    assert anonymous.status_code == 401


async def test_the_merchant_api_keeps_status_licences_and_the_commitment(
    bot: BotApp, http: httpx.AsyncClient
) -> None:
    headers = await staff_token(bot)
    body = {
        "name": "新开茶饮店",
        "street": "湖西街道",
        "business_status": "歇业",
        "licences": ["营业执照", "食品经营许可证"],
        "licence_valid_until": "2027-03-31",
        "committed": True,
        "committed_on": "2026-05-01",
    }

    created = await http.post("/api/merchants", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert {key: created.json()[key] for key in body} == body
    merchant_id = created.json()["id"]
    patched = await http.patch(
        f"/api/merchants/{merchant_id}", json={"business_status": "在营"}, headers=headers
    )
    assert patched.json()["business_status"] == "在营"
    assert patched.json()["licences"] == ["营业执照", "食品经营许可证"]
    refused = await http.post(
        "/api/merchants", json={"name": "某店", "business_status": "停摆"}, headers=headers
    )
    assert refused.status_code == 422
