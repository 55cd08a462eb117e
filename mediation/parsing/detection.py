"""Is this message a new consumer complaint? Two layers.

The decisive rules come first and alone say "not a complaint": commands, photos and other
media, acknowledgements, ratings and replies inside a mediation thread, nuisance reports
(noise, 油烟, 广场舞: no purchase between the resident and the source; they are flagged so
the bot can point the reporter to the right channel).

Every other message is scored by the learned model (`model.py`); the rest of the old rule
cascade — statistics, "already refunded", notices, questions, and the evidence of a dispute
(facts, merchant, demand, amount, someone it happened to) — is read here as cues that become
the model's features, and names the kind of a message the model does not take. A soft cue
therefore never vetoes a message the model is sure of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAG = re.compile(
    r"^\s*(?:【[^】]{0,6}投诉[^】]{0,4}】|\[[^\]]{0,6}投诉[^\]]{0,4}\]|(?:消费)?投诉[：:])|12315转"
)
_PLACEHOLDER = re.compile(
    r"\[(?:图片|语音|视频|文件|动画表情|表情|链接|位置|名片|红包|转账|聊天记录|小程序|音乐|"
    r"视频号|直播|图片消息|Photo|Image|Sticker)\]"
)
_ACK_WORDS = re.compile(
    # single characters inside the repeated group: 哈+ within (...)+ backtracks exponentially
    r"^(?:收到了?|好的?|好嘞|好滴|嗯|哦|ok|OK|Ok|明白|了解|知道了|谢谢|感谢|多谢|辛苦了?|辛苦啦|"
    r"哈|呵|👍|🙏|👌|💪|✌️?|😊|😄|[!！~～。.，,\s])+"
)
_REPLY = re.compile(
    r"^(?:同意|不同意|确认|不确认|接受|不接受|认可|不认可|没问题|可以|行|满意|不满意)"
)
# An acknowledgement opening a longer message must end at a boundary (收到，… / 好的 …):
# 哈弗M6 starts with 哈, 嗯对就是… with 嗯, and both are accounts, not acknowledgements.
_ACK_BOUNDARY = re.compile(r"[，,。.!！~～\s]")
_ACK_PREFIX_MAX = 20
_RATING = re.compile(r"^\s*[1-5]\s*(?:分|星)?\s*$")
_NUISANCE = re.compile(
    r"噪音|噪声|扰民|油烟|太吵|吵闹|吵得|很吵|广场舞|施工|电钻|狗叫|占道|乱停|乱堆|乱扔|垃圾|"
    r"臭味|气味|烟雾|排烟|装修声|唱到凌晨|放音乐|音响"
)
# A nuisance word in an account of something bought (电梯噪声 in a new flat, 发动机噪音大)
# or in a long letter does not settle the message; the model reads it.
_NUISANCE_GUARD = re.compile(
    r"质量|售后|维修|保修|物业费|交房|收房|开发商|电梯|发动机|异响|4S|产品|商品|退款|退费|赔偿|"
    r"消费者|顾客"
)
_NUISANCE_MAX = 150
_TRANSACTION = re.compile(
    r"买|购|消费|办卡|充值|收费|付款|支付|花了|退款|退费|退还|多收|元|块钱|订|预付|会员|结账|价格"
)
_DONE = re.compile(
    r"已(?:经|于)?.{0,8}?(?:退款|退还|退给|退了|退回|处理好|处理完|解决|办结|结案|调解|撤回|撤诉|"
    r"协商一致|赔偿了|道歉了|达成)|调解成功|表示满意|可以结案|撤诉|撤回投诉|签字确认|已办结|"
    r"已处理|已经处理|已完成|(?<!不)同意(?:退|赔|换|道歉)|愿意(?:退|赔|换)|商家(?:已经?)?同意|请(?:消费者|投诉人|当事人)?确认|关于.{0,24}的投诉|"
    r"那个投诉|这个投诉|该投诉|此案|本案|这个案子|那个案子"
)
_UNRESOLVED = re.compile(r"不退|拒绝|不给|不认|不肯|不同意|只退|只肯|剩下|还没|仍未|至今|但是|可是")
_STATS_STRONG = re.compile(
    r"受理|办结|同比|环比|成功率|办结率|满意度|统计|挽回经济损失|台账|汇总|总计"
)
_STATS_CONTEXT = re.compile(
    r"\d+\s*件|本月|本周|上周|上月|本季度|本年度|月份|季度|截至|截止|今年以来|共计?\d"
)
# A notice header decides on its own; the other notice words yield to a clear complaint.
_NOTICE_HEADER = re.compile(
    r"^\s*【(?:通知|重要通知|紧急通知|提醒|重要提醒|公告|会议通知|温馨提示|工作提示|通报|预警)】"
)
_NOTICE = re.compile(
    r"会议|开会|参会|例会|部署会|推进会|"
    r"座谈会|请各|各位|各网格|各社区|@所有人|请大家|大家注意|提醒大家|通知[：:]|温馨提示|提醒[：:]|"
    r"注意[：:]|报送|课件|请查收|值班|宣传活动|宣传资料|进社区|下载学习|准时参加|培训会|会议室|"
    r"专项检查|检查组|开展.{0,8}(?:检查|巡查|整治|宣传)|上传系统|及时上传"
)
_QUESTION = re.compile(
    r"[?？]|请问|问一下|想问|谁知道|谁有|有没有人|有人知道|是否可以|能不能|可不可以|可以吗|怎么办|"
    r"怎么处理|怎么样了|吗\s*$|呢\s*$"
)
_QUESTION_LENGTH = 60  # a question to the group is short; a long account may ask rhetorically
_CONSUMER = re.compile(
    r"消费者|顾客|客人|业主|家长|学员|游客|车主|投保人|租客|住户|乘客|买家|患者|新人|老人|"
    r"居民|群众|市民|大妈|阿姨|大爷|女士|先生"
)
_REPORT = re.compile(r"投诉|反映|维权|举报|求助|被骗|上当")
_FIRST_PERSON = re.compile(r"我(?!们)|本人|俺")
# Words for the other side of a dispute when no shop is named (客服不理, 商家拒绝).
_RESPONDENT = re.compile(r"商家|店家|卖家|客服|平台|店铺|老板|公司|机构|门店")
# A party answering inside a thread: 「张记饺子馆回复：…」, 「商家答复：同意退还」.
_THREAD_REPLY = re.compile(r"^[^，。,.!?！？]{0,20}(?:回复|答复|回应)[：:]")


@dataclass(frozen=True)
class Evidence:
    """What the other readers found in the message."""

    has_merchant: bool
    has_amount: bool
    has_demand: bool
    has_facts: bool
    has_contact: bool
    strong_facts: bool = False  # a specific problem cue (虚假宣传, 不退款), not just a hint


@dataclass(frozen=True)
class Verdict:
    is_complaint: bool
    confidence: float
    kind: str  # complaint, command, media, ack, mediation_reply, nuisance, ...
    nuisance: bool = False
    band: str = "no"  # sure | unsure | no


def _not_complaint(kind: str, confidence: float = 0.02, nuisance: bool = False) -> Verdict:
    return Verdict(False, confidence, kind, nuisance)


def decisive_verdict(text: str, evidence: Evidence) -> Verdict | None:
    """The rules that decide alone: commands, media, acknowledgements, ratings and replies
    inside a mediation thread, nuisance reports. None when the model must read the message."""
    stripped = text.strip()
    if not stripped:
        return _not_complaint("empty")
    if stripped.startswith(("/", "／")):
        return _not_complaint("command")
    tagged = bool(_TAG.search(stripped))
    content = _PLACEHOLDER.sub("", stripped).strip()
    if content != stripped and len(content) < 20 and not tagged:
        return _not_complaint("media")
    if not content:
        return _not_complaint("media")
    if not tagged:
        if _ACK_WORDS.fullmatch(content):
            return _not_complaint("ack")
        ack = _ACK_WORDS.match(content)
        if (
            ack
            and len(content) <= _ACK_PREFIX_MAX
            and (_ACK_BOUNDARY.search(ack.group()) or _ends_at_boundary(content, ack.end()))
        ):
            return _not_complaint("ack")
        if _RATING.match(content) or (_REPLY.match(content) and len(content) <= 30):
            return _not_complaint("mediation_reply")
        if _THREAD_REPLY.match(content):
            return _not_complaint("mediation_reply", 0.05)
    if _is_nuisance(content):
        return _not_complaint("nuisance", 0.05, nuisance=True)
    return None


def _ends_at_boundary(content: str, end: int) -> bool:
    return bool(
        _ACK_BOUNDARY.match(content, end - 1)
        or end == len(content)
        or _ACK_BOUNDARY.match(content, end)
    )


def _is_nuisance(content: str) -> bool:
    return (
        bool(_NUISANCE.search(content))
        and not _TRANSACTION.search(content)
        and len(content) <= _NUISANCE_MAX
        and not _NUISANCE_GUARD.search(content)
    )


@dataclass(frozen=True)
class RuleReading:
    """What the hand-written rules see in a message the decisive rules left open: the cues
    (features for the model), the kind they would give it, and their old score."""

    cues: tuple[str, ...]
    kind: str  # complaint, stats, refund_done, notice, question, followup, chatter
    score: float


def read_rules(text: str, evidence: Evidence) -> RuleReading:
    content = _PLACEHOLDER.sub("", text.strip()).strip()
    tagged = bool(_TAG.search(content))
    consumer_word = bool(_CONSUMER.search(content))
    first_person = bool(_FIRST_PERSON.search(content))
    consumer = consumer_word or (evidence.strong_facts and first_person)
    respondent_word = bool(_RESPONDENT.search(content))
    respondent = evidence.has_merchant or (evidence.strong_facts and respondent_word)
    stats_markers = len(_STATS_STRONG.findall(content))
    stats = stats_markers >= 2 or bool(stats_markers and _STATS_CONTEXT.search(content))
    done = bool(_DONE.search(content))
    unresolved = bool(_UNRESOLVED.search(content))
    notice_header = bool(_NOTICE_HEADER.match(content))
    notice = bool(_NOTICE.search(content))
    question = bool(_QUESTION.search(content))
    report = bool(_REPORT.search(content))
    transaction = bool(_TRANSACTION.search(content))
    ack_start = bool(_ACK_WORDS.match(content))
    cues = {
        "tag": tagged,
        "consumer_word": consumer_word,
        "first_person": first_person,
        "consumer": consumer,
        "respondent_word": respondent_word,
        "respondent": respondent,
        "stats": stats,
        "stats_word": stats_markers > 0,
        "done": done and not unresolved,
        "done_word": done,
        "unresolved": unresolved,
        "notice_header": notice_header,
        "notice": notice,
        "question": question,
        "long": len(content) > _QUESTION_LENGTH,
        "short": len(content) <= 15,
        "chat_length": len(content) <= 80,
        "letter_length": len(content) > 200,
        "report": report,
        "transaction": transaction,
        "ack_start": ack_start,
        "nuisance_word": bool(_NUISANCE.search(content)),
        "merchant": evidence.has_merchant,
        "amount": evidence.has_amount,
        "demand": evidence.has_demand,
        "facts": evidence.has_facts,
        "strong_facts": evidence.strong_facts,
        "contact": evidence.has_contact,
    }
    score = (
        (3.0 if tagged else 0.0)
        + (1.0 if report else 0.0)
        + (1.5 if consumer else 0.0)
        + (2.0 if evidence.has_facts else 0.0)
        + (1.5 if evidence.has_demand else 0.0)
        + (1.5 if respondent else 0.0)
        + (0.5 if evidence.has_amount else 0.0)
        + (0.5 if evidence.has_contact else 0.0)
    )
    kind = _rule_kind(content, evidence, cues, score)
    names = [name for name, present in cues.items() if present]
    names.append(f"kind_{kind}")
    names.append(f"score_{min(int(score), 9)}")
    if evidence.has_merchant and evidence.has_facts:
        names.append("merchant_facts")
    if evidence.has_demand and evidence.has_facts:
        names.append("demand_facts")
    return RuleReading(tuple(names), kind, score)


def _rule_kind(content: str, evidence: Evidence, cues: dict[str, bool], score: float) -> str:
    """The kind the old rule cascade gave; the model decides, this names a non-complaint."""
    tagged, consumer, respondent = cues["tag"], cues["consumer"], cues["respondent"]
    if not tagged:
        if cues["stats"]:
            return "stats"
        if cues["done"]:
            return "refund_done"
        if cues["notice_header"]:
            return "notice"
        if cues["notice"] and not (consumer and evidence.has_facts and evidence.has_merchant):
            return "notice"
        if cues["question"] and not (
            consumer
            and evidence.has_facts
            and (cues["long"] or (evidence.has_merchant and evidence.has_demand))
        ):
            return "question"
    grounded = (evidence.has_facts or tagged) and (respondent or consumer or tagged)
    backed = respondent or evidence.has_demand or evidence.has_amount or tagged
    if grounded and backed and score >= 5.0:
        return "complaint"
    return "followup" if (evidence.has_merchant or evidence.has_demand) else "chatter"


def classify_message(
    text: str, reading: RuleReading, probability: float, sure: float, unsure: float
) -> Verdict:
    """The model's probability decides the band; a non-complaint keeps the rules' kind.
    The probability is reported within [0.01, 0.99]: no reading is ever certain."""
    probability = min(max(probability, 0.01), 0.99)
    if "tag" in reading.cues:
        # 【投诉】 / 投诉： / 12315转: the sender registers a complaint in so many words.
        probability = max(probability, sure)
    if probability >= sure:
        return Verdict(True, probability, "complaint", band="sure")
    kind = reading.kind if reading.kind != "complaint" else "chatter"
    return Verdict(False, probability, kind, band="unsure" if probability >= unsure else "no")
