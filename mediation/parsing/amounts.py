"""The disputed amount in yuan.

Amounts come as digits (58元, 3,600元, ¥199, 1.2万) or Chinese numerals (五十八元, 两千元,
一万二); Chinese numerals are converted with cn2an, which knows the colloquial forms
(六万八 = 68000). A message often has several amounts: the price, a unit price, what the
merchant offered, what the consumer wants back. The one the demand is about wins: an amount
right after 退还 / 多收 / 赔偿 or inside the demand clause beats the price paid, and unit
prices (每月38元) and the merchant's counter-offer (只肯赔200元) count against.

A price shown and a higher price charged (标价19.9元结账扣了29.9) put the difference at stake:
the amount is 10, and 29.9 is what was paid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from mediation.money import storable

_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
# Patterns start with a digit class so the regex engine can skip other characters quickly;
# the currency sign before a number and the context are checked afterwards.
_ARABIC = re.compile(
    r"(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(多)?\s*([万千wWkK])?\s*(多)?\s*(元|块钱|块|圆|rmb|RMB)?"
)
_MASKED_NUMBER_HEAD = re.compile(r"[0-9A-Za-z]\*+$")
_CURRENCY_BEFORE = re.compile(r"[¥￥]\s*$")
_CHINESE = re.compile(rf"[{_CN_DIGITS}][{_CN_DIGITS}点]*")
_CHINESE_UNIT = re.compile(r"(多)?(元|块钱|块|圆)")
_CHINESE_SCALE = re.compile("[百千万]")
_NOT_MONEY_UNIT = re.compile(
    r"\s*(?:个|次|件|天|月|年|日|斤|克|两|箱|瓶|人|%|％|折|号|楼|层|点|岁|分|小时|周|张|台|份|条|"
    r"片|公斤|千克|米|平|栋|幢|套|盒|包|袋|双|只|位|家|倍|星|岁|公里|元/|度|期|节|课|遍|:|：)"
)
_MONEY_BEFORE = re.compile(
    r"(?:花了?|付了?|支付|交了?|充值|充了?|预付|价值|金额|收了?|收取|费|共计|合计|一共|共|损失|"
    r"亏了?|赔|退|价|要了|骗了?|扣了?|欠|押金|余额|差价|借了?|贷了?|说好的?|原价|报价)\s*$"
)
_DEMAND_BEFORE = re.compile(
    r"退还|退回|退款|退费|退|返还|赔偿|赔|多收了?|多算了?|多扣了?|多付了?|多要了?|差价|剩余|余额|"
    r"损失"
)
# A total (合计600元) is what was spent, not what the dispute is about when a part is named.
_TOTAL_BEFORE = re.compile(r"共计|合计|一共|总共|总计|总价")
_DISCOUNTED = re.compile(
    r"只愿|只肯|只给|只同意|只退|只赔|每月|每个月|每次|每年|每天|每人|每斤|单价|特价|标价|写的是|"
    r"说好|从|涨到|原本|本来"
)


@dataclass(frozen=True)
class AmountMention:
    value: Decimal
    start: int
    end: int
    explicit: bool  # written with 元 / 块 / ¥


@cache
def _cn2an() -> Any:
    import cn2an  # slow to import (~0.4 s): loaded in prepare(), not at import time

    return cn2an


def prepare() -> None:
    _cn2an()


def _chinese_value(numeral: str) -> Decimal | None:
    try:
        value = _cn2an().cn2an(numeral, "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _tidy(value: Decimal) -> Decimal:
    """12000.0 -> 12000, 12.50 -> 12.5."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def find_amounts(text: str) -> list[AmountMention]:
    mentions: list[AmountMention] = []
    for m in _ARABIC.finditer(text):
        start = m.start()
        if start and text[start - 1] in "0123456789.,":
            continue  # the tail of a decimal
        if start and text[start - 1] == "*" and _MASKED_NUMBER_HEAD.search(text, 0, start):
            continue  # the tail of a masked number (138****5678), not after a masked name (王**)
        whole, fraction, _, scale, _, unit = m.groups()
        currency = bool(_CURRENCY_BEFORE.search(text, max(0, start - 3), start))
        explicit = currency or bool(unit)
        if not explicit:
            before = text[max(0, start - 4) : start]
            if not (scale and scale in "万千") and not _MONEY_BEFORE.search(before):
                continue
            if not scale and _NOT_MONEY_UNIT.match(text, m.end()):
                continue
            if scale and scale in "wWkK":
                continue
        value = Decimal(whole.replace(",", "") + (fraction or ""))
        if scale in ("万", "w", "W"):
            value *= 10000
        elif scale in ("千", "k", "K"):
            value *= 1000
        if value > 0:
            mentions.append(AmountMention(_tidy(value), start, m.end(), explicit))
    for m in _CHINESE.finditer(text):
        numeral = m.group(0).rstrip("点")
        unit = _CHINESE_UNIT.match(text, m.end())
        end = unit.end() if unit else m.end()
        if not numeral or (len(numeral) == 1 and not unit):
            continue
        if not unit:
            # 一万二的课时费, 花了六万八: a scale word and money just before it
            before = text[max(0, m.start() - 4) : m.start()]
            if not (_CHINESE_SCALE.search(numeral) and _MONEY_BEFORE.search(before)):
                continue
            if _NOT_MONEY_UNIT.match(text, m.end()):
                continue
        value = _chinese_value(numeral)
        if value is not None and value > 0:
            mentions.append(AmountMention(_tidy(value), m.start(), end, bool(unit)))
    mentions.sort(key=lambda mention: mention.start)
    return mentions


