"""The bot's fast scoring is the same sum as the training side's tf-idf weighting."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from mediation.parsing.features import CUE_VALUE, RULE, WORD, cue_values, term_counts, weigh
from mediation.parsing.model import DetectorModel


def test_terms_are_character_ngrams_and_words_with_digits_folded() -> None:
    counts = term_counts("退款88元 退款", ["退款", "88", "元", " ", "退款"])
    assert counts["退"] == 2 and counts["退款"] == 2 and counts["款00"] == 1
    assert counts[WORD + "退款"] == 2 and counts[WORD + "00"] == 1
    assert "元 退" in counts  # whitespace kept as one space inside n-grams


@pytest.mark.parametrize(
    "counts",
    [
        Counter({"退": 1, "款": 3, "退款": 2, "unknown": 5}),
        Counter({"unknown": 1}),
        Counter(),
    ],
)
def test_score_equals_weights_times_the_weighed_terms(counts: Counter[str]) -> None:
    idf = {"退": 1.5, "款": 2.0, "退款": 3.0}
    weights = {"退": 0.4, "款": -0.2, "退款": 1.1, RULE + "demand": 2.0}
    model = DetectorModel(weights, -0.5, 1.0, 0.0, 0.8, 0.4, idf=idf)
    cues = ("demand", "never_trained")
    expected = -0.5 + sum(weights[t] * v for t, v in weigh(counts, idf).items())
    expected += sum(weights.get(name, 0.0) * v for name, v in cue_values(cues).items())
    assert model.score(counts, cues) == pytest.approx(expected)
    assert cue_values(cues)[RULE + "demand"] == CUE_VALUE


def test_weighed_terms_have_unit_length_and_sublinear_counts() -> None:
    weighed = weigh({"a": 1, "b": 3}, {"a": 2.0, "b": 2.0})
    assert math.hypot(*weighed.values()) == pytest.approx(1.0)
    assert weighed["b"] / weighed["a"] == pytest.approx(1.0 + math.log(3))
