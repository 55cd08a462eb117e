"""Personal data written the ways people write it never survives the masker (issue 17.3).

Phones with any short run of separators or in Chinese numerals, bank cards, consumers' names,
home addresses, WeChat / QQ ids, e-mail addresses, passports and licence plates.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediation.privacy import contains_personal_data, mask_personal_data, mask_text

PHONE = "13812345678"


@pytest.mark.parametrize(
    "written",
    [
        "138/1234/5678",
        "138，1234，5678",
        "一三八一二三四五六七八",
        "幺三八 幺二三四 五六七八",
        "138~1234~5678",
        "(138)12345678",
        "（138）1234-5678",
        "138*1234*5678",
        "138 / 1234 / 5678",
        "138、1234、5678",
        "138|1234|5678",
    ],
)
def test_phone_with_any_separator_or_in_chinese_numerals_is_masked(written: str) -> None:
    result = mask_personal_data(f"消费者电话{written}，要求退款")
    assert result.phones == (PHONE,), result
    assert "138****5678" in result.text
    assert "1234" not in result.text


# Characters that are neither letters nor digits, as people type them between digit groups.
SEPARATOR_CHARS = " -_./\\,，。、~～*·:：;；|()（）[]【】<>《》+#=!！?？'\"“”\t\u3000"


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    cuts=st.lists(st.integers(min_value=1, max_value=10), max_size=6, unique=True),
    runs=st.lists(st.text(st.sampled_from(SEPARATOR_CHARS), min_size=1, max_size=3), min_size=6),
)
def test_any_short_run_of_separators_between_digit_groups_is_still_a_phone(
    cuts: list[int], runs: list[str]
) -> None:
    pieces, last = [], 0
    for index, cut in enumerate(sorted(cuts)):
        pieces += [PHONE[last:cut], runs[index]]
        last = cut
    written = "".join(pieces) + PHONE[last:]
    result = mask_personal_data(f"投诉人电话 {written} 。")
    assert PHONE in result.phones, (written, result)
    assert re.sub(r"\D", "", result.text).count("5678") == 1  # only the mask's tail is left


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("退款打到卡号6222020212345678，谢谢", "6222020212345678"),
        ("银行卡 6222 0202 1234 5678 901", "6222020212345678901"),
        ("卡号：6222-0202-1234-5678", "6222020212345678"),
        ("请转到6217000012345678901", "6217000012345678901"),
        ("账号 4367 4210 1234 5678 9", "43674210123456789"),
    ],
)
def test_bank_cards_are_masked_and_not_read_as_phones(text: str, card: str) -> None:
    result = mask_personal_data(text)
    assert result.cards == (card,)
    assert result.phones == ()
    assert card[4:-4] not in re.sub(r"\D", "", result.text)
    assert contains_personal_data(text)


def test_a_card_and_a_phone_side_by_side_are_each_what_they_are() -> None:
    result = mask_personal_data("卡号6222020212345678，电话13812345678")
    assert result.cards == ("6222020212345678",)
    assert result.phones == (PHONE,)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("消费者王小明反映饺子有异物", "消费者王**反映饺子有异物"),
        ("居民李红称被多收钱", "居民李**称被多收钱"),
        ("投诉人：张伟，电话", "投诉人：张**，电话"),
        ("王小红女士在店里消费", "王**女士在店里消费"),
        ("联系陈建国先生", "联系陈**先生"),
        ("消费者王女士反映", "消费者王女士反映"),  # a surname and a title name nobody
        ("居民李某反映", "居民李某反映"),
        ("消费者向张记饺子馆购买了套餐", "消费者向张记饺子馆购买了套餐"),
    ],
)
def test_consumer_names_become_surname_and_stars(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("家住湖西路18号3幢2单元501室", "家住湖西路**"),
        ("湖西路18号3幢2单元501室的居民", "湖西路**的居民"),
        ("阳光小区5栋1201", "阳光小区**"),
        ("幸福花园3-2-501", "幸福花园**"),
        ("住址：解放路66号", "住址：解放路**"),
    ],
)
def test_home_addresses_are_masked_after_the_street(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "张记饺子馆 湖西路店",
        "湖西路18号张记饺子馆多收58元",
        "万达广场3楼海底捞",
        "2026-06-01 在湖西路店消费",
    ],
)
def test_a_business_address_stays_readable(text: str) -> None:
    assert mask_text(text) == text


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("加我微信 wxid_abc123xyz", "abc123xyz"),
        ("微信号：zhang_san88", "zhang_san88"),
        ("QQ 123456789 联系", "123456789"),
        ("QQ号：98765432", "98765432"),
        ("邮箱 zhangsan@example.com", "zhangsan"),
        ("护照号E12345678", "1234567"),
        ("车牌京A12345被刮", "A12345"),
        ("浙A·D1234停在门口", "D1234"),
    ],
)
def test_ids_mail_passports_and_plates_are_masked(text: str, gone: str) -> None:
    masked = mask_text(text)
    assert gone not in masked, masked
    assert "*" in masked


@pytest.mark.parametrize(
    "text", ["赔偿1,380,000.00元", "货款13,800,000.50元", "合计1,500,000,000元"]
)
def test_amounts_with_thousands_separators_stay_amounts(text: str) -> None:
    assert mask_text(text) == text


def test_a_plate_keeps_its_province_and_last_two() -> None:
    assert mask_text("京A12345") == "京A***45"


def test_masking_twice_changes_nothing() -> None:
    text = (
        "消费者王小明，电话138/1234/5678，卡号6222020212345678，家住湖西路18号3幢2单元501室，"
        "微信wxid_abc123，QQ 12345678，邮箱a.b@example.com，车牌京A12345"
    )
    once = mask_text(text)
    assert mask_text(once) == once