def _score(text: str, mention: AmountMention, spans: list[tuple[int, int]]) -> float:
    before = text[max(0, mention.start - 8) : mention.start]
    near = text[max(0, mention.start - 4) : mention.start]
    score = 2.0 if mention.explicit else 1.0
    if _DEMAND_BEFORE.search(before):
        score += 3
    elif _MONEY_BEFORE.search(near):
        score += 1
    if any(start <= mention.start < end for start, end in spans):
        score += 2
    if _DISCOUNTED.search(before):
        score -= 4
    if _TOTAL_BEFORE.search(near):
        score -= 1.5
    return score


@dataclass(frozen=True)
class Disputed:
    value: Decimal  # the amount at stake
    paid: Decimal | None = None  # what was paid, when the amount at stake is part of it


_LISTED = re.compile(
    r"(?:标价|价签|标签|标的|标着|写的是?|写着|明码标价|说好的?|挂的|宣传|报价|原价)\s*$"
)
_CHARGED = re.compile(r"结账|结算|收银|实际|实付|扣了?|收了?|刷了?|付了?|要了|算了?|变成|成了")
_GAP_SPAN = 24  # characters between the price shown and the price charged


def _price_gap(text: str, mentions: list[AmountMention]) -> Disputed | None:
    for index, listed in enumerate(mentions):
        if not _LISTED.search(text, max(0, listed.start - 6), listed.start):
            continue
        for charged in mentions[index + 1 : index + 3]:
            if charged.start - listed.end > _GAP_SPAN:
                break
            between = text[listed.end : charged.start]
            if not storable(charged.value):
                continue
            if _CHARGED.search(between) and charged.value > listed.value:
                return Disputed(_tidy(charged.value - listed.value), charged.value)
    return None


def disputed(text: str, spans: list[tuple[int, int]]) -> Disputed | None:
    """The amount at stake (and what was paid, for a price gap), or None."""
    mentions = find_amounts(text)
    gap = _price_gap(text, mentions)
    if gap is not None:
        return gap
    value = _best(text, mentions, spans)
    return Disputed(value) if value is not None else None


def _best(text: str, mentions: list[AmountMention], spans: list[tuple[int, int]]) -> Decimal | None:
    best: tuple[float, int, Decimal] | None = None
    for mention in mentions:
        if not storable(mention.value):
            continue  # 99999999999999999999元 is no amount (the configured maximum: intake)
        score = _score(text, mention, spans)
        # On a tie the later amount wins: a complaint tells the price first, the loss after.
        if score > 0 and (best is None or score >= best[0]):
            best = (score, mention.start, mention.value)
    return best[2] if best else None
