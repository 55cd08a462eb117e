"""Relayed complaints: a grid worker or resident posts what a consumer told them
(「居民王阿姨反映…」, a form with 投诉人：刘建国). The consumer and the relayer are different
people: the case records the consumer's name (shown masked in the group) and that it was
relayed, and the relayer is asked to check with the consumer before confirming or rating."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HAN = r"[\u4e00-\u9fa5]"
_WHO = r"(?:居民|消费者|顾客|群众|市民|村民|业主|住户|商户顾客|老人)"
_SAYS = r"(?:反映|反应|投诉|来电|求助|称|说)"
_HONORIFIC = r"(?:阿姨|大爷|大妈|奶奶|爷爷|师傅|先生|女士|小姐|老师|叔叔|婶婶|大姐|大哥)"

_FORM = re.compile(rf"(?:投诉人|消费者|反映人|当事人)(?:姓名)?\s*[：:]\s*(?P<name>{_HAN}{{2,4}})")
_HONOURED = re.compile(rf"{_WHO}?(?P<name>{_HAN}{{1,2}}{_HONORIFIC}){_SAYS}")
_NAMED = re.compile(rf"{_WHO}(?P<name>{_HAN}{{2,3}}?){_SAYS}")
_UNNAMED = re.compile(rf"(?:有|一[位名个])?{_WHO}{_SAYS}|据{_WHO}")
_NOT_NAMES = frozenset({"反映", "投诉", "朋友", "家属", "本人", "我们"})


@dataclass(frozen=True)
class Relay:
    relayed: bool
    consumer_name: str | None = None


NOT_RELAYED = Relay(False)


def read_relay(text: str) -> Relay:
    """Whether the complaint passes on someone else's, and the consumer's name if given."""
    if not isinstance(text, str):
        return NOT_RELAYED
    for pattern in (_FORM, _HONOURED, _NAMED):
        match = pattern.search(text)
        if match and match.group("name") not in _NOT_NAMES:
            return Relay(True, match.group("name"))
    if _UNNAMED.search(text):
        return Relay(True)
    return NOT_RELAYED


def masked_name(name: str) -> str:
    """王阿姨 → 王**, 刘建国 → 刘**: the surname only, as the group sees a person."""
    return name[:1] + "**" if name else ""
