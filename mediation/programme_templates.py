"""Sentences of the merchant programme (registry, disclosure, typical cases, hot issues).

Kept apart from `mediation.templates` only while several people edit that file at once; it
is meant to be folded into it. Functions take plain values and return text; callers pass
masked text only.
"""

from __future__ import annotations

from datetime import date

# --- registry import (issue 20): why a row is rejected


def missing_column(column: str) -> str:
    return f"表头缺少「{column}」列，无法导入。"


def repeated_column(column: str) -> str:
    return f"表头中「{column}」列出现了不止一次，无法导入。"


def empty_sheet() -> str:
    return "表格是空的，没有表头。"


def missing_name() -> str:
    return "缺少名称"


def credit_code_length(length: int) -> str:
    return f"统一社会信用代码应为18位，这里是{length}位"


def credit_code_characters() -> str:
    return "统一社会信用代码含有不允许的字符（不含 I、O、Z、S、V，第3～8位为数字）"


def credit_code_check_digit() -> str:
    return "统一社会信用代码校验位错误，请核对"


def unknown_status(value: str, allowed: tuple[str, ...]) -> str:
    return f"经营状态「{value}」无法识别，应为{'、'.join(allowed)}之一"


def bad_date(column: str, value: str) -> str:
    return f"{column}「{value}」不是有效日期（例如 2027-03-31、2027/3/31、2027年3月31日）"


def bad_yes_no(column: str, value: str) -> str:
    return f"{column}「{value}」应填「是」或「否」"


def duplicate_row(first_row: int, by_credit_code: bool) -> str:
    key = "统一社会信用代码" if by_credit_code else "名称"
    return f"与第{first_row}行重复（{key}相同）"


def same_merchant_as_row(first_row: int) -> str:
    return f"与第{first_row}行对应档案中的同一家商家"


def name_taken(name: str, credit_code: str | None) -> str:
    other = f"统一社会信用代码为 {credit_code} 的" if credit_code else "另一家"
    return f"名称「{name}」已被档案中{other}商家使用"


def row_rejected(row_number: int, reasons: tuple[str, ...]) -> str:
    return f"第{row_number}行：{'；'.join(reasons)}"


def yes_no(value: bool) -> str:
    return "是" if value else "否"


def iso_day(day: date | None) -> str:
    return day.isoformat() if day else ""


# --- registry files


def unsupported_registry_file(suffix: str) -> str:
    shown = suffix or "（无扩展名）"
    return f"不支持 {shown} 文件，请使用 .xlsx 或 .csv。"


def unreadable_registry_file(name: str) -> str:
    return f"无法读取文件「{name}」，请确认它是完好的 .xlsx 或 .csv 文件。"


def undecodable_csv(name: str) -> str:
    return f"文件「{name}」的编码无法识别，请另存为 UTF-8 或 GB18030 编码的 CSV。"


REGISTRY_SHEET_TITLE = "商家档案"
