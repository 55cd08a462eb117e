"""The detector's features, shared by the bot (plain Python) and training/train_detector.py.

A message becomes counted terms and rule cues:

- terms: character 1- to 3-grams of the first FEATURE_CHARS characters (digits folded to 0,
  Latin letters lower-cased, whitespace collapsed) and their jieba words of two or more
  characters. Words
  carry a prefix that starts with a control character, which normalised text never holds.
- cues: the rule evidence of detection.py (consumer word, merchant, amount, notice, ...).

The model weighs terms as tf-idf: (1 + log count) x idf, the known terms of a message
scaled to unit length, so a long letter and a chat line weigh alike and terms the model
never saw neither count nor dilute the ones it knows. Each cue counts CUE_VALUE: small
beside the terms, because strong cues made the model worse on long letters (docs/MODEL.md).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain

WORD = "\x1fw"
RULE = "\x1fr"
CUE_VALUE = 0.04
FEATURE_CHARS = 500  # the start of a long letter says what it is; bounds the work per message
_DIGITS = re.compile(r"\d")
_SPACE = re.compile(r"[\s\x00-\x1f]+")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", _DIGITS.sub("0", text[:FEATURE_CHARS].lower())).strip()


def term_counts(text: str, tokens: Sequence[str]) -> Counter[str]:
    """Character 1-3-grams and words of the start of `text`; `tokens` are jieba's cut of it."""
    norm = normalise(text)
    bigrams = list(map(str.__add__, norm, norm[1:]))
    counts = Counter(chain(norm, bigrams, map(str.__add__, bigrams, norm[2:])))
    used = 0
    for token in tokens:
        used += len(token)
        if used > FEATURE_CHARS:
            break
        word = token.strip()
        if len(word) >= 2:
            counts[WORD + _DIGITS.sub("0", word.lower())] += 1
    return counts


def weigh(counts: Mapping[str, float], idf: Mapping[str, float]) -> dict[str, float]:
    """tf-idf of the known terms, (1 + log count) x idf, scaled to unit length (empty when
    none is known). DetectorModel.score computes the same sum without building this dict."""
    values = {}
    for term in counts.keys() & idf.keys():
        count = counts[term]
        values[term] = idf[term] * (1.0 + math.log(count)) if count > 1 else idf[term]
    length = math.sqrt(math.fsum(value * value for value in values.values()))  # any order
    return {term: value / length for term, value in values.items()} if length else {}


def cue_values(cues: Iterable[str]) -> dict[str, float]:
    return {RULE + cue: CUE_VALUE for cue in cues}
