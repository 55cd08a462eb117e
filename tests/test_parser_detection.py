"""Which group messages are new consumer complaints, and which are everything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediation.parsing import ComplaintParser, MerchantEntry


@pytest.fixture(scope="module")
def parser(tmp_path_factory: pytest.TempPathFactory) -> ComplaintParser:
    parser = ComplaintParser(
        [MerchantEntry(1, "张记饺子馆", ("张记",))],
        cache_dir=Path(tmp_path_factory.mktemp("data")) / "cache",
    )
    parser.prepare()
    return parser


@pytest.mark.parametrize(
    "text",
    [
        "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678",
        "消费者反映在湖西路明月理发店烫发后头发断裂，要求退还烫发费用380元",
        "投诉：湖西路快乐健身房突然关门，会员卡里还有2000元，消费者要求退还",
        "居民反映湖西路好又多超市卖的酸奶过期了，要求退一赔十",
        "12315转来：顾客在湖西路福满楼吃饭被多收了120元，要求退还",
        "我在拼多多买的手机是翻新机，商家拒绝退货，要求退款并赔偿",
    ],
)
def test_consumer_complaints_are_recognised(parser: ComplaintParser, text: str) -> None:
    result = parser.parse(text)
    assert result.is_complaint
    assert result.kind == "complaint"
    assert 0.5 <= result.confidence <= 0.99


def test_a_tag_and_a_merchant_alone_open_a_complaint_that_asks_for_the_rest(
    parser: ComplaintParser,
) -> None:
    result = parser.parse("【投诉】湖西路张记饺子馆")
    assert result.is_complaint
    assert result.missing == ("facts", "demand", "contact")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("收到", "ack"),
        ("好的，马上联系商家", "ack"),
        ("👍👍", "ack"),
        ("收到，谢谢王所", "ack"),
        ("辛苦了！", "ack"),
        ("[图片]", "media"),
        ("[语音]", "media"),
        ("[文件] 2026年6月消费投诉台账.xlsx", "media"),
        ("/stats 2026-06", "command"),
        ("/close CY-202606-0007 调解成功", "command"),
        ("同意退还58元", "mediation_reply"),
        ("确认", "mediation_reply"),
        ("不同意，只能退一半", "mediation_reply"),
        ("5", "mediation_reply"),
        ("张记饺子馆回复：我们核实了，确实多收了，同意退", "mediation_reply"),
        ("【通知】明天上午9点在所里召开消费维权工作会议，请各网格员准时参加", "notice"),
        ("各位网格员：明天市局来检查食品安全，请提醒辖区餐饮店做好后厨卫生。", "notice"),
        ("会议改到下周一上午9:30，地点不变", "notice"),
        ("本周共受理投诉12件，其中餐饮类5件，已调解成功10件，挽回经济损失3600元", "stats"),
        ("5月份投诉情况：受理46件，同比下降12%，环比上升5%，调解成功38件", "stats"),
        ("请问消费者在外地网购的商品质量有问题，可以在我们这里投诉吗？", "question"),
        ("谁有湖西路华联超市店长的电话？", "question"),
        ("湖西路张记饺子馆已退款58元，消费者表示满意", "refund_done"),
        ("这个案子商家已经退款了，可以结案了", "refund_done"),
        ("关于张记饺子馆多收58元的投诉，商家同意退款，请消费者确认", "refund_done"),
        ("消费者已撤回投诉", "refund_done"),
        ("今天处理了3起投诉，都是预付卡退费的问题，商家都已经退了", "refund_done"),
        ("【提醒】近期接到多起健身房跑路的投诉，请大家提醒居民办卡谨慎", "notice"),
        ("消费者不同意商家的方案，要求全额退款，明天再约双方调解", "followup"),
        ("张记饺子馆的老板说下午过来所里协商退款的事", "followup"),
    ],
)
def test_chatter_never_opens_a_case(parser: ComplaintParser, text: str, kind: str) -> None:
    result = parser.parse(text)
    assert not result.is_complaint
    assert result.kind == kind
    assert result.confidence < 0.5
    assert not result.nuisance


@pytest.mark.parametrize(
    "text",
    [
        "湖西路88号楼下的烧烤店每天晚上油烟太大，熏得楼上没法开窗，居民要求处理",
        "【投诉】幸福里小区旁边工地晚上12点还在施工，噪音扰民严重，电话13900001111",
        "广场舞音响太吵了，老人们每天早上6点就开始跳，能不能管管",
    ],
)
def test_nuisance_reports_are_flagged_and_are_not_consumer_complaints(
    parser: ComplaintParser, text: str
) -> None:
    result = parser.parse(text)
    assert not result.is_complaint
    assert result.nuisance
    assert result.kind == "nuisance"


def test_a_noise_complaint_about_a_purchase_is_still_a_consumer_complaint(
    parser: ComplaintParser,
) -> None:
    result = parser.parse("消费者在湖西路星光KTV消费，包厢音响坏了噪音很大，要求退还包厢费398元")
    assert result.is_complaint
    assert not result.nuisance


def test_a_follow_up_with_merchant_and_phone_is_not_a_new_complaint_but_is_read(
    parser: ComplaintParser,
) -> None:
    result = parser.parse("商家是湖西路张记饺子馆，电话13812345678")
    assert not result.is_complaint
    assert result.kind == "followup"
    assert result.merchant == "张记饺子馆"
    assert result.merchant_id == 1
    assert result.contacts == ("138****5678",)
    assert result.raw_contacts == ("13812345678",)


def test_a_follow_up_with_the_demand_is_read(parser: ComplaintParser) -> None:
    result = parser.parse("补充一下，消费者要求退款，联系电话15888886666")
    assert not result.is_complaint
    assert result.demands == ("退款",)
    assert result.contacts == ("158****6666",)


def test_a_merchant_reply_keeps_its_amount_for_the_mediation_thread(
    parser: ComplaintParser,
) -> None:
    result = parser.parse("同意退还58元")
    assert not result.is_complaint
    assert str(result.amount) == "58"


def test_the_parse_line_says_whether_a_message_is_a_nuisance_report(
    parser: ComplaintParser,
) -> None:
    line = parser.parse("隔壁装修天天电钻声，周末也不停，扰民严重").to_json("m-1")
    assert line["id"] == "m-1"
    assert line["nuisance"] is True
    assert line["is_complaint"] is False
