"""Typical cases (典型案例): a publishable write-up drafted from a closed case.

Staff share how complaints were handled (经验共享). `/典型 编号` drafts the write-up from
what the case already records; staff edit it before publishing. Because it is published to
the board and to every group, the draft removes every personal detail, more than masking
does: phone and ID numbers (even masked ones) and what labels them, names given to the
draft (the reporter's and consumers' names the case knows), forms of address such as 王女士
(common surnames), home addresses (住址…, 3栋2单元…) and WeChat ids. A full name the case
does not know cannot be recognised, which is one reason staff read the draft before it
is published. The merchant is named, or anonymised by its trade (张记饺子馆 → 某饺子馆)
when `name_merchant` is False (the default setting).

Interface:

- `TypicalCaseFacts` (the case's masked facts and the names to remove) and
  `TimelineEvent` (kind, time, an optional masked note such as the merchant's offer) in;
- `draft_typical_case(facts, events, *, name_merchant=False, title=None, tz) ->
  TypicalCaseDraft`: title (staff may give their own), 基本案情, 调解过程, 处理结果, 法律要点,
  and `.text`, the whole write-up;
- `scrub(text, *, personal_names=(), merchant_names=(), merchant_display=None) -> str`:
  the same cleaning for a text staff wrote (`/典型 编号 修改 正文…`);
- `anonymised_merchant(name, category=None) -> str`: 某 + the name's trade (某饺子馆,
  某家电维修部), else a word for the category (某餐饮店), else 某商家;
- `legal_point_key(category, problem, text) -> str`: which provision the write-up cites
  (keys of `templates.LEGAL_POINTS`): prepaid cards first, then food safety, then
  distance selling returns, then the problem type; the general dispute-resolution article
  when nothing more specific fits.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from mediation import templates as say
from mediation.cases import CaseStatus, EventKind
from mediation.privacy import mask_text
from mediation.templates import local_day, shorten, yuan

SHANGHAI = ZoneInfo("Asia/Shanghai")
FACTS_LIMIT = 200


@dataclass(frozen=True)
class TypicalCaseFacts:
    number: str
    merchant_name: str | None
    merchant_aliases: tuple[str, ...]
    category: str | None
    problem: str | None
    masked_text: str  # the complaint as masked for groups
    demands: tuple[str, ...]
    amount: Decimal | None
    status: CaseStatus
    remedy: str | None  # what the merchant agreed to (退款、换货…), if recorded
    money_returned: Decimal | None
    received_at: datetime
    working_days_to_close: int | None
    personal_names: tuple[str, ...] = ()  # reporter / consumer names the case knows


@dataclass(frozen=True)
class TimelineEvent:
    kind: EventKind
    at: datetime
    note: str | None = None  # masked; e.g. the merchant's offer 「同意退款58元」


@dataclass(frozen=True)
class TypicalCaseDraft:
    number: str
    title: str
    facts: str  # 基本案情
    mediation: str  # 调解过程
    result: str  # 处理结果
    legal_point: str  # 法律要点
    legal_point_key: str

    @property
    def text(self) -> str:
        sections = (self.facts, self.mediation, self.result, self.legal_point)
        return say.typical_write_up(self.title, sections)


# --- the merchant by its trade

# Words that tell a business's trade, looked for in the name; the anonymised name is 某 +
# the name from the trade word up to its unit (店, 馆, 部, 公司…), e.g. 阳光家电维修部 →
# 某家电维修部. Longer words first where one contains another.
TRADE_WORDS = (
    "饺子", "包子", "面馆", "拉面", "米线", "火锅", "烧烤", "烤肉", "小吃", "快餐", "餐饮",
    "餐厅", "饭店", "酒楼", "酒店", "宾馆", "旅馆", "民宿", "奶茶", "咖啡", "茶饮", "蛋糕",
    "烘焙", "面包", "水果", "蔬菜", "生鲜", "肉铺", "粮油", "超市", "便利店", "商场",
    "家电", "电器", "手机", "通讯", "数码", "电脑", "维修", "汽修", "汽车", "洗车", "电动车",
    "自行车", "健身", "瑜伽", "游泳", "舞蹈", "美容", "美发", "理发", "美甲", "美睫", "养生",
    "足浴", "洗浴", "按摩", "推拿", "培训", "教育", "早教", "托管", "辅导", "药店", "药房",
    "诊所", "口腔", "眼镜", "服装", "服饰", "鞋", "珠宝", "金店", "黄金", "家具", "家居",
    "建材", "装饰", "装修", "家政", "保洁", "物业", "干洗", "洗衣", "摄影", "婚纱", "婚庆",
    "旅行社", "旅游", "宠物", "母婴", "烟酒", "酒行", "茶叶", "书店", "文具", "玩具",
    "影院", "网吧", "KTV", "酒吧", "快递", "中介", "租车", "五金", "花店", "鲜花", "驾校",
)  # fmt: skip
_UNITS = re.compile(
    r"有限责任公司|有限公司|公司|中心|工作室|便利店|超市|商场|商行|商店|"
    r"[店馆部行房院所厅城坊社室园站铺吧楼庄屋]"
)
_TRADE = re.compile("|".join(sorted(TRADE_WORDS, key=len, reverse=True)))


def anonymised_merchant(name: str | None, category: str | None = None) -> str:
    """某 + the trade part of the name; else by the category (某餐饮店), else 某商家."""
    trade = _TRADE.search(name) if name else None
    if name is None or trade is None:
        return say.ANONYMOUS_BY_CATEGORY.get(category or "", say.ANONYMOUS_MERCHANT)
    rest = name[trade.start() :]
    trade_length = trade.end() - trade.start()
    ends = [unit.end() for unit in _UNITS.finditer(rest) if unit.end() >= trade_length]
    return "某" + (rest[: min(ends)] if ends else rest)


# --- removing personal details

_MASKED_NUMBER = r"(?:\d{3}\*{4}\d{4}|\d{3,4}-\*{4}\d{4}|\*{4}\d{4}|\d{3}\*{4,}\d{3}[\dX])"
_CONTACT_LABEL = r"(?:联系)?(?:电话|手机|座机|固话|联系方式|号码|身份证号?|证件号)(?:号码?)?"
_LABELLED_NUMBER = re.compile(rf"[，,；;\s]*(?:{_CONTACT_LABEL})?[:：\s]*{_MASKED_NUMBER}")
_EMPTY_LABEL = re.compile(rf"[，,；;\s]*{_CONTACT_LABEL}[:：]\s*(?=[，,。；;\s]|$)")
# an id as written, or as the masker left it (微信***, wxid_***, QQ***)
_WECHAT = re.compile(
    r"[，,；;\s]*(?:微信号?|vx|VX|wx|WX|QQ号?|qq号?)[:：\s]*"
    r"(?:wxid_\*{3}|\*{3}|[A-Za-z][-_A-Za-z0-9]{4,19}|\d{5,11})"
)
_ADDRESS = re.compile(r"[，,；;\s]*(?:家庭住址|住址|家住|住在)[:：\s]*[^，,。；;\n]*")
_HOUSE_NUMBER = re.compile(r"[^\s，,。；;]*?\d+\s*(?:栋|幢|号楼)[^\s，,。；;]*")
_NAME_LABEL = re.compile(r"[，,；;\s]*(?:姓名|投诉人|消费者姓名)[:：]\s*[\u4e00-\u9fff·]{2,4}")
# Common surnames: 王女士, 李先生 are how group messages name consumers.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺"
    "顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关"
)
_ADDRESSED = re.compile(f"[{SURNAMES}](?:先生|女士|小姐|阿姨|大爷|大妈|老师)")
_LABELS = re.compile(r"【[^】]{1,8}】")
_REPEATED_CONSUMER = re.compile(f"(?:{say.CONSUMER}){{2,}}")
_REPORTED = re.compile(r"^(?:消费者|有人|居民|群众)?(?:反映|投诉|称)[，,:：]?")
_EMPTY_BRACKETS = re.compile(r"[（(]\s*[)）]")
_SPACES = re.compile(r"[ \t\u3000]+")
_LEADING_PUNCTUATION = re.compile(r"^[，,。；;：:\s]+")


def scrub(
    text: str,
    *,
    personal_names: Iterable[str] = (),
    merchant_names: Iterable[str] = (),
    merchant_display: str | None = None,
) -> str:
    """Text fit to publish: masked, then every personal detail removed (see the docstring).

    `merchant_names` (the registered name and aliases) are replaced by `merchant_display`
    when it is given.
    """
    text = mask_text(text)
    if merchant_display is not None:
        for name in sorted({n for n in merchant_names if n}, key=len, reverse=True):
            text = text.replace(name, merchant_display)
    for name in sorted(
        {n.strip() for n in personal_names if n and n.strip()}, key=len, reverse=True
    ):
        text = text.replace(name, say.CONSUMER)
    text = _LABELS.sub("", text)
    text = _NAME_LABEL.sub("", text)
    text = _LABELLED_NUMBER.sub("", text)
    text = _WECHAT.sub("", text)
    text = _ADDRESS.sub("", text)
    text = _HOUSE_NUMBER.sub("", text)
    text = _EMPTY_LABEL.sub("", text)
    text = _ADDRESSED.sub(say.CONSUMER, text)
    text = _REPEATED_CONSUMER.sub(say.CONSUMER, text)
    text = _EMPTY_BRACKETS.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    return _LEADING_PUNCTUATION.sub("", text)


# --- the legal point

_PREPAID = re.compile(r"预付|预存|预收|充值|储值|会员卡|办卡|次卡|年卡|月卡|课时费")
_DISTANCE = re.compile(r"网购|网上|网店|线上|直播间?|电商|平台下单|快递|邮购|电视购物")
_RETURN = re.compile(r"退货|退换|无理由")
_PROBLEM_POINTS = {
    "假冒": "fraud",
    "虚假宣传": "false_advertising",
    "质量": "quality",
    "售后服务": "after_sales",
    "价格": "price",
    "计量": "measure",
    "安全": "safety",
    "人格尊严": "dignity",
    "合同": "contract",
}


def legal_point_key(category: str | None, problem: str | None, text: str) -> str:
    if _PREPAID.search(text):
        return "prepaid"
    if category == "食品" and problem in {"质量", "安全", "假冒"}:
        return "food"
    if _DISTANCE.search(text) and _RETURN.search(text):
        return "distance_return"
    return _PROBLEM_POINTS.get(problem or "", "general")


# --- the draft


def _local(instant: datetime, tz: ZoneInfo) -> datetime:
    aware = instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
    return aware.astimezone(tz)


def _mediation_story(
    number: str, events: Sequence[TimelineEvent], clean: _Cleaner, tz: ZoneInfo
) -> str:
    counts = Counter(event.kind.value for event in events)
    told: set[str] = set()
    sentences: list[str] = []
    for event in sorted(events, key=lambda event: event.at):
        kind = event.kind.value
        template = say.TIMELINE_SENTENCES.get(kind)
        if template is None or (kind in told and kind in {"reminded", "escalated"}):
            continue
        told.add(kind)
        note = clean(event.note) if event.note else ""
        sentences.append(
            template.format(
                day=local_day(_local(event.at, tz).date()),
                number=number,
                note=f"：{shorten(note, 60)}" if note else "",
                times=say.times(counts[kind]),
            )
        )
    return "".join(sentences)


class _Cleaner:
    def __init__(self, facts: TypicalCaseFacts, merchant_display: str) -> None:
        self.facts = facts
        self.merchant_display = merchant_display

    def __call__(self, text: str) -> str:
        return scrub(
            text,
            personal_names=self.facts.personal_names,
            merchant_names=(self.facts.merchant_name or "", *self.facts.merchant_aliases),
            merchant_display=self.merchant_display,
        )


def draft_typical_case(
    facts: TypicalCaseFacts,
    events: Sequence[TimelineEvent],
    *,
    name_merchant: bool = False,
    title: str | None = None,
    tz: ZoneInfo = SHANGHAI,
) -> TypicalCaseDraft:
    display = (
        facts.merchant_name
        if name_merchant and facts.merchant_name
        else anonymised_merchant(facts.merchant_name, facts.category)
    )
    clean = _Cleaner(facts, display)
    received = _local(facts.received_at, tz)
    story = _REPORTED.sub("", clean(facts.masked_text))
    story = shorten(story, FACTS_LIMIT).rstrip("。.！!，,")
    demand = "、".join(facts.demands) if facts.demands else None
    if demand and facts.amount is not None:
        demand = f"{demand}（{yuan(facts.amount)}）"
    key = legal_point_key(facts.category, facts.problem, facts.masked_text)
    topic, legal_text = say.LEGAL_POINTS[key]
    outcome = say.TITLE_OUTCOMES.get(facts.status.value, "")
    money = yuan(facts.money_returned) if facts.money_returned else None
    return TypicalCaseDraft(
        number=facts.number,
        title=clean(title) if title else say.typical_title(display, topic, outcome),
        facts=say.typical_facts(f"{received.year}年{received.month}月", story, demand),
        mediation=_mediation_story(facts.number, events, clean, tz),
        result=say.typical_result(
            facts.status.value, facts.remedy, money, facts.working_days_to_close
        ),
        legal_point=legal_text,
        legal_point_key=key,
    )
