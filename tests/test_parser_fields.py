"""What the parser reads out of a complaint: merchant, amount, demands, category, problem,
contacts and what is missing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from mediation.parsing import ComplaintParser, MerchantEntry

REGISTRY = (
    MerchantEntry(1, "张记饺子馆", ("张记",)),
    MerchantEntry(2, "华联超市", ("湖西华联",)),
    MerchantEntry(3, "如家快捷酒店", ("如家酒店",)),
    MerchantEntry(4, "力美健身房"),
)


@pytest.fixture(scope="module")
def parser(tmp_path_factory: pytest.TempPathFactory) -> ComplaintParser:
    parser = ComplaintParser(REGISTRY, cache_dir=Path(tmp_path_factory.mktemp("data")) / "cache")
    parser.prepare()
    return parser


# --- merchant


@pytest.mark.parametrize(
    ("text", "merchant"),
    [
        ("【投诉】湖西路老王烧烤店多算了16元，要求退还", "老王烧烤店"),
        ("消费者在文一路康宁大药房买的感冒药过期了，要求退货", "康宁大药房"),
        ("【投诉】湖西路名剪造型店烫发后头发断裂，要求退款", "名剪造型店"),
        ("消费者在通达大众4S店（东新路）做保养被多收680元，要求退还", "通达大众4S店"),
        ("【投诉】拼多多上“优品家居旗舰店”买的沙发是旧的，要求退货退款", "优品家居旗舰店"),
        ("【投诉】湖西路56号“老街坊”面馆的牛肉面和图片不符，要求退款18元", "老街坊面馆"),
        ("消费者反映“开心学英语”APP自动续费三次，要求退还204元", "开心学英语"),
        ("【投诉】湖西菜市场里的陈记豆腐坊缺斤短两，要求退还差价", "陈记豆腐坊"),
        ("消费者在湖西路福满楼吃饭被多收了120元，要求退还", "福满楼"),
        ("被投诉方：湖西路快乐健身房，诉求：退还剩余会员费3200元，事由：停业", "快乐健身房"),
        ("消费者反映自来水公司多收水费，要求解释", "自来水公司"),
        ("消费者在滴答出行APP上叫车被绕路，要求退还多收车费45元", "滴答出行"),
        ("我在拼多多买的耳机是假货，要求退款", "拼多多"),
        ("【投诉】湖西路那家阿芳理发店烫坏了头发，要求赔偿", "阿芳理发店"),
    ],
)
def test_merchant_is_read_as_written_without_its_address(
    parser: ComplaintParser, text: str, merchant: str
) -> None:
    assert parser.parse(text).merchant == merchant


@pytest.mark.parametrize(
    "text",
    [
        "【投诉】消费者反映在小区门口的水果摊买的橙子缺斤少两，要求退差价",
        "【投诉】湖西路的一家理发店不明码标价，收了消费者268元，要求退还",
        "消费者反映湖西路那家健身房关门了，要求退款",
    ],
)
def test_a_shop_described_but_not_named_leaves_the_merchant_missing(
    parser: ComplaintParser, text: str
) -> None:
    result = parser.parse(text)
    assert result.merchant is None
    assert "merchant" in result.missing


@pytest.mark.parametrize(
    ("text", "merchant", "merchant_id"),
    [
        ("【投诉】湖西路张记饺子馆多收消费者58元，要求退款", "张记饺子馆", 1),
        ("张记的老板把顾客骂哭了，顾客要求道歉", "张记", 1),
        ("昨天在湖西华联买的酸奶过期了，要求退款", "湖西华联", 2),
        ("【投诉】湖西路张记饺子店多收了消费者20元，要求退还", "张记饺子店", 1),
        ("【投诉】如家酒店（湖西路店）到店说没房，要求退还预付的268元", "如家酒店（湖西路店）", 3),
        ("消费者在湖西路力美健身房办的卡用不了，要求退款", "力美健身房", 4),
    ],
)
def test_registry_merchants_match_by_name_alias_or_near_spelling(
    parser: ComplaintParser, text: str, merchant: str, merchant_id: int
) -> None:
    result = parser.parse(text)
    assert (result.merchant, result.merchant_id) == (merchant, merchant_id)


@pytest.mark.parametrize(
    "text",
    [
        "【投诉】湖西路李记饺子馆多收消费者58元，要求退款",  # same type, other shop
        "【投诉】湖西路联华超市卖过期牛奶，要求退一赔十",  # 联华 is not 华联
        "【投诉】湖西路美力健身房关门了，要求退还会员费",
    ],
)
def test_a_different_shop_of_the_same_type_is_not_taken_for_a_registry_merchant(
    parser: ComplaintParser, text: str
) -> None:
    result = parser.parse(text)
    assert result.merchant is not None
    assert result.merchant_id is None


def test_registry_updates_reach_lookup_and_segmentation(tmp_path: Path) -> None:
    parser = ComplaintParser(cache_dir=tmp_path / "cache")
    parser.prepare()
    text = "【投诉】湖西路喜洋洋麻辣烫多收消费者30元，要求退款"
    assert parser.parse(text).merchant_id is None
    parser.update_merchants([MerchantEntry(9, "喜洋洋麻辣烫", ("喜洋洋",))])
    assert parser.parse(text).merchant_id == 9
    parser.update_merchants([])
    assert parser.parse(text).merchant_id is None


def test_merchants_given_before_prepare_are_matched_after_it(tmp_path: Path) -> None:
    parser = ComplaintParser(cache_dir=tmp_path / "cache")
    parser.update_merchants([MerchantEntry(7, "金满堂珠宝店", ("金满堂",))])
    parser.prepare()
    assert parser.parse("金满堂的金项链称重少了0.5克，要求退还差价").merchant_id == 7


# --- amount


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("多收消费者58元，要求退款", "58"),
        ("花了五十八元，要求退款", "58"),
        ("学费两千元，要求退费", "2000"),
        ("花了1.2万，要求退一赔三", "12000"),
        ("年卡3,600元，要求退款", "3600"),
        ("订单金额¥199，要求退款", "199"),
        ("订单金额￥ 399，要求退货退款", "399"),
        ("团费三千二百元，要求退还部分团费", "3200"),
        ("交了一万二的课时费，机构跑路了，要求退款", "12000"),
        ("花了六万八买的车，要求退车", "68000"),
        ("年卡一千九百九十八元，要求退还", "1998"),
        ("一条烟花了四百五十元，要求退款", "450"),
        ("鸡蛋特价12.8元，结账收19.8元，要求退还", "19.8"),
        ("花了医药费400多，要求赔偿", "400"),
        ("十块钱的东西卖二十块，要求退差价", "20"),
    ],
)
def test_amounts_are_read_in_digits_or_chinese_numerals(
    parser: ComplaintParser, text: str, amount: str
) -> None:
    assert parser.parse(text).amount == Decimal(amount)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("消费者在湖西路张记饺子馆消费了130元，要求退还多付的27元", "27"),
        ("年卡3600元还剩8个月没用，要求退还剩余费用2400元", "2400"),
        ("说好价格500元，搬完加价到1200元，要求退还多收的700元", "700"),
        ("每月38元的套餐每月扣了98元，要求退还多扣的话费180元", "180"),
        ("包裹里是价值2000元的衣服，快递只肯赔200元，要求按价赔偿", "2000"),
        ("团购写的是4人餐198元，到店加收锅底费60元，要求退还60元", "60"),
    ],
)
def test_the_amount_the_demand_is_about_wins(
    parser: ComplaintParser, text: str, amount: str
) -> None:
    assert parser.parse(text).amount == Decimal(amount)


@pytest.mark.parametrize(
    "text",
    [
        "消费者买了3箱牛奶，有两瓶过期，要求退货",
        "停车费从每月150元涨到300元没有公示，业主要求退还多收的费用",
        "消费者电话13812345678，要求退款",
        "2026年6月1日买的空调坏了，要求维修",
    ],
)
def test_counts_dates_phone_numbers_and_unit_prices_are_not_the_amount(
    parser: ComplaintParser, text: str
) -> None:
    assert parser.parse(text).amount is None


# --- demands


@pytest.mark.parametrize(
    ("text", "demands"),
    [
        ("商家不同意退货，消费者要求退款", {"退款"}),
        ("消费者要求退货退款并赔偿", {"退款", "退货", "赔偿"}),
        ("消费者要求退一赔三", {"退款", "赔偿"}),
        ("店家不给换，要求换新机", {"换货"}),
        ("业主要求尽快维修", {"维修"}),
        ("车主要求赔偿维修费用", {"赔偿"}),
        ("消费者要求老板道歉", {"道歉"}),
        ("学员要求驾校履行合同尽快安排练车", {"履行合同"}),
        ("消费者要求退还差价并查处", {"退款", "查处"}),
        ("消费者要求商家给个说法", {"解释"}),
        ("要求查明原因并退还", {"解释", "退款"}),
        ("消费者在店里吃饭被多收了钱", set()),
    ],
)
def test_demands_are_read_from_the_demand_clause(
    parser: ComplaintParser, text: str, demands: set[str]
) -> None:
    assert set(parser.parse(text).demands) == demands


# --- category and problem


@pytest.mark.parametrize(
    ("text", "category", "group"),
    [
        ("【投诉】湖西路张记饺子馆多收消费者58元，要求退款", "餐饮住宿", "服务类"),
        ("湖西路华联超市卖的牛奶过期了，要求退一赔十", "食品", "商品类"),
        ("拼多多上“优品家居旗舰店”买的沙发是旧的，要求退货", "家居用品", "商品类"),
        ("消费者在星河手机店买的手机屏幕坏了，要求换新机", "通讯产品", "商品类"),
        ("启航教育培训学校收了学费不上课，要求退费", "教育培训", "服务类"),
        ("力美健身房关门了，会员卡不能用，要求退款", "文化娱乐体育", "服务类"),
        ("消费者在美丽人生美发店烫发后头发断裂，要求赔偿", "美容美发洗浴", "服务类"),
        ("绿城物业服务公司电梯坏了两周没人修，业主要求维修", "房屋装修及物业", "服务类"),
        ("蓝天旅行社的云南六日游强迫购物，要求赔偿", "旅游", "服务类"),
        ("在万福名酒行买的茅台是假酒，要求退一赔十", "烟酒和饮料", "商品类"),
    ],
)
def test_category_comes_from_the_merchant_type_and_the_goods(
    parser: ComplaintParser, text: str, category: str, group: str
) -> None:
    result = parser.parse(text)
    assert (result.category, result.category_group) == (category, group)


def test_no_category_is_guessed_without_evidence(parser: ComplaintParser) -> None:
    result = parser.parse("消费者反映被骗了，要求退款")
    assert result.category is None
    assert result.category_group is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("店里卖的牛奶过期了，要求退款", "质量"),
        ("洗衣机坏了，售后说要收上门费，要求免费维修", "售后服务"),
        ("健身房跑路了，会员卡里还有2000元，要求退还", "合同"),
        ("团购写的纯玩团，结果天天进购物店，消费者认为是虚假宣传", "虚假宣传"),
        ("结账时多收了16元，要求退还", "价格"),
        ("吃了酸奶后腹泻住院，要求赔偿", "安全"),
        ("买的茅台是假酒，要求退一赔十", "假冒"),
        ("店员当众辱骂消费者，要求道歉", "人格尊严"),
        ("称两斤实际只有一斤六两，缺斤短两", "计量"),
        ("超市称重不准，少给了半斤肉", "计量"),
        ("奶茶店分量不够，说好500毫升只有400", "计量"),
        ("前台把消费者的个人信息泄露给别人，要求道歉", "其他"),
    ],
)
def test_problem_type_follows_the_facts(parser: ComplaintParser, text: str, problem: str) -> None:
    assert parser.parse(text).problem == problem


# --- contacts and missing


def test_contacts_are_masked_and_raw_numbers_kept_for_staff(parser: ComplaintParser) -> None:
    result = parser.parse(
        "【投诉】张记饺子馆多收58元，要求退款，电话 138 1234 5678，座机0571-86001234"
    )
    assert result.contacts == ("138****5678", "0571-****1234")
    assert result.raw_contacts == ("13812345678", "057186001234")
    assert "13812345678" not in result.masked_text
    assert "138 1234 5678" not in result.masked_text
    assert "86001234" not in result.masked_text
    assert "raw_contacts" not in result.to_json(1)


def test_a_complete_complaint_misses_nothing(parser: ComplaintParser) -> None:
    result = parser.parse("【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678")
    assert result.missing == ()


def test_missing_lists_what_intake_must_ask_for(parser: ComplaintParser) -> None:
    result = parser.parse("【投诉】消费者反映在小区门口的水果摊买的橙子缺斤少两")
    assert result.is_complaint
    assert result.missing == ("merchant", "demand", "contact")


def test_the_parse_line_carries_every_field(parser: ComplaintParser) -> None:
    line = parser.parse(
        "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678"
    ).to_json(7)
    assert line == {
        "id": 7,
        "is_complaint": True,
        "confidence": line["confidence"],
        "merchant": "张记饺子馆",
        "merchant_id": 1,
        "amount": 58,
        "demands": ["退款"],
        "category": "餐饮住宿",
        "category_group": "服务类",
        "problem": "价格",
        "contacts": ["138****5678"],
        "masked_text": "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话138****5678",
        "missing": [],
        "nuisance": False,
        "band": "sure",
    }
    assert 0.5 < line["confidence"] <= 0.99
