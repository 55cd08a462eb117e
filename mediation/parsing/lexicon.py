"""The project dictionary, read once: which words jieba should keep whole, which endings make
a merchant name (饺子馆, 大药房, 4S店) and which words point to a 12315 category.

Keeping these in one data file (`data/domain_words.txt`) means adding a merchant type or a
product word is a one-line change that reaches segmentation and classification together.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Hint:
    """A word's vote for a 12315 category; `category` is None for neutral merchant types."""

    category: str | None
    weight: int


@dataclass(frozen=True)
class Lexicon:
    words: tuple[str, ...]  # every entry, for jieba
    merchant_types: dict[str, Hint]  # name endings: 饺子馆, 超市, 公司
    organisations: frozenset[str]  # types that name a merchant alone: 自来水公司, 移动公司
    platforms: dict[str, Hint]  # online platforms: the respondent when no shop is named
    items: dict[str, Hint]  # whole-token goods/service words: 空调, 学费
    tails: dict[str, Hint]  # token endings: 鞋 (皮鞋, 运动鞋)
    longest_type: int
    item_words: frozenset[str]  # keys of items, for set intersection with a message's tokens
    type_words: frozenset[str]  # keys of merchant_types
    type_last_chars: frozenset[str]  # last characters of merchant types: a cheap first test

    def merchant_type_of(self, name: str) -> str | None:
        """The longest known merchant-type ending of `name`, if any."""
        for size in range(min(len(name), self.longest_type), 0, -1):
            ending = name[-size:]
            if ending in self.merchant_types:
                return ending
        return None


def _parse(text: str) -> Lexicon:
    words: list[str] = []
    types: dict[str, Hint] = {}
    items: dict[str, Hint] = {}
    tails: dict[str, Hint] = {}
    organisations: set[str] = set()
    platforms: dict[str, Hint] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        word, role = fields[0], fields[1] if len(fields) > 1 else "word"
        words.append(word)
        if role == "word":
            continue
        category = fields[2] if len(fields) > 2 and fields[2] != "-" else None
        weight = int(fields[3]) if len(fields) > 3 else 1
        if role == "org":
            organisations.add(word)
            role = "type"
        table = {"type": types, "item": items, "tail": tails, "platform": platforms}[role]
        table[word] = Hint(category, weight)
    return Lexicon(
        words=tuple(dict.fromkeys(words)),
        merchant_types=types,
        organisations=frozenset(organisations),
        platforms=platforms,
        items=items,
        tails=tails,
        longest_type=max((len(w) for w in types), default=1),
        item_words=frozenset(items),
        type_words=frozenset(types),
        type_last_chars=frozenset(w[-1] for w in types),
    )


@cache
def load_lexicon() -> Lexicon:
    text = resources.files("mediation.parsing.data").joinpath("domain_words.txt")
    return _parse(text.read_text(encoding="utf-8"))
