"""Reading the answers people type in a mediation thread.

Merchants and consumers answer in everyday Chinese, not in commands: 「同意退还58元」,
「只能退一半」, 「不同意，理由是已经过了七天」, 「消费者不满意，要求全额退款」, 「五星」. The bot
only has to tell the few answers that move a case apart from everything else, and must err on
the side of "not understood" (the bot then asks, or staff step in) rather than move a case on a
misreading. So the rules below are deliberately conservative:

- a negation always wins over the positive word it contains (「不同意」 is a refusal, 「不满意」
  is not satisfaction), while set phrases such as 「不好意思」「没问题」 are not negations;
- a bare acknowledgement (「好的」「收到」) agrees to nothing;
- the part after 「理由是」「因为」 is the reason and is not read for intent;
- an amount is money only when it carries a currency unit or follows a paying verb (退/赔/补…),
  so 「七天」 or a case number is never mistaken for an amount;
- an offer below the consumer's demand, or one limited by 「只能」「最多」「一半」, is a
  counter-offer, also when it comes with a refusal of the full demand.

Satisfaction words (「满意」「不满意」) are both an answer and a rating: the reporter reader
returns CONFIRM or REJECT with `rating` filled in; a bare score (「5」「5分」「五星」「⭐⭐⭐⭐」)
is RATING. After success, read the rating with `read_rating`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from mediation.case_numbers import CASE_NUMBER_PATTERN
from mediation.privacy import mask_text


class ReplyIntent(StrEnum):
    AGREE = "agree"  # merchant accepts the demand (or names a remedy)
    COUNTER_OFFER = "counter_offer"  # merchant offers less than, or other than, the demand
    REFUSE = "refuse"  # merchant refuses
    CONFIRM = "confirm"  # reporter accepts the merchant's answer
    REJECT = "reject"  # reporter does not accept it
    ACKNOWLEDGE = "acknowledge"  # merchant answers without an offer yet (「已联系消费者」)
    WITHDRAW = "withdraw"  # reporter withdraws the complaint
    RATING = "rating"  # a bare 1–5 score
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ReplyReading:
    intent: ReplyIntent
    amount: Decimal | None = None  # yuan offered (merchant) or asked for (reporter)
    remedy: str | None = None  # 退款 / 换货 / 维修 / 赔偿 / 道歉 … joined by 、
    reason: str | None = None  # why the merchant refuses or the reporter rejects
    rating: int | None = None  # 1–5 when the answer also says how satisfied the reporter is


UNKNOWN_READING = ReplyReading(ReplyIntent.UNKNOWN)

# --- normalising the text ---------------------------------------------------------------

_MENTION = re.compile(r"@[^\s\u2005@]+[\s\u2005]?")
_MASKED_NUMBER = re.compile(r"[\w*]*\*{3,}[\w*]*")
_INVISIBLE = re.compile(r"[\ufe0f\ufe0e\u200d]")
_CLAUSE_SPLIT = re.compile(r"[，,。!！?？；;：:、\s~～…—]+|(?<!\d)\.|\.(?!\d)")
_REASON_MARK = re.compile(r"理由(?:是|为)?|原因(?:是|为)?|是因为|因为|由于")

# Set phrases that contain a negation or a positive word but are neither.
_NEUTRAL = re.compile(
    r"不好意思|不客气|不用谢|没关系|不错|不过|不管怎样|"
    r"可以(?:理解|商量|协商|沟通|谈谈?|聊聊?|私聊|联系|看看|再看|考虑|问问)|"
    r"同意(?:协商|沟通|调解)|接受调解"
)


_VERY = r"(?:非常|很|十分|特别|极其|极|太|超级|超)"
_DISSATISFIED = rf"不(?:是|怎么|太|大)?{_VERY}?满意"


def _normalise(text: str) -> str:
    text = _INVISIBLE.sub("", text)
    text = mask_text(text)  # also turns full-width digits into ASCII
    text = CASE_NUMBER_PATTERN.sub(" ", text)
    text = _MASKED_NUMBER.sub(" ", text)
    text = _MENTION.sub(" ", text)
    return text.strip()


def _split_reason(text: str) -> tuple[str, str | None]:
    """The answer before 「理由是…」 and the reason after it."""
    match = _REASON_MARK.search(text)
    if not match:
        return text, None
    return text[: match.start()], _clean_reason(text[match.end() :])


def _clean_reason(text: str) -> str | None:
    text = text.strip(" \t\r\n，,。.!！?？；;：:、~～…—")
    return text or None


def _clauses(text: str) -> list[str]:
    return [clause for clause in _CLAUSE_SPLIT.split(text) if clause]


# --- amounts ------------------------------------------------------------------------------

_CN_DIGITS = "零〇一二两三四五六七八九十百千万壹贰叁肆伍陆柒捌玖拾佰仟"
_NUMBER = rf"\d+(?:\.\d+)?|[{_CN_DIGITS}][{_CN_DIGITS}点]{{0,11}}"
_PAY_VERB = (
    r"(?:退还|退回|退款|退钱|退给|退|返还|返|赔偿|赔付|赔|补偿|补贴|补|给付|支付|付|给|还|"
    r"减免|减|优惠|让利)"
)
_RECIPIENT = r"(?:您|你|您们|你们|消费者|顾客|客户|客人|他|她|对方)?"
_TOTAL = r"(?:共|一共|合计|总共|共计|人民币)?"
_AMOUNT = re.compile(rf"(?P<yen>[¥￥])?\s*(?P<num>{_NUMBER})\s*(?P<unit>元|块钱|块|圆|rmb|RMB)?")
_VERB_BEFORE = re.compile(rf"{_PAY_VERB}{_RECIPIENT}{_TOTAL}\s*$")
_NOT_MONEY_AFTER = re.compile(
    r"\s*(?:天|日|号|月|年|个|次|件|小时|分钟|周|星期|%|％|折|成|倍|份|斤|克|公斤|瓶|盒|箱|"
    r"人|位|楼|层|单|分|星|半|点|赔|退)"
)
# Set phrases with numerals that are not amounts: 退一赔三 (refund plus triple damages).
_NUMERAL_IDIOMS = re.compile(r"[退假]一赔[三十]|一下|一点|一些|一起|一直|一定|一样|一般|统一|万一")
_HALF = re.compile(r"一半|半价|半款|五折|百分之五十|50\s*[%％]")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]|百分之([零一二两三四五六七八九十]+)")
_FULL = re.compile(r"全额|全款|全部退|全退|如数|原价退")


def _to_decimal(token: str) -> Decimal | None:
    import cn2an  # here, not at import: it costs a quarter second of every start-up

    try:
        number = token if token[0].isdigit() else str(cn2an.cn2an(token, "smart"))
        value = Decimal(number)
    except (ValueError, ArithmeticError, InvalidOperation, TypeError, KeyError, IndexError):
        return None
    if not value.is_finite() or value <= 0:
        return None
    return value


def _amounts_in(clause: str) -> list[tuple[int, Decimal]]:
    """Money amounts in a clause, each with a score: unit and paying verb 3, verb 2, unit 1."""
    clause = _NUMERAL_IDIOMS.sub(lambda m: "#" * len(m.group(0)), clause)
    found: list[tuple[int, Decimal]] = []
    for match in _AMOUNT.finditer(clause):
        has_unit = bool(match.group("unit") or match.group("yen"))
        has_verb = bool(_VERB_BEFORE.search(clause[: match.start()]))
        if not has_unit and (not has_verb or _NOT_MONEY_AFTER.match(clause, match.end())):
            continue
        value = _to_decimal(match.group("num"))
        if value is not None:
            found.append((int(has_unit) + 2 * int(has_verb), value))
    return found


def _finite(amount: Decimal | None) -> Decimal | None:
    try:
        return amount if amount is not None and amount.is_finite() and amount > 0 else None
    except (InvalidOperation, AttributeError, TypeError):
        return None


def _share_of_demand(text: str, demanded: Decimal | None) -> Decimal | None:
    """An amount given as a share of the demand (一半, 80%), when the demand is known."""
    if demanded is None:
        return None
    if _HALF.search(text):
        return demanded / 2
    match = _PERCENT.search(text)
    if not match:
        return None
    share = _to_decimal(match.group(1) or match.group(2))
    if share is None or share > 100:
        return None
    return demanded * share / 100


def _best_amount(clauses: list[str]) -> Decimal | None:
    best: tuple[int, Decimal] | None = None
    for clause in clauses:
        for score, value in _amounts_in(clause):
            if best is None or score > best[0]:
                best = (score, value)
    return best[1] if best else None


# --- remedies -----------------------------------------------------------------------------

_REMEDIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("退货", re.compile(r"退货")),
    ("退款", re.compile(r"退(?!货|出|一赔)|返还|返钱|[退假]一赔")),
    ("换货", re.compile(r"换货|调换|更换|换新|换一?[个件台双部只]|补发|重新发")),
    ("维修", re.compile(r"维修|修理|修好|返修|保修|修一下|免费修|上门修")),
    ("重做", re.compile(r"重做|重新做|重新服务")),
    ("赔偿", re.compile(r"赔(?!礼|不是)|补偿")),
    ("道歉", re.compile(r"道歉|赔礼|赔不是")),
    ("代金券", re.compile(r"代金券|优惠券|消费券|抵用券|购物卡|储值卡|会员卡|积分")),
    (
        "赠送",
        re.compile(
            r"补送|再送|赠送|免费送|送(?:您|你|消费者|顾客)?[一两二三四五几]?[份个张盒瓶杯碗只件次袋]"
        ),
    ),
)
# Remedies that are not money: recorded and shown as such, never 挽回经济损失.
NON_CASH_REMEDIES = frozenset({"代金券", "赠送"})


def _remedies_in(clauses: list[str]) -> str | None:
    text = "，".join(clauses)
    found: list[tuple[int, str]] = []
    for name, pattern in _REMEDIES:
        match = pattern.search(text)
        if match:
            found.append((match.start(), name))
    names = [name for _, name in sorted(found)]
    if "代金券" in names and "赠送" in names:
        names.remove("赠送")  # 送一张50元代金券: the voucher is what is given
    return "、".join(names) or None


def is_non_cash(remedy: str | None) -> bool:
    """Whether the remedy gives no money at all (a voucher, free goods)."""
    if not remedy:
        return False
    parts = set(remedy.split("、"))
    return bool(parts & NON_CASH_REMEDIES) and not parts & {"退款", "退货", "赔偿"}


# --- merchant answers ---------------------------------------------------------------------

_REFUSAL = re.compile(
    r"不同意|不接受|不认可|不答应|不认|拒绝|拒不|不予|不行|不可能|不可以|不能|不会|无法|"
    r"没法|没办法|没有办法|办不到|做不到|不退|不赔|不换|不修|不管|不负责|不处理|不存在|"
    r"不是我们|与我们无关|跟我们没关系|和我们没关系|没有责任|概不"
)
_COUNTER = re.compile(
    r"只能|只可以|只退|只赔|只给|只补|最多|顶多|至多|仅能|仅可|仅退|一半|半价|部分|"
    r"(?:不能|无法|没法|没办法)(?:全|退全)|打.{0,2}折|[\d一二三四五六七八九]\s*折"
)
_AGREEMENT = re.compile(r"同意|愿意|答应|接受|认可|没问题|没有问题|可以|^行的?$|^好的?[，,]?行$")
# A first answer that offers nothing yet: the merchant has taken the case up.
_TAKING_UP = re.compile(
    r"联系(?:了|过|上)?(?:消费者|顾客|客户|对方|投诉人|当事人)|"
    r"(?:正在|马上|尽快|立即|立刻|明天|今天|稍后|下午|晚点|会)(?:去|来)?"
    r"(?:处理|核实|调查|了解|沟通|回复|解决)|"
    r"核实(?:一下)?情况|了解(?:一下)?情况|在处理|处理中"
)
# Questions back to the group (「退多少？」「怎么退？」) answer nothing yet.
_INTERROGATIVE = re.compile(r"多少|怎么|为什么|为啥|什么时候|哪里|哪个|哪儿|谁")


def _is_refusal(clause: str) -> bool:
    return bool(_REFUSAL.search(clause))


def read_merchant_reply(text: str, demanded_amount: Decimal | None = None) -> ReplyReading:
    """What a merchant's answer in the thread says: agree, counter-offer, refuse, or unknown."""
    if not isinstance(text, str):
        return UNKNOWN_READING
    demanded = _finite(demanded_amount)
    answer, reason = _split_reason(_normalise(text))
    answer = _NEUTRAL.sub(" ", answer)
    clauses = [c for c in _clauses(answer) if not _INTERROGATIVE.search(c)]
    if not clauses:
        return UNKNOWN_READING
    refusing = [c for c in clauses if _is_refusal(c)]
    offering = [c for c in clauses if not _is_refusal(c)]
    offering_text = "，".join(offering)
    full = bool(_FULL.search(offering_text))
    amount = _best_amount(offering)
    if amount is None:
        amount = _share_of_demand(offering_text, demanded)
    if amount is None and full:
        amount = demanded
    remedy = _remedies_in(offering)
    agrees = any(_AGREEMENT.search(c) for c in offering)

    if _COUNTER.search(answer):
        return ReplyReading(ReplyIntent.COUNTER_OFFER, amount, remedy, reason)
    if refusing:
        if amount is not None or remedy is not None:
            # 「不同意全额退款，可以退30元」「不退，可以换」: a refusal with another offer.
            return ReplyReading(ReplyIntent.COUNTER_OFFER, amount, remedy, reason)
        if reason is None:
            after = clauses[clauses.index(refusing[0]) + 1 :]
            reason = _clean_reason("，".join(after))
        return ReplyReading(ReplyIntent.REFUSE, reason=reason)
    if not (agrees or remedy is not None or amount is not None):
        if any(_TAKING_UP.search(c) for c in clauses):
            return ReplyReading(ReplyIntent.ACKNOWLEDGE, reason=reason)
        return UNKNOWN_READING
    if amount is not None and demanded is not None and amount < demanded:
        return ReplyReading(ReplyIntent.COUNTER_OFFER, amount, remedy, reason)
    if is_non_cash(remedy):  # goods or a voucher instead of the money asked for
        return ReplyReading(ReplyIntent.COUNTER_OFFER, amount, remedy, reason)
    return ReplyReading(ReplyIntent.AGREE, amount, remedy, reason)


