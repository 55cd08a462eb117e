"""Merchant names as people write them, and the amount a dispute is about (issue 16, 4-5)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from mediation.parsing import ComplaintParser, MerchantEntry


@pytest.fixture(scope="module")
def parser(tmp_path_factory: pytest.TempPathFactory) -> ComplaintParser:
    parser = ComplaintParser(
        [MerchantEntry(7, "悦动健身房", ("悦动",))],
        cache_dir=Path(tmp_path_factory.mktemp("data")) / "cache",
    )
    parser.prepare()
    return parser


@pytest.mark.parametrize(
    ("text", "merchant"),
    [
        ("阳光家电维修部修空调收了300块，没修好还不退钱", "阳光家电维修部"),
        ("永辉超市人民路店卖过期牛奶，顾客要求赔偿", "永辉超市人民路店"),
        ("惠民超市（建设路店）鸡蛋标价9.9元结账收15.9元", "惠民超市（建设路店）"),
        ("大润发超市城东分店卖的排骨有异味，要求退款", "大润发超市城东分店"),
        ("消费者在华联超市买的酸奶胀袋，店员不给退", "华联超市"),
    ],
)
def test_the_whole_name_is_kept_with_its_branch_and_trade(
    parser: ComplaintParser, text: str, merchant: str
) -> None:
    assert parser.parse(text).merchant == merchant


@pytest.mark.parametrize(
    ("text", "not_in_name"),
    [
        ("请问驾校不退学费怎么办", "请问"),
        ("我在那边的星光健身办了卡，现在关门了不退钱", "那边"),
        ("问一下铁馆办的卡能退吗，老板跑路了", "一下"),
        ("在美团上面下单跑腿，东西丢了不赔", "下单"),
    ],
)
def test_leading_words_are_never_glued_to_a_name(
    parser: ComplaintParser, text: str, not_in_name: str
) -> None:
    merchant = parser.parse(text).merchant
    assert merchant is None or not_in_name not in merchant


def test_a_registered_merchant_named_by_its_alias_is_preferred(parser: ComplaintParser) -> None:
    result = parser.parse("我在那边的悦动办了卡，现在关门了不退钱")
    assert result.merchant == "悦动"
    assert result.merchant_id == 7


@pytest.mark.parametrize(
    ("text", "amount", "paid"),
    [
        ("标价19.9元结账扣了29.9", Decimal("10"), Decimal("29.9")),
        ("货架上标价12.8元，结账时收了19.8元，要求退差价", Decimal("7"), Decimal("19.8")),
        ("说好的500，搬完了收了800", Decimal("300"), Decimal("800")),
    ],
)
def test_a_price_shown_and_a_higher_price_charged_put_the_difference_at_stake(
    parser: ComplaintParser, text: str, amount: Decimal, paid: Decimal
) -> None:
    result = parser.parse(text)
    assert (result.amount, result.paid) == (amount, paid)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("健身房每月38元的会员费照扣，要求退还已扣的228元", Decimal("228")),
        ("2026年3月15日在超市买的奶粉过期了，花了298元", Decimal("298")),
        ("一共买了三件衣服合计600元，其中一件120元的开线了，要求退这件", Decimal("120")),
    ],
)
def test_totals_unit_prices_and_dates_are_not_the_amount(
    parser: ComplaintParser, text: str, amount: Decimal
) -> None:
    assert parser.parse(text).amount == amount


@pytest.mark.parametrize(
    ("text", "merchant"),
    [
        ("东湖县自来水公司一个月多收了300元水费，要求退还", "东湖县自来水公司"),
        ("前几天自来水公司多收了我家的水费，要求退还", "自来水公司"),
        ("薛和记烧烤店结账时多收了62元，要求退还", "薛和记烧烤店"),
    ],
)
def test_a_generic_organisation_keeps_its_place_and_dates_never_join_a_name(
    parser: ComplaintParser, text: str, merchant: str
) -> None:
    assert parser.parse(text).merchant == merchant


@pytest.mark.parametrize(
    ("text", "merchant"),
    [
        ("市民在本市福满楼酒店预订婚宴，酒店拒绝退还定金5000元", "福满楼酒店"),
        ("我妈在那个叫什么百草堂的地方买了药材，花了五千多，现在关门了", "百草堂"),
        ("我在淘宝上一家店买的净化器没有效果，商家不给退", "淘宝"),
        ("我在小肥羊火锅吃饭，结账多收了两盘肉钱", "小肥羊火锅"),
    ],
)
def test_names_with_their_trade_and_platforms_before_a_shop(
    parser: ComplaintParser, text: str, merchant: str
) -> None:
    assert parser.parse(text).merchant == merchant


@pytest.mark.parametrize(
    ("text", "merchant"),
    [
        ("那边的悦动健身卡退不了，还剩两千多", "悦动健身"),
        ("请问驾校报名交了3000元现在不给退怎么办", None),  # 现在 is not 在: no place here
        ("我们现在不给退怎么办啊，顾客一直闹", None),
    ],
)
def test_a_shops_card_names_the_shop_and_a_clause_is_no_place(
    parser: ComplaintParser, text: str, merchant: str | None
) -> None:
    assert parser.parse(text).merchant == merchant


@pytest.mark.parametrize(
    ("text", "merchant"),
    [
        ("避雷！#金剪刀美发# 染发说好358，染完收680，不给钱不让走", "金剪刀美发"),
        ("#避雷# 这家的蛋糕吃出头发，老板不认", None),
        ("支付成功 ¥45.00 收款方:老陈牛肉面 标价15扣了45，要退30", "老陈牛肉面"),
        ("我是福满楼面馆老板娘，我家车在永顺汽修厂换的变速箱又漏油", "永顺汽修厂"),
        ("⭐ 鲜味坊海鲜酒楼滨江店，称重两斤三两，端上来一斤半", "鲜味坊海鲜酒楼滨江店"),
        ("会员卡余额可至本公司其他门店使用。悦动体能健身工作室 不给退卡", "悦动体能健身工作室"),
        ("可怜我们租户 安家房屋中介收了一个月房租当中介费，押金还扣八百", "安家房屋中介"),
        ("顺心搬家公司搬家前说好500，搬完加到1200", "顺心搬家公司"),
        ("烤鸭店缺斤短两谁管管", None),  # a goods word and a shop word name no shop
    ],
)
def test_names_in_tags_receipts_self_introductions_and_branches(
    parser: ComplaintParser, text: str, merchant: str | None
) -> None:
    assert parser.parse(text).merchant == merchant
