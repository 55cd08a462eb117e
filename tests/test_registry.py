"""Reading the survey sheet of the district's merchants and planning its import."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediation.registry import (
    BusinessStatus,
    Column,
    ImportPlan,
    RegistryEntry,
    RegistryHeaderError,
    credit_code_check_digit,
    credit_code_problem,
    export_rows,
    licences_expiring,
    parse_day,
    plan_upsert,
    read_rows,
    trading_concerns,
)

PUBLISHED_CODE = "91110000600037341L"  # a real, published code


def code(body: str) -> str:
    """A valid credit code from its first 17 characters."""
    return body + credit_code_check_digit(body)


CODE_A = code("92330106MA2H00001")
CODE_B = code("92330106MA2H00002")
HEADER = ["名称", "统一社会信用代码", "经营状态"]


def only_row(plan: ImportPlan) -> RegistryEntry:
    assert not plan.rejected, plan.rejected
    assert len(plan.rows) == 1
    return plan.rows[0].entry


def test_published_credit_code_passes_the_check_digit() -> None:
    assert credit_code_problem(PUBLISHED_CODE) is None


def test_credit_code_with_one_character_changed_fails_the_check_digit() -> None:
    assert "校验位" in (credit_code_problem(PUBLISHED_CODE[:-1] + "M") or "")
    assert "校验位" in (credit_code_problem("91110000600037342L") or "")


def test_credit_code_with_letters_the_standard_leaves_out_is_rejected() -> None:
    assert "字符" in (credit_code_problem("91110000600O37341L") or "")
    assert "18位" in (credit_code_problem("9111000060003734") or "")


def test_credit_code_of_a_rural_collective_starting_with_a_letter_is_accepted() -> None:
    assert credit_code_problem(code("N2330106MA2H00003")) is None


def test_a_full_row_becomes_a_registry_entry() -> None:
    header = list(Column)
    row = [
        "张记饺子馆", CODE_A, "张记、老张饺子，张记水饺", "湖西路1号", "湖西街道", "湖西社区",
        "第三网格", "在营", "营业执照；食品经营许可证", "2027年3月31日", "是", "2026/5/1",
    ]  # fmt: skip
    entry = only_row(read_rows(header, [row]))
    assert entry == RegistryEntry(
        name="张记饺子馆",
        credit_code=CODE_A,
        aliases=("张记", "老张饺子", "张记水饺"),
        address="湖西路1号",
        street="湖西街道",
        community="湖西社区",
        grid="第三网格",
        status=BusinessStatus.OPERATING,
        licences=("营业执照", "食品经营许可证"),
        licence_valid_until=date(2027, 3, 31),
        committed=True,
        committed_on=date(2026, 5, 1),
    )


def test_headers_in_any_order_with_spaces_full_width_and_notes_are_recognised() -> None:
    header = [" 经营状态 ", "\u3000名称（必填）", "统一社会信用代码"]
    entry = only_row(read_rows(header, [["歇业", "阳光家电维修部", CODE_A.lower()]]))
    assert entry.name == "阳光家电维修部"
    assert entry.status is BusinessStatus.SUSPENDED
    assert entry.credit_code == CODE_A


def test_unknown_columns_are_ignored_and_listed() -> None:
    plan = read_rows(["名称", "备注"], [["张记饺子馆", "老店"]])
    assert plan.ignored_columns == ("备注",)
    assert only_row(plan).name == "张记饺子馆"


def test_a_sheet_without_a_name_column_cannot_be_imported() -> None:
    with pytest.raises(RegistryHeaderError, match="名称"):
        read_rows(["统一社会信用代码", "地址"], [[CODE_A, "湖西路1号"]])


def test_a_sheet_with_a_column_twice_cannot_be_imported() -> None:
    with pytest.raises(RegistryHeaderError, match="地址"):
        read_rows(["名称", "地址", "经营地址"], [])


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("2027-03-31", date(2027, 3, 31)),
        ("2027/3/31", date(2027, 3, 31)),
        ("2027.3.31", date(2027, 3, 31)),
        ("2027年3月31日", date(2027, 3, 31)),
        ("２０２７年３月３１日", date(2027, 3, 31)),
        ("20270331", date(2027, 3, 31)),
        ("2027-03-31 00:00:00", date(2027, 3, 31)),
        (46477, date(2027, 3, 31)),
        (46477.0, date(2027, 3, 31)),
        (date(2027, 3, 31), date(2027, 3, 31)),
        (datetime(2027, 3, 31, 0, 0), date(2027, 3, 31)),
        ("", None),
        (None, None),
        ("长期", None),
    ],
)
def test_dates_are_read_in_the_forms_spreadsheets_use(cell: object, day: date | None) -> None:
    assert parse_day(cell) == day  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", ["2027-02-30", "明年三月", "31/03/2027", -5])
def test_cells_that_are_not_dates_are_refused(cell: object) -> None:
    with pytest.raises(ValueError):
        parse_day(cell)  # type: ignore[arg-type]


def test_each_bad_row_is_rejected_with_its_sheet_row_number_and_reason() -> None:
    header = ["名称", "统一社会信用代码", "经营状态", "许可证有效期至", "放心消费承诺"]
    rows = [
        ["张记饺子馆", CODE_A, "在营", "2027-03-31", "是"],
        ["阳光家电维修部", PUBLISHED_CODE[:-1] + "M", "在营", "", "否"],
        ["老王水果店", "", "倒闭", "", ""],
        ["好又多超市", "", "在营", "下个月", ""],
        ["", CODE_B, "在营", "", ""],
        ["李记面馆", "", "在营", "", "也许"],
    ]
    plan = read_rows(header, rows)
    assert [row.entry.name for row in plan.rows] == ["张记饺子馆"]
    reasons = {rejected.row_number: "；".join(rejected.reasons) for rejected in plan.rejected}
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert "校验位" in reasons[3]
    assert "倒闭" in reasons[4] and "在营" in reasons[4]
    assert "下个月" in reasons[5]
    assert "缺少名称" in reasons[6]
    assert "是" in reasons[7]
    assert plan.rejected[0].message.startswith("第3行：")


def test_a_row_repeating_an_earlier_credit_code_or_name_is_rejected() -> None:
    rows = [
        ["张记饺子馆", CODE_A, ""],
        ["张记饺子馆二店", CODE_A, ""],
        ["阳光家电维修部", "", ""],
        ["阳光家电维修部", "", ""],
    ]
    plan = read_rows(HEADER, rows)
    assert [row.row_number for row in plan.rows] == [2, 4]
    assert [(rejected.row_number, rejected.reasons) for rejected in plan.rejected] == [
        (3, ("与第2行重复（统一社会信用代码相同）",)),
        (5, ("与第4行重复（名称相同）",)),
    ]


def test_blank_rows_are_skipped_but_still_counted_in_row_numbers() -> None:
    plan = read_rows(HEADER, [["", None, ""], ["张记饺子馆", "", ""]], header_row=3)
    assert plan.rows[0].row_number == 5


def test_survey_synonyms_of_status_are_accepted() -> None:
    assert only_row(read_rows(HEADER, [["甲店", "", "存续"]])).status is BusinessStatus.OPERATING
    assert only_row(read_rows(HEADER, [["乙店", "", "停业"]])).status is BusinessStatus.SUSPENDED


def test_only_a_trading_merchant_counts_as_trading() -> None:
    assert BusinessStatus.OPERATING.trading
    assert not any(status.trading for status in BusinessStatus if status.value != "在营")


def test_licence_expiry_is_told_against_today() -> None:
    entry = RegistryEntry(name="甲店", licence_valid_until=date(2027, 3, 31))
    assert not entry.licence_expired(date(2027, 3, 31))
    assert entry.licence_expired(date(2027, 4, 1))
    assert entry.licence_expires_within(date(2027, 3, 2), 30)
    assert not entry.licence_expires_within(date(2027, 2, 28), 30)


def test_a_closed_or_unlicensed_merchant_is_a_lead_for_staff() -> None:
    today = date(2027, 4, 1)
    closed = RegistryEntry(name="甲店", status=BusinessStatus.SUSPENDED)
    expired = RegistryEntry(name="乙店", licence_valid_until=date(2027, 3, 31))
    fine = RegistryEntry(name="丙店", status=BusinessStatus.OPERATING)
    assert trading_concerns(closed, today) == ("档案中经营状态为「歇业」",)
    assert trading_concerns(expired, today) == ("许可证已于2027年3月31日到期",)
    assert trading_concerns(fine, today) == ()


def test_licences_expiring_within_thirty_days_are_listed_soonest_first() -> None:
    today = date(2027, 3, 1)
    entries = [
        RegistryEntry(name="甲店", licence_valid_until=date(2027, 3, 31)),
        RegistryEntry(name="乙店", licence_valid_until=date(2027, 3, 5)),
        RegistryEntry(name="丙店", licence_valid_until=date(2027, 4, 30)),
        RegistryEntry(name="丁店", licence_valid_until=date(2027, 2, 1)),
        RegistryEntry(name="戊店"),
    ]
    assert [entry.name for entry in licences_expiring(entries, today)] == ["乙店", "甲店"]


def test_import_sorts_rows_into_added_updated_unchanged_and_rejected() -> None:
    existing = [
        RegistryEntry(name="张记饺子馆", credit_code=CODE_A, status=BusinessStatus.OPERATING),
        RegistryEntry(name="阳光家电维修部", status=BusinessStatus.OPERATING),
    ]
    rows = [
        ["张记饺子馆（湖西店）", CODE_A, "歇业"],  # renamed and closed: found by its code
        ["阳光家电维修部", "", "在营"],  # same as before: found by its name
        ["老王水果店", CODE_B, "在营"],  # new
        ["坏店", "123", "在营"],
    ]
    report = plan_upsert(read_rows(HEADER, rows), existing)
    assert [row.entry.name for row in report.added] == ["老王水果店"]
    assert [row.entry.name for row in report.unchanged] == ["阳光家电维修部"]
    (update,) = report.updated
    assert update.before.name == "张记饺子馆"
    assert update.after.name == "张记饺子馆（湖西店）"
    assert update.after.status is BusinessStatus.SUSPENDED
    assert update.changed == (Column.NAME, Column.STATUS)
    assert [rejected.row_number for rejected in report.rejected] == [5]
    assert not report.ok


def test_a_row_found_by_name_gains_the_credit_code_the_registry_lacked() -> None:
    existing = [RegistryEntry(name="阳光家电维修部")]
    report = plan_upsert(read_rows(HEADER, [["阳光家电维修部", CODE_B, ""]]), existing)
    (update,) = report.updated
    assert update.after.credit_code == CODE_B
    assert update.changed == (Column.CREDIT_CODE,)


def test_columns_missing_from_the_sheet_keep_the_registry_values() -> None:
    existing = [RegistryEntry(name="甲店", address="湖西路1号", grid="第一网格")]
    report = plan_upsert(read_rows(["名称", "网格"], [["甲店", "第二网格"]]), existing)
    (update,) = report.updated
    assert update.after.address == "湖西路1号"
    assert update.changed == (Column.GRID,)


def test_a_blank_credit_code_never_erases_a_known_one() -> None:
    existing = [RegistryEntry(name="甲店", credit_code=CODE_A)]
    report = plan_upsert(read_rows(HEADER, [["甲店", "", ""]]), existing)
    assert report.unchanged and report.ok


def test_a_name_that_belongs_to_a_business_with_another_code_is_rejected() -> None:
    existing = [RegistryEntry(name="甲店", credit_code=CODE_A), RegistryEntry(name="乙店")]
    rows = [["甲店", CODE_B, ""], ["乙店", CODE_A, ""]]
    report = plan_upsert(read_rows(HEADER, rows), existing)
    assert [rejected.row_number for rejected in report.rejected] == [2, 3]
    assert all("已被档案中" in rejected.reasons[0] for rejected in report.rejected)


def test_two_rows_reaching_the_same_registry_entry_are_not_both_applied() -> None:
    existing = [RegistryEntry(name="甲店", credit_code=CODE_A)]
    rows = [["甲店新名", CODE_A, ""], ["甲店", "", "歇业"]]
    report = plan_upsert(read_rows(HEADER, rows), existing)
    assert len(report.updated) == 1
    assert report.rejected[0].reasons == ("与第2行对应档案中的同一家商家",)


def test_an_export_reimports_unchanged() -> None:
    entries = [
        RegistryEntry(
            name="张记饺子馆",
            credit_code=CODE_A,
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
        RegistryEntry(name="阳光家电维修部"),
        RegistryEntry(name="老王水果店", status=BusinessStatus.MOVED_OUT),
    ]
    header, rows = export_rows(entries)
    plan = read_rows(header, rows)
    assert [row.entry for row in plan.rows] == entries
    report = plan_upsert(plan, entries)
    assert len(report.unchanged) == 3
    assert not (report.added or report.updated or report.rejected)


_WORDS = st.text(
    alphabet="张记饺子馆阳光家电维修部湖西路号第网格社区=+-@'（）1A", min_size=1, max_size=8
)
_OPTIONAL = st.none() | _WORDS
_DAYS = st.none() | st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))


@st.composite
def entries(draw: st.DrawFn) -> RegistryEntry:
    name = draw(_WORDS)
    aliases = draw(st.lists(_WORDS.filter(lambda alias: alias != name), unique=True, max_size=3))
    return RegistryEntry(
        name=name,
        credit_code=draw(st.none() | st.sampled_from([CODE_A, CODE_B, PUBLISHED_CODE])),
        aliases=tuple(aliases),
        address=draw(_OPTIONAL),
        street=draw(_OPTIONAL),
        community=draw(_OPTIONAL),
        grid=draw(_OPTIONAL),
        status=draw(st.none() | st.sampled_from(list(BusinessStatus))),
        licences=tuple(draw(st.lists(_WORDS, unique=True, max_size=3))),
        licence_valid_until=draw(_DAYS),
        committed=draw(st.booleans()),
        committed_on=draw(_DAYS),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(entries(), max_size=5, unique_by=lambda entry: entry.name))
def test_any_registry_exports_and_reimports_unchanged(drawn: list[RegistryEntry]) -> None:
    codes: set[str | None] = set()
    registry = []
    for entry in drawn:  # a registry holds each credit code once
        if entry.credit_code is None or entry.credit_code not in codes:
            codes.add(entry.credit_code)
            registry.append(entry)
    header, rows = export_rows(registry)
    plan = read_rows(header, rows)
    assert [row.entry for row in plan.rows] == registry
    assert len(plan_upsert(plan, registry).unchanged) == len(registry)