# --- reporter answers ---------------------------------------------------------------------

_WITHDRAWAL = re.compile(
    r"(?<!不)(?:撤回|撤销|撤诉|撤掉)|取消投诉|不投诉|不再投诉|不想投诉|不追究|"
    r"私下(?:解决|和解|协商好)|(?:已经?|自行)和解|自行(?:解决|协商好)"
)
_REJECTION = re.compile(
    rf"{_DISSATISFIED}|不接受|不同意|不认可|不行|不可以|不确认|不答应|拒绝|(?:不能|没法|无法)接受|"
    r"太少|不够|不合理|不公平|继续投诉|要求全额|坚持"
)
_CONFIRMATION = re.compile(
    r"确认|同意|接受|认可|满意|没问题|没有问题|可以|^行的?$|"
    r"收到(?:退款|钱|赔偿|款)|(?:退款|钱|款|赔偿)(?:已经?)?(?:收到|到账)|已到账|"
    r"(?:已经?)?解决了|已解决"
)


# 「好的」「收到」 after an offer: heard, but neither yes nor no (the bot asks which).
_BARE_ACKNOWLEDGEMENT = re.compile(
    r"^(?:好的?|好滴|好吧|嗯+|哦+|噢|收到了?|知道了?|明白了?|了解|ok|OK|Ok|👌|👍)"
    r"[\s，,。.!！~～]*(?:谢谢)?[\s，,。.!！~～]*$"
)


