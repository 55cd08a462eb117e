"""Typical-case write-ups carry the story and the law, never a person."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediation.cases import CaseStatus, EventKind
from mediation.privacy import contains_personal_data, mask_text
from mediation.typical import (
    TimelineEvent,
    TypicalCaseFacts,
    anonymised_merchant,
    draft_typical_case,
    legal_point_key,
    scrub,
)

RAW = (
    "【投诉】王女士反映，在湖西路张记饺子馆吃饭多收了58元，要求退款。"
    "联系电话13812345678，微信号 wangfang_88，家住阳光小区3栋2单元501，身份证110101199003071234。"
)


def facts(**changes: object) -> TypicalCaseFacts:
    values: dict[str, object] = {
        "number": "CY-202606-0007",
        "merchant_name": "张记饺子馆",
        "merchant_aliases": ("张记",),
        "category": "餐饮住宿",
        "problem": "价格",
        "masked_text": mask_text(RAW),
        "demands": ("退款",),
        "amount": Decimal("58"),
        "status": CaseStatus.RESOLVED,
        "remedy": "退款",
        "money_returned": Decimal("58"),
        "received_at": datetime(2026, 6, 1, 2, 0, tzinfo=UTC),
        "working_days_to_close": 2,
        "personal_names": ("王芳", "芳芳"),
    }
    values.update(changes)
    return TypicalCaseFacts(**values)  # type: ignore[arg-type]


EVENTS = [
    TimelineEvent(EventKind.OPENED, datetime(2026, 6, 1, 2, 0, tzinfo=UTC)),
    TimelineEvent(EventKind.ACCEPTED, datetime(2026, 6, 1, 3, 0, tzinfo=UTC)),
    TimelineEvent(EventKind.REMINDED, datetime(2026, 6, 2, 1, 0, tzinfo=UTC)),
    TimelineEvent(EventKind.REMINDED, datetime(2026, 6, 2, 5, 0, tzinfo=UTC)),
    TimelineEvent(
        EventKind.MERCHANT_REPLIED,
        datetime(2026, 6, 2, 6, 0, tzinfo=UTC),
        note="同意退还58元，请王芳来店里，电话0571-86001234",
    ),
    TimelineEvent(EventKind.CONFIRMED, datetime(2026, 6, 3, 1, 0, tzinfo=UTC)),
    TimelineEvent(EventKind.RATED, datetime(2026, 6, 3, 2, 0, tzinfo=UTC)),
]

PERSONAL = ("王女士", "王芳", "13812345678", "138****5678", "wangfang", "阳光小区", "3栋", "1234")


def test_the_draft_has_every_section_and_no_personal_detail() -> None:
    draft = draft_typical_case(facts(), EVENTS)
    text = draft.text
    for heading in ("基本案情", "调解过程", "处理结果", "法律要点"):
        assert f"{heading}：" in text
    for detail in PERSONAL:
        assert detail not in text, detail
    assert not contains_personal_data(text)
    assert not re.search(r"\*{3,}", text)  # not even masked numbers


def test_the_merchant_is_anonymised_by_trade_unless_naming_is_enabled() -> None:
    anonymous = draft_typical_case(facts(), EVENTS)
    assert "张记" not in anonymous.text
    assert "某饺子馆" in anonymous.title and "某饺子馆" in anonymous.facts
    named = draft_typical_case(facts(), EVENTS, name_merchant=True)
    assert named.title.startswith("张记饺子馆")


def test_the_story_keeps_what_happened_and_what_was_asked() -> None:
    draft = draft_typical_case(facts(), EVENTS)
    assert "多收了58元" in draft.facts
    assert draft.facts.endswith("诉求：退款（58元）。")
    assert draft.facts.startswith("2026年6月，消费者反映：在湖西路某饺子馆")


def test_the_mediation_tells_the_timeline_without_repeating_reminders() -> None:
    draft = draft_typical_case(facts(), EVENTS)
    assert "CY-202606-0007" in draft.mediation
    assert draft.mediation.count("提醒商家") == 1 and "提醒商家2次" in draft.mediation
    assert "商家答复：同意退还58元" in draft.mediation
    assert "消费者确认" in draft.mediation
    assert "王芳" not in draft.mediation and "8600" not in draft.mediation


def test_the_result_gives_the_outcome_money_and_days() -> None:
    result = draft_typical_case(facts(), EVENTS).result
    assert "双方达成一致" in result and "退款" in result and "58元" in result
    assert "2 个工作日" in result
    failed = draft_typical_case(facts(status=CaseStatus.FAILED, money_returned=None), EVENTS)
    assert "未能达成一致" in failed.result and "调解未果" in failed.title


def test_staff_may_give_the_title_and_it_is_scrubbed_too() -> None:
    draft = draft_typical_case(facts(), EVENTS, title="张记饺子馆多收王女士58元")
    assert draft.title == "某饺子馆多收消费者58元"


@pytest.mark.parametrize(
    ("name", "anonymous"),
    [
        ("张记饺子馆", "某饺子馆"),
        ("阳光家电维修部", "某家电维修部"),
        ("力美健身房", "某健身房"),
        ("华联超市湖西店", "某超市"),
        ("杭州阳光健身服务有限公司", "某健身服务有限公司"),
        ("好运来", "某商家"),
        (None, "某商家"),
    ],
)
def test_merchants_are_anonymised_by_their_trade(name: str | None, anonymous: str) -> None:
    assert anonymised_merchant(name) == anonymous


def test_a_name_that_tells_no_trade_is_anonymised_by_the_category() -> None:
    assert anonymised_merchant("好运来", "餐饮住宿") == "某餐饮店"
    assert anonymised_merchant("好运来", "其他服务") == "某商家"


@pytest.mark.parametrize(
    ("category", "problem", "text", "key"),
    [
        ("文化娱乐体育", "合同", "健身房办了年卡，现在闭店了", "prepaid"),
        ("美容美发洗浴", "其他", "充值3000元的会员卡不让退", "prepaid"),
        ("食品", "质量", "买的牛奶过期了", "food"),
        ("服装鞋帽", "售后服务", "网购的衣服七天内要求退货被拒", "distance_return"),
        ("首饰及文体用品", "假冒", "买到假货", "fraud"),
        ("餐饮住宿", "价格", "多收了钱", "price"),
        ("日用商品", "计量", "缺斤短两", "measure"),
        ("其他服务", None, "说不清楚", "general"),
    ],
)
def test_the_legal_point_follows_the_case(
    category: str, problem: str | None, text: str, key: str
) -> None:
    assert legal_point_key(category, problem, text) == key


def test_the_legal_point_cites_the_consumer_law_article() -> None:
    draft = draft_typical_case(facts(masked_text="健身房办了预付卡后闭店", problem="合同"), EVENTS)
    assert draft.legal_point_key == "prepaid"
    assert "第五十三条" in draft.legal_point and "预付卡" in draft.title


def test_staff_edits_are_scrubbed_the_same_way() -> None:
    text = scrub(
        "李先生（电话：13912345678）在张记买的饺子，住址：湖西路8号",
        merchant_names=("张记饺子馆", "张记"),
        merchant_display="某饺子馆",
    )
    assert text == "消费者在某饺子馆买的饺子"


_CHINESE = st.text(alphabet="在店里买了东西坏要求退款饺子馆先生，。", max_size=12)
_NUMBERS = st.one_of(
    st.from_regex(r"1[3-9]\d{9}", fullmatch=True),
    st.from_regex(r"0571-?8\d{7}", fullmatch=True),
    st.from_regex(r"[1-6]\d{16}[\dX]", fullmatch=True),
)
_LABELS = st.sampled_from(["", "电话", "电话：", "手机号", "联系方式:", "身份证", "，"])


@settings(max_examples=80, deadline=None)
@given(_CHINESE, _LABELS, _NUMBERS, _CHINESE)
def test_no_number_or_mask_survives_scrubbing(
    before: str, label: str, number: str, after: str
) -> None:
    text = scrub(before + label + number + after)
    assert "*" not in text
    assert not re.search(r"\d{4}", text)
    assert not contains_personal_data(text)
