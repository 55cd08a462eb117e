"""WeChat quotes: a reply that quotes a message arrives as 「名字：原文」, a line of dashes,
then the new text. Commands and 「登记」 are read from the new text; `/登记` takes the quoted
text as the complaint (the quoted person's name is dropped)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_QUOTE = re.compile(
    r"^\s*「(?P<name>[^：:」\n]{0,64})[：:](?P<quoted>.*)」\s*\n\s*[-—－‐](?:[-—－‐ ]*)\n?",
    re.S,
)


@dataclass(frozen=True)
class Quoted:
    quoted: str  # the quoted message's text ("" when nothing is quoted)
    text: str  # what the sender wrote


def split_quote(text: str) -> Quoted:
    match = _QUOTE.match(text)
    if match is None or match["quoted"].count("」") > match["quoted"].count("「"):
        return Quoted("", text.strip())
    return Quoted(match["quoted"].strip(), text[match.end() :].strip())