def is_bare_acknowledgement(text: str) -> bool:
    """A reply that only says it was heard: 「好的」「收到」「嗯」."""
    return isinstance(text, str) and bool(_BARE_ACKNOWLEDGEMENT.match(_normalise(text)))


# 「还没收到钱」: the money has not arrived, which confirms nothing.
_NOT_RECEIVED = re.compile(r"(?:没|未)有?(?:收到|到账|退)")


def read_reporter_reply(text: str) -> ReplyReading:
    """What the reporter's answer says: confirm, reject, withdraw, a bare rating, or unknown."""
    if not isinstance(text, str):
        return UNKNOWN_READING
    normalised = _normalise(text)
    answer, reason = _split_reason(normalised)
    answer = _NEUTRAL.sub(" ", answer)
    clauses = _clauses(answer)
    if not clauses:
        return UNKNOWN_READING
    if any(_WITHDRAWAL.search(c) for c in clauses):
        return ReplyReading(ReplyIntent.WITHDRAW, reason=reason)
    bare = _bare_score(normalised)
    if bare is not None:
        return ReplyReading(ReplyIntent.RATING, rating=bare)
    rating = read_rating(normalised)
    rejecting = [c for c in clauses if _REJECTION.search(c)]
    if rejecting:
        if reason is None:
            # 「不满意，要求全额退款」: what follows the refusal is what the reporter wants.
            after = clauses[clauses.index(rejecting[0]) + 1 :]
            reason = _clean_reason("，".join(after))
        return ReplyReading(
            ReplyIntent.REJECT,
            amount=_best_amount(clauses),
            remedy=_remedies_in(clauses),
            reason=reason,
            rating=rating,
        )
    if any(_CONFIRMATION.search(c) and not _NOT_RECEIVED.search(c) for c in clauses):
        return ReplyReading(ReplyIntent.CONFIRM, reason=reason, rating=rating)
    return UNKNOWN_READING


