"""The parser never raises and never leaks, whatever a group member pastes."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediation.parsing import ComplaintParser
from mediation.parsing.parser import ANALYSIS_LIMIT

_JOINED = re.compile(r"(?<=\d)[ \-\u00a0\u3000.]{1,3}(?=\d)")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture(scope="module")
def parser(tmp_path_factory: pytest.TempPathFactory) -> ComplaintParser:
    parser = ComplaintParser(cache_dir=Path(tmp_path_factory.mktemp("data")) / "cache")
    parser.prepare()
    return parser


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\n\n\t",
        "\x00\x01\x02\x7f",
        "\ud800\udfff",
        "\u202e投诉\u202c",
        "😀😃😄🙏👍" * 50,
        "【投诉】" * 2000,
        "元" * 5000,
        "一二三四五六七八九十百千万" * 500,
        "9" * 50_000,
        "[图片]" * 1000,
        "/",
        "／stats",
        "　",
        '{"text": "收到"}',
        "¥¥¥,,,...万万千千",
        "退还" * 3000 + "58元",
        "“" * 1000 + "”" * 1000,
    ],
)
def test_odd_input_gives_a_result_and_never_an_exception(
    parser: ComplaintParser, text: str
) -> None:
    result = parser.parse(text)
    assert result.kind != "error"
    assert 0.0 <= result.confidence <= 1.0
    result.masked_text.encode("utf-8")  # no lone surrogates left to break the JSON line
    assert set(result.to_json(1)) >= {"is_complaint", "masked_text", "nuisance"}


def test_non_text_input_is_read_as_text(parser: ComplaintParser) -> None:
    assert parser.parse(None).masked_text == ""  # type: ignore[arg-type]
    assert parser.parse(13812345678).masked_text == "138****5678"  # type: ignore[arg-type]


def test_a_huge_message_is_masked_throughout_but_read_only_at_the_start(
    parser: ComplaintParser,
) -> None:
    complaint = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678。"
    text = complaint + "聊天记录，" * 20_000 + "另一个电话13912345678"
    assert len(text) > 100_000
    result = parser.parse(text)
    assert result.is_complaint
    assert result.merchant == "张记饺子馆"
    assert "13912345678" not in result.masked_text
    assert result.masked_text.endswith("另一个电话139****5678")
    assert result.contacts == ("138****5678", "139****5678")


def test_case_data_after_the_reading_limit_is_not_used(parser: ComplaintParser) -> None:
    text = "聊天" * ANALYSIS_LIMIT + "【投诉】湖西路张记饺子馆多收消费者58元，要求退款"
    result = parser.parse(text)
    assert not result.is_complaint
    assert result.amount is None


_MESSAGE = st.text(
    alphabet=st.sampled_from(
        [
            *"0123456789 -.元万¥，。：？！【】[]/",
            *"投诉消费者要求退款赔偿道歉商家超市饺子馆湖西路张记多收电话收到好的图片噪音",
            "\u200b",
            "\x00",
            "😀",
        ]
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(_MESSAGE)
def test_any_message_parses_without_error_and_without_an_unmasked_mobile(
    parser: ComplaintParser, text: str
) -> None:
    result = parser.parse(text)
    assert result.kind != "error"
    assert not _MOBILE.search(_JOINED.sub("", result.masked_text))
    if result.nuisance:
        assert not result.is_complaint


@pytest.mark.parametrize(
    "text", ["哈" * 60 + "你好吗", "嗯" * 40 + "，" * 40 + "是吧", "好的" * 50 + "？"]
)
def test_a_long_run_of_laughter_or_acknowledgement_reads_at_once(
    parser: ComplaintParser, text: str
) -> None:
    # A repeated character inside a repeated group used to backtrack exponentially.
    started = time.perf_counter()
    parser.parse(text)
    assert time.perf_counter() - started < 1.0
