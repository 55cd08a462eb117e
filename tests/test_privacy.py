"""Phone and ID-card numbers never reach a group message unmasked."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediation.privacy import (
    contains_personal_data,
    mask_mobile,
    mask_personal_data,
    mask_phone,
    mask_text,
    normalise_digits,
)

# An independent reading of "an unmasked personal number": join digits split by separators,
# then look for an 11-digit mobile, an 18- or 15-digit ID, or a landline with area code.
_JOINED = re.compile(r"(?<=\d)[ \-\u00a0\u3000.]{1,3}(?=\d)")
_LEAK = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|[1-8]\d{16}[\dXx]|[1-8]\d{14}|0\d{9,11})(?!\d)")


def leaks(text: str) -> list[str]:
    return _LEAK.findall(_JOINED.sub("", text))


@pytest.mark.parametrize(
    ("text", "masked", "phone"),
    [
        ("电话13812345678", "电话138****5678", "13812345678"),
        ("电话 138 1234 5678", "电话 138****5678", "13812345678"),
        ("电话138-1234-5678", "电话138****5678", "13812345678"),
        ("+86 138 1234 5678", "138****5678", "13812345678"),
        ("008613812345678", "138****5678", "13812345678"),
        ("13812 345678", "138****5678", "13812345678"),
        ("１３８１２３４５６７８", "138****5678", "13812345678"),
        ("138\u200b1234\u200b5678", "138****5678", "13812345678"),
        ("138\x001234 5678", "138****5678", "13812345678"),
    ],
)
def test_mobile_numbers_are_masked_however_they_are_written(
    text: str, masked: str, phone: str
) -> None:
    result = mask_personal_data(text)
    assert result.text == masked
    assert result.phones == (phone,)


@pytest.mark.parametrize(
    ("text", "masked", "phone"),
    [
        ("座机0571-86001234", "座机0571-****1234", "057186001234"),
        ("座机（0571）8600 1234", "座机0571-****1234", "057186001234"),
        ("电话：0571 8899 6677", "电话：0571-****6677", "057188996677"),
        ("北京010-12345678", "北京010-****5678", "01012345678"),
        ("店里电话86001234", "店里电话****1234", "86001234"),
        ("联系电话：8600-1234", "联系电话：****1234", "86001234"),
    ],
)
def test_landlines_with_and_without_area_code_are_masked(
    text: str, masked: str, phone: str
) -> None:
    result = mask_personal_data(text)
    assert result.text == masked
    assert result.phones == (phone,)


@pytest.mark.parametrize(
    ("text", "masked", "number"),
    [
        ("身份证330106199001011234号", "身份证330***********1234号", "330106199001011234"),
        ("身份证号33010619900101123x", "身份证号330***********123X", "33010619900101123X"),
        ("330106 19900101 1234", "330***********1234", "330106199001011234"),
        ("老身份证330106900101123", "老身份证330********1123", "330106900101123"),
    ],
)
def test_id_card_numbers_are_masked_and_reported(text: str, masked: str, number: str) -> None:
    result = mask_personal_data(text)
    assert result.text == masked
    assert result.id_numbers == (number,)
    assert result.phones == ()


@pytest.mark.parametrize(
    "text",
    [
        "多收了58元，要求退款",
        "年卡3,600元，2026-06-01办的",
        "2026年6月1日 13:30 到店",
        "花了1.2万，约定05/06/2020交付",
        "特价12.8元按19.8元收",
        "订单号42000012345678901234",  # too long for a phone, an ID or a bank card
        "投诉热线12315",
    ],
)
def test_amounts_dates_and_order_numbers_are_left_alone(text: str) -> None:
    result = mask_personal_data(text)
    assert result.text == text
    assert result.phones == ()
    assert result.id_numbers == ()


def test_two_phone_numbers_side_by_side_are_both_masked() -> None:
    result = mask_personal_data("13812345678 13912345678")
    assert result.text == "138****5678 139****5678"
    assert result.phones == ("13812345678", "13912345678")


def test_full_width_punctuation_is_kept_while_digits_are_normalised() -> None:
    assert normalise_digits("退款５８元，电话：") == "退款58元，电话："


def test_lone_surrogates_and_controls_are_removed_so_output_can_be_encoded() -> None:
    text = mask_text("收到\ud800\x07好的")
    assert text == "收到\ufffd好的"
    text.encode("utf-8")


def test_mask_helpers_format_each_kind_of_number() -> None:
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("057186001234") == "0571-****1234"
    assert mask_phone("01012345678") == "010-****5678"
    assert mask_phone("86001234") == "****1234"


def test_contains_personal_data_sees_numbers_and_not_their_masks() -> None:
    assert contains_personal_data("电话13812345678")
    assert not contains_personal_data(mask_text("电话13812345678，身份证330106199001011234"))


def test_a_whole_page_is_masked_to_the_last_number() -> None:
    text = "无关内容，" * 20_000 + "电话13812345678"
    masked = mask_text(text)
    assert masked.endswith("电话138****5678")
    assert not leaks(masked)


_NUMBERISH = st.text(
    alphabet=st.sampled_from(
        [*"0123456789" * 6, *" -.元号电话（）()+Xx，。张记", "\u3000", "\u00a0", "\u200b", "\x00"]
    ),
    max_size=60,
)


@settings(max_examples=400, deadline=None)
@given(_NUMBERISH)
def test_no_phone_or_id_number_survives_masking(text: str) -> None:
    masked = mask_text(text)
    assert not leaks(masked), (text, masked)
    assert mask_text(masked) == masked  # masking is stable