# --- ratings ------------------------------------------------------------------------------

_STARS = re.compile(r"[⭐★🌟]")
_SCORE = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?|[零一二两三四五六七八九十]+)\s*(?:分(?!钟|钱)|颗星|个星|星)"
)
_BARE_SCORE = re.compile(
    r"^(?:打|评|给|评分|评价|满意度|打分)?\s*(\d+(?:\.\d+)?|[零一二两三四五六七八九十]+)"
    r"\s*(?:分|颗星|个星|星)?(?:好评)?$"
)
_SATISFACTION: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(rf"{_VERY}不满意?|差评|{_VERY}差(?!价|额|距)|差劲|糟糕|垃圾"), 1),
    (re.compile(_DISSATISFIED), 2),
    (re.compile(rf"{_VERY}满意|满分|好评"), 5),
    (re.compile(r"比较满意|满意"), 4),
    (re.compile(r"一般|基本满意|还行|还可以|凑合"), 3),
)


def _score_value(token: str) -> int | None:
    value = _to_decimal(token)
    if value is None or value != value.to_integral_value():
        return None
    return int(value) if 1 <= value <= 5 else None


def _bare_score(text: str) -> int | None:
    """A reply that is nothing but a score: 「5」「5分」「五星」「⭐⭐⭐⭐」 (None otherwise)."""
    compact = re.sub(r"[\s，,。.!！~～]+$", "", _INVISIBLE.sub("", text)).strip()
    if compact and _STARS.sub("", compact).strip() in ("", "星", "分"):
        return _star_count(compact)
    match = _BARE_SCORE.match(compact)
    return _score_value(match.group(1)) if match else None


def _star_count(text: str) -> int | None:
    count = len(_STARS.findall(text))
    return count if 1 <= count <= 5 else None


def read_rating(text: str) -> int | None:
    """A 1–5 satisfaction score in a reply, or None (also for scores out of range)."""
    if not isinstance(text, str):
        return None
    text = _normalise(text)
    if not text:
        return None
    if _STARS.search(text):
        return _star_count(text)
    text = re.sub(r"十分(?=不?满意)", "非常", text)
    match = _SCORE.search(text)
    if match:
        return _score_value(match.group(1))
    bare = _bare_score(text)
    if bare is not None:
        return bare
    for pattern, score in _SATISFACTION:
        if pattern.search(text):
            return score
    return None
