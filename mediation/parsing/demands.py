"""What the consumer asks for: a subset of the nine demands 12315 records.

Demands are read inside demand clauses (the words after 要求 / 希望 / 诉求 up to the end of
the sentence), so the facts of the case do not count as demands: in 「商家不同意退货，消费者
要求退款」 the consumer asks for a refund, not a return. A few phrases are demands wherever
they stand (退一赔三, 讨个说法). Repair costs are compensation, not repair (赔偿维修费).
"""

from __future__ import annotations

import re

DEMANDS = ("退款", "退货", "换货", "维修", "赔偿", "道歉", "履行合同", "查处", "解释")

_CLAUSE_START = re.compile(
    r"要求|希望|诉求(?:是|为)?|请求|想要|想让|想|需要商家|让商家|让店家|帮忙|申请|提出"
)
_CLAUSE_END = re.compile(r"[。！？!?\n；;]|电话|联系|手机|微信")
_ANYWHERE = re.compile(r"退一赔|[讨要]个说法|给个说法|要回来|把钱要回")

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "退款",
        re.compile(
            r"退款|退钱|退费|退还|返还|退回(?!商品|货)|退差价|退.{0,3}差价|退余额|退押金|退卡|退票|"
            r"退一赔|全额退|退.{0,4}(?:费用|余额|押金|学费|团费|保费|定金|订金|钱|款|费)|要回|退给|退了?吧?$"
        ),
    ),
    ("退货", re.compile(r"退货|退车|退机|退掉|退回商品|退回货物|退了(?:商品|东西)")),
    (
        "换货",
        re.compile(
            r"换货|换新|换一[台个件双部只盒箱套辆]|(?<!合同)(?<!约定)更换|调换|换成新|换回|重新配|重配|"
            r"换[个台件双部]新|换镜片|包换"
        ),
    ),
    (
        "维修",
        re.compile(r"维修(?![费的]|损失|费用|成本)|修好|修理(?!费)|保修|免费修|返修|修复|修一下"),
    ),
    (
        "赔偿",
        re.compile(
            r"赔偿|赔付|赔[一二两三四五六七八九十0-9]+倍?|退一赔|补偿|赔钱|按价赔|按原价赔|"
            r"承担.{0,12}(?:费用|损失)|赔损失|赔医药费|赔$|赔[，。,]"
        ),
    ),
    ("道歉", re.compile(r"道歉|赔礼|致歉|认错")),
    (
        "履行合同",
        re.compile(
            r"履行|按(?:合同|约定|承诺|协议|宣传|办卡时的约定)|兑现|顺延|"
            r"继续(?:提供|服务|上课|营业|履行)|补齐|补足|交付|交房|尽快安排|如约"
        ),
    ),
    ("查处", re.compile(r"查处|处罚|查办|严查|立案|取缔|依法处理|调查处理|监管部门处理|严肃处理")),
    ("解释", re.compile(r"解释|说法|说明(?!书)|查明|说清楚|答复|交代|原因")),
)


def demand_spans(text: str) -> list[tuple[int, int]]:
    """Where the consumer's demands are written: (start, end) of each demand clause."""
    spans: list[tuple[int, int]] = []
    for match in _CLAUSE_START.finditer(text):
        start = match.end()
        if spans and start < spans[-1][1]:
            continue
        end_match = _CLAUSE_END.search(text, start)
        end = end_match.start() if end_match else len(text)
        if end > start:
            spans.append((start, end))
    return spans


def find_demands(text: str, spans: list[tuple[int, int]]) -> tuple[str, ...]:
    clauses = [text[start:end] for start, end in spans]
    clauses.extend(m.group(0) for m in _ANYWHERE.finditer(text))
    if not clauses:
        return ()
    found = []
    for demand, pattern in _PATTERNS:
        if any(pattern.search(clause) for clause in clauses):
            found.append(demand)
    return tuple(found)
