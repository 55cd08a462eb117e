"""Is this message a new consumer complaint? A false case in a group is worse than a missed
one, so the rules that say "not a complaint" come first and are decisive: commands, photos,
acknowledgements, replies inside a mediation thread, nuisance reports, "the merchant has
refunded" updates, statistics, notices and questions. Only then does a message need enough
evidence of a consumer dispute: the facts of a problem, someone it happened to or a
【投诉】 tag, and a merchant, a demand or an amount.

Nuisance reports (noise, 油烟, 广场舞) are not consumer disputes: there is no purchase
between the resident and the source. They are flagged so the bot can point the reporter to
the right channel instead of opening a mediation case.
"""

from __future__ import annotations

import math
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
    r"^(?:收到了?|好的?|好嘞|好滴|嗯+|哦+|ok|OK|Ok|明白|了解|知道了|谢谢|感谢|多谢|辛苦了?|辛苦啦|"
    r"哈+|呵+|👍|🙏|👌|💪|✌️?|😊|😄|[!！~～。.，,\s])+"
)
_REPLY = re.compile(
    r"^(?:同意|不同意|确认|不确认|接受|不接受|认可|不认可|没问题|可以|行|满意|不满意)"
)
_RATING = re.compile(r"^\s*[1-5]\s*(?:分|星)?\s*$")
_NUISANCE = re.compile(
    r"噪音|噪声|扰民|油烟|太吵|吵闹|吵得|很吵|广场舞|施工|电钻|狗叫|占道|乱停|乱堆|乱扔|垃圾|"
    r"臭味|气味|烟雾|排烟|装修声|唱到凌晨|放音乐|音响"
)
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
    kind: str  # complaint, command, media, ack, mediation_reply, nuisance, refund_done, ...
    nuisance: bool = False


def _not_complaint(kind: str, confidence: float = 0.02, nuisance: bool = False) -> Verdict:
    return Verdict(False, confidence, kind, nuisance)


def classify_message(text: str, evidence: Evidence) -> Verdict:
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
        if _ACK_WORDS.match(content) and (len(content) <= 20 or not evidence.has_facts):
            return _not_complaint("ack")
        if _RATING.match(content) or (_REPLY.match(content) and len(content) <= 30):
            return _not_complaint("mediation_reply")
        if _THREAD_REPLY.match(content):
            return _not_complaint("mediation_reply", 0.05)
    if _NUISANCE.search(content) and not _TRANSACTION.search(content):
        return _not_complaint("nuisance", 0.05, nuisance=True)
    if not tagged:
        stats_markers = len(_STATS_STRONG.findall(content))
        if stats_markers >= 2 or (stats_markers and _STATS_CONTEXT.search(content)):
            return _not_complaint("stats", 0.05)
        if _DONE.search(content) and not _UNRESOLVED.search(content):
            return _not_complaint("refund_done", 0.05)
    consumer = bool(_CONSUMER.search(content)) or (
        evidence.strong_facts and bool(_FIRST_PERSON.search(content))
    )
    if not tagged:
        if _NOTICE_HEADER.match(content):
            return _not_complaint("notice", 0.02)
        if _NOTICE.search(content) and not (
            consumer and evidence.has_facts and evidence.has_merchant
        ):
            return _not_complaint("notice", 0.05)
        if _QUESTION.search(content) and not (
            consumer
            and evidence.has_facts
            and (len(content) > _QUESTION_LENGTH or (evidence.has_merchant and evidence.has_demand))
        ):
            return _not_complaint("question", 0.1)
    respondent = evidence.has_merchant or (
        evidence.strong_facts and bool(_RESPONDENT.search(content))
    )
    score = (
        (3.0 if tagged else 0.0)
        + (1.0 if _REPORT.search(content) else 0.0)
        + (1.5 if consumer else 0.0)
        + (2.0 if evidence.has_facts else 0.0)
        + (1.5 if evidence.has_demand else 0.0)
        + (1.5 if respondent else 0.0)
        + (0.5 if evidence.has_amount else 0.0)
        + (0.5 if evidence.has_contact else 0.0)
    )
    grounded = (evidence.has_facts or tagged) and (respondent or consumer or tagged)
    backed = respondent or evidence.has_demand or evidence.has_amount or tagged
    confidence = 1.0 / (1.0 + math.exp(-(score - 5.0)))
    if grounded and backed and score >= 5.0:
        return Verdict(True, max(0.5, min(confidence, 0.99)), "complaint")
    kind = "followup" if (evidence.has_merchant or evidence.has_demand) else "chatter"
    return Verdict(False, min(confidence, 0.49), kind)
