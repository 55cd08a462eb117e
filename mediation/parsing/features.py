"""The detector's features, shared by the bot (plain Python) and training/train_detector.py.

A message becomes a set of named binary features: character 1- to 3-grams and jieba words of
its first `FEATURE_CHARS` characters (digits folded to 0, Latin letters lower-cased), and the
rule cues of detection.py. N-grams are named by themselves; words and cues carry a prefix
that starts with a control character, which normalised text never contains. The text
features the model knows are scaled by 1/sqrt(their number), so a long letter and a short
chat line weigh alike (model.py, and training/train_detector.py's `known_only`); rule cues
count 1 each.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

FEATURE_CHARS = 300
WORD = "\x1fw"
RULE = "\x1fr"
_DIGITS = re.compile(r"\d")
_SPACE = re.compile(r"[\s\x00-\x1f]+")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", _DIGITS.sub("0", text[:FEATURE_CHARS].lower())).strip()


def text_features(text: str, tokens: Sequence[str]) -> set[str]:
    """Character n-grams (1-3) and words of the start of `text`; `tokens` cut the same text."""
    norm = normalise(text)
    size = len(norm)
    features = set(norm)
    features.update([norm[start : start + 2] for start in range(size - 1)])
    features.update([norm[start : start + 3] for start in range(size - 2)])
    add = features.add
    used = 0
    for token in tokens:
        used += len(token)
        if used > FEATURE_CHARS:
            break
        word = token.strip()
        if len(word) >= 2:
            add(WORD + _DIGITS.sub("0", word.lower()))
    return features


def vector(text_feats: Iterable[str], cues: Iterable[str]) -> dict[str, float]:
    """Feature name -> value before the vocabulary is known (training rescales it)."""
    names = sorted(set(text_feats))
    scale = 1.0 / math.sqrt(len(names)) if names else 0.0
    values = dict.fromkeys(names, scale)
    for cue in cues:
        values[RULE + cue] = 1.0
    return values
