"""Content words of complaint texts, for search (`similar`) and hot issues (`hot_issues`).

A text is masked first, then cut into words; what is left out: stop words (function words
and the vocabulary every complaint shares: 投诉, 商家, 要求…), single characters, anything
with a digit, a mask or a Latin letter (amounts, dates, order numbers, masked phones,
WeChat ids), forms of address such as 王女士, and the names the caller asks to drop.

The words come from a `Tokenize` callable. By default jieba's own dictionary (the global
tokenizer, loaded on first use, about a second); the bot may pass its parser's tokenizer
instead, which knows the registry's merchant names and the project's words and spares a
second copy of the dictionary, e.g. `lambda text: tokenizer.lcut_for_search(text,
HMM=False)`. Search uses jieba's search mode (a long word also yields its parts:
预付卡 → 预付, 预付卡), so 「预付卡」 finds 「预付款」; hot issues use whole words.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from types import ModuleType

from mediation.privacy import mask_text

Tokenize = Callable[[str], Iterable[str]]

_STOP_WORDS_TEXT = """
    的 了 是 在 我 你 他 她 它 我们 你们 他们 她们 这 那 这个 那个 这些 那些 和 与 及 或 或者
    也 就 都 而 又 但 但是 还 还是 却 并 并且 而且 因为 所以 如果 虽然 然后 后来 之后 以后 之前
    以前 当时 现在 今天 昨天 明天 前天 上午 下午 晚上 有 没有 没 不 不是 不能 不会 可以 能 会
    要 想 让 给 把 被 对 从 到 向 跟 为 为了 等 等等 已 已经 正在 一直 一个 一些 一下 一次 什么
    怎么 怎么办 为什么 如何 哪里 多少 这样 那样 自己 大家 说 称 讲 问 请 请问 麻烦 帮忙 谢谢
    您好 你好 收到 好的 情况 问题 事情 进行 表示 发现 出现 得到 知道 觉得 认为 希望 需要 相关
    投诉 举报 反映 反应 消费者 顾客 客户 商家 店家 老板 经营者 商户 要求 诉求 处理 解决 协商
    联系 电话 手机 微信 号码 地址 姓名 本人 对方 工作人员 网格员 群里 一下子 某 某某
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
_HAS_CJK = re.compile("[\u4e00-\u9fff]")
_NOT_WORD = re.compile(r"[\dA-Za-z*＊\s\W_]")
_ADDRESSED = re.compile("^.(?:先生|女士|小姐|阿姨|大爷|大妈|老师|师傅)$")


def jieba_words(text: str) -> list[str]:
    """jieba's accurate mode without its HMM guessing of unknown words."""
    return _jieba().lcut(text, HMM=False)


def jieba_search_words(text: str) -> list[str]:
    """jieba's search mode: long words also give their dictionary parts."""
    return _jieba().lcut_for_search(text, HMM=False)


def content_words(
    text: str, *, tokenize: Tokenize = jieba_words, drop: Iterable[str] = ()
) -> list[str]:
    """The words of `text` worth counting or searching, in order (see the docstring)."""
    dropped = frozenset(drop)
    words = []
    for word in tokenize(mask_text(text)):
        word = word.strip()
        if len(word) < 2 or word in STOP_WORDS or word in dropped:
            continue
        if not _HAS_CJK.search(word) or _NOT_WORD.search(word) or _ADDRESSED.match(word):
            continue
        words.append(word)
    return words


def _jieba() -> ModuleType:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba
