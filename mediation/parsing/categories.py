"""The 12315 category of the complaint: what kind of goods or service it is about.

The merchant's type weighs most (a 饺子馆 is 餐饮住宿 even when the complaint is about the
dumplings); goods words decide for shops that sell everything (超市, 旗舰店, 商场). Votes
come from the merchant name's ending and from whole tokens, so the lookup costs one pass
over the words jieba already produced.
"""

from __future__ import annotations

from collections.abc import Sequence

from .lexicon import Lexicon

GOODS = (
    "食品", "服装鞋帽", "家用电子电器", "家居用品", "交通工具", "通讯产品", "日用商品",
    "医药及医疗用品", "房屋及建材", "首饰及文体用品", "烟酒和饮料", "其他商品",
)  # fmt: skip
SERVICES = (
    "餐饮住宿", "美容美发洗浴", "文化娱乐体育", "教育培训", "销售服务", "电信服务",
    "互联网服务", "生活社会服务", "制作保养和修理", "房屋装修及物业", "金融保险", "旅游",
    "公用事业", "其他服务",
)  # fmt: skip
_GROUP = {name: "商品类" for name in GOODS} | {name: "服务类" for name in SERVICES}


def category_group(category: str | None) -> str | None:
    return _GROUP.get(category) if category else None


def classify_category(
    tokens: Sequence[str], merchant_type: str | None, lexicon: Lexicon
) -> str | None:
    votes: dict[str, float] = {}
    if merchant_type:
        hint = lexicon.merchant_types.get(merchant_type)
        if hint and hint.category:
            votes[hint.category] = hint.weight + 0.5  # the respondent's own type breaks ties
    words = set(tokens)
    for word in lexicon.item_words.intersection(words):
        hint = lexicon.items[word]
        votes[hint.category or ""] = votes.get(hint.category or "", 0) + hint.weight
    for word in lexicon.type_words.intersection(words):
        if word != merchant_type:
            # A type word in passing (超市, 健身房 again) votes a little.
            category = lexicon.merchant_types[word].category or ""
            votes[category] = votes.get(category, 0) + 1
    joined = "".join(tokens)
    for ending, hint in lexicon.tails.items():
        if ending in joined and any(len(w) > 1 and w.endswith(ending) for w in words):
            votes[hint.category or ""] = votes.get(hint.category or "", 0) + hint.weight
    votes.pop("", None)
    if not votes:
        return None
    return max(votes.items(), key=lambda item: item[1])[0]
