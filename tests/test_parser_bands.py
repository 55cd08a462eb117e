"""The learned detector: three bands, a calibrated probability, rules that still decide alone."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mediation.parsing import ComplaintParser
from mediation.parsing.model import DetectorModel, load_model


@pytest.fixture(scope="module")
def parser(tmp_path_factory: pytest.TempPathFactory) -> ComplaintParser:
    parser = ComplaintParser(cache_dir=Path(tmp_path_factory.mktemp("data")) / "cache")
    parser.prepare()
    return parser


def test_the_shipped_model_loads_without_scikit_learn() -> None:
    model = load_model()
    assert "sklearn" not in sys.modules
    assert 0.0 < model.unsure <= model.sure < 1.0
    assert len(model.term_index) > 1000


@pytest.mark.parametrize(
    "text",
    [
        "美容院办的卡不给退，老板说活动卡概不退还",
        "有居民反映在一家超市买到过期牛奶，要求超市赔偿",
        "我在那个东方商厦买的鞋子穿了两天就开胶了，商家不给退换",
        "12345工单：来电人反映在某健身房办理年卡2680元，现该店停业无法联系，诉求退还剩余费用",
        "就是我刚才在步行街那家奶茶店扫码付了两次钱店员说只显示一次不给退我有付款截图",
    ],
)
def test_complaints_in_new_registers_are_sure(parser: ComplaintParser, text: str) -> None:
    result = parser.parse(text)
    assert result.band == "sure"
    assert result.is_complaint
    assert result.probability == result.confidence >= parser._model.sure


@pytest.mark.parametrize(
    "text",
    [
        "哈哈哈今天买的彩票又没中，白花了二十块",
        "明天下午三点在三楼会议室开会，请各网格员准时参加",
        "你去那儿竟然不喊我，快点给我道歉",
        "本月共受理消费投诉56件，同比增长12%，调解成功48件",
        "退一步海阔天空，别跟他计较了",
    ],
)
def test_chatter_is_not_sure(parser: ComplaintParser, text: str) -> None:
    result = parser.parse(text)
    assert not result.is_complaint
    assert result.band in ("no", "unsure")


def test_is_complaint_is_exactly_the_sure_band(parser: ComplaintParser) -> None:
    texts = [
        "收到", "超市卖过期面包", "健身房跑路了", "周末一起吃饭吗", "外卖里吃出虫子，商家不理",
        "楼上装修太吵了", "那家店的东西挺好吃", "商家已经退款了", "快递丢了不赔",
    ]  # fmt: skip
    for text in texts:
        result = parser.parse(text)
        assert result.is_complaint == (result.band == "sure"), text
        assert result.band in ("sure", "unsure", "no")
        assert 0.0 <= result.probability <= 0.99


def test_the_parse_line_carries_the_band(parser: ComplaintParser) -> None:
    line = parser.parse("美容院办的卡不给退").to_json("m-9")
    assert line["band"] in ("sure", "unsure", "no")
    assert line["is_complaint"] == (line["band"] == "sure")
    json.dumps(line, ensure_ascii=False)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("/stats 2026-06", "command"),
        ("[图片]", "media"),
        ("收到，谢谢", "ack"),
        ("5", "mediation_reply"),
        ("隔壁装修天天电钻声，周末也不停，扰民严重", "nuisance"),
    ],
)
def test_decisive_rules_still_settle_without_the_model(
    parser: ComplaintParser, text: str, kind: str
) -> None:
    result = parser.parse(text)
    assert (result.kind, result.band, result.is_complaint) == (kind, "no", False)


def test_an_account_starting_like_an_acknowledgement_is_read_by_the_model(
    parser: ComplaintParser,
) -> None:
    # 哈弗 starts with 哈, 嗯对 with 嗯: neither is an acknowledgement
    for text in ("哈弗H6发动机异响，4S店拒绝保修", "嗯对就是我在超市买的牛奶过期了要求退钱"):
        assert parser.parse(text).kind != "ack", text


def test_a_noise_word_in_an_account_of_a_purchase_does_not_settle_it(
    parser: ComplaintParser,
) -> None:
    result = parser.parse("新买的洗衣机噪音特别大，商家说正常，拒绝退货")
    assert not result.nuisance
    assert result.kind != "nuisance"


def test_a_tagged_message_is_sure_even_when_short(parser: ComplaintParser) -> None:
    result = parser.parse("【投诉】湖西路张记饺子馆")
    assert result.band == "sure"


def test_bands_follow_the_thresholds_of_the_model_given(tmp_path: Path) -> None:
    # A model that scores everything alike: the thresholds alone decide the band.
    def band_for(sure: float, unsure: float) -> str:
        model = DetectorModel({}, bias=0.0, platt_a=1.0, platt_b=0.0, sure=sure, unsure=unsure)
        parser = ComplaintParser(cache_dir=tmp_path / "cache", model=model)
        return parser.parse("超市卖的牛奶过期了").band  # probability 0.5

    assert band_for(0.4, 0.3) == "sure"
    assert band_for(0.9, 0.3) == "unsure"
    assert band_for(0.9, 0.6) == "no"
