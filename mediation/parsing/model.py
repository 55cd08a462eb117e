"""The learned complaint detector at run time: a logistic regression shipped as JSON.

`data/detector.json` holds the known terms (one string, a term a line) with their weights
and idf (two lists in the same order), the rule cues' weights, the bias, the Platt scaling
that turns a score into a calibrated probability, and the band thresholds chosen on
cross-validated probabilities (see docs/MODEL.md). Scoring is tf-idf and a dot product in
plain Python: no scikit-learn at run time. training/train_detector.py writes the file;
`make model` rebuilds it.
"""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from itertools import compress
from pathlib import Path
from typing import Any

from .features import RULE, cue_values

ARTIFACT = "detector.json"


class DetectorModel:
    """The weights kept compactly: one index of the known terms and two arrays (weight x idf,
    idf squared) instead of dicts of floats, about 40 MB less for the shipped model."""

    def __init__(
        self,
        weights: Mapping[str, float],
        bias: float,
        platt_a: float,
        platt_b: float,
        sure: float,
        unsure: float,
        version: str = "",
        *,
        sure_long: float | None = None,
        long_from: int = 80,
        idf: Mapping[str, float] | None = None,
    ) -> None:
        self.bias, self.platt_a, self.platt_b = bias, platt_a, platt_b
        self.sure = sure  # probability from which a chat-length message opens a case
        self.unsure = unsure  # probability from which the bot asks the sender
        # A message of `long_from` characters or more (a pasted work order, a letter) opens
        # a case from `sure_long`, chosen for the hotline's precision target, not the chat's.
        self.sure_long, self.long_from = sure_long, long_from
        self.version = version
        idf = idf or {}
        self.cue_weights = {n: w for n, w in weights.items() if n.startswith(RULE)}
        self._set_terms(list(idf), [weights.get(t, 0.0) for t in idf], list(idf.values()))

    def _set_terms(
        self, terms: Sequence[str], weights: Sequence[float], idf: Sequence[float]
    ) -> None:
        self.term_index = {term: number for number, term in enumerate(terms)}
        self._weight_idf = array("d", map(float.__mul__, map(float, weights), map(float, idf)))
        self._idf_squared = array("d", (float(value) ** 2 for value in idf))

    def thresholds(self, length: int) -> tuple[float, float]:
        """(sure, unsure) for a message of `length` characters."""
        sure = self.sure
        if length >= self.long_from and self.sure_long is not None:
            sure = self.sure_long
        return sure, min(self.unsure, sure)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DetectorModel:
        """The artifact keeps its terms as one string and two lists of numbers: decoding
        them holds far less memory than dicts of 85,000 entries (memory a process keeps)."""
        thresholds = data["thresholds"]
        model = cls(
            data["cue_weights"],
            bias=float(data["bias"]),
            platt_a=float(data["platt"]["a"]),
            platt_b=float(data["platt"]["b"]),
            sure=float(thresholds["sure"]),
            unsure=float(thresholds["unsure"]),
            version=str(data.get("version", "")),
            sure_long=thresholds.get("sure_long"),
            long_from=int(thresholds.get("long_from", 80)),
        )
        terms = data["terms"].split("\n") if data["terms"] else []
        model._set_terms(terms, data["term_weights"], data["idf"])
        return model

    def score(self, terms: Mapping[str, int], cues: tuple[str, ...]) -> float:
        """The linear score of a message's term counts and rule cues: the weights times
        features.weigh(terms, idf) and features.cue_values(cues). Summed as products of
        weight and idf over the known terms, then corrected for those seen more than once."""
        index, weight_idf, idf_squared = self.term_index, self._weight_idf, self._idf_squared
        known = list(map(index.__getitem__, terms.keys() & index.keys()))
        dot = sum(map(weight_idf.__getitem__, known))
        length_squared = sum(map(idf_squared.__getitem__, known))
        for term in compress(terms.keys(), map((1).__lt__, terms.values())):
            number = index.get(term)
            if number is not None:
                tf = 1.0 + math.log(terms[term])
                dot += weight_idf[number] * (tf - 1.0)
                length_squared += idf_squared[number] * (tf * tf - 1.0)
        text = dot / math.sqrt(length_squared) if length_squared else 0.0
        weights = self.cue_weights
        rules = sum(weights.get(name, 0.0) * value for name, value in cue_values(cues).items())
        return self.bias + text + rules

    def probability(self, terms: Mapping[str, int], cues: tuple[str, ...]) -> float:
        return self.calibrate(self.score(terms, cues))

    def calibrate(self, score: float) -> float:
        z = self.platt_a * score + self.platt_b
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)


DEPLOYED = Path("model") / ARTIFACT  # under the data directory: `tiaojie model train`
PREVIOUS = Path("model") / "detector.previous.json"  # what `tiaojie model rollback` restores


def deployed_model(data_dir: Path) -> DetectorModel:
    """The model `tiaojie model train` wrote for this deployment, else the shipped one."""
    path = data_dir / DEPLOYED
    return load_model(path) if path.exists() else load_model()


def shipped_json() -> str:
    return resources.files("mediation.parsing.data").joinpath(ARTIFACT).read_text("utf-8")


def load_model(path: Path | None = None) -> DetectorModel:
    if path is not None:
        return DetectorModel.from_json(json.loads(path.read_text(encoding="utf-8")))
    return _shipped()


@cache
def _shipped() -> DetectorModel:
    return DetectorModel.from_json(json.loads(shipped_json()))
