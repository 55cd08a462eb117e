"""The learned complaint detector at run time: a logistic regression shipped as JSON.

`data/detector.json` holds the weights of the features that training kept (feature name ->
weight), the idf of each known term, the bias, the Platt scaling that turns a score into a
calibrated probability, and the band thresholds chosen on cross-validated probabilities (see
docs/MODEL.md). Scoring is tf-idf and a dot product in plain Python: no scikit-learn at run
time.
training/train_detector.py writes the file; `make model` rebuilds it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from itertools import compress
from pathlib import Path
from typing import Any

from .features import cue_values

ARTIFACT = "detector.json"


@dataclass(frozen=True)
class DetectorModel:
    weights: dict[str, float]
    bias: float
    platt_a: float
    platt_b: float
    sure: float  # probability from which a chat-length message opens a case
    unsure: float  # probability from which the bot asks the sender
    version: str = ""
    # A message of `long_from` characters or more (a pasted work order, a letter) opens a case
    # from `sure_long`: chosen for the hotline register's precision target, not the chat's.
    sure_long: float | None = None
    long_from: int = 80
    idf: dict[str, float] = field(default_factory=dict)  # the terms the model knows

    def thresholds(self, length: int) -> tuple[float, float]:
        """(sure, unsure) for a message of `length` characters."""
        sure = self.sure
        if length >= self.long_from and self.sure_long is not None:
            sure = self.sure_long
        return sure, min(self.unsure, sure)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DetectorModel:
        return cls(
            weights={name: float(weight) for name, weight in data["weights"].items()},
            bias=float(data["bias"]),
            platt_a=float(data["platt"]["a"]),
            platt_b=float(data["platt"]["b"]),
            sure=float(data["thresholds"]["sure"]),
            unsure=float(data["thresholds"]["unsure"]),
            version=str(data.get("version", "")),
            sure_long=data["thresholds"].get("sure_long"),
            long_from=int(data["thresholds"].get("long_from", 80)),
            idf={term: float(value) for term, value in data["idf"].items()},
        )

    @cached_property
    def _per_term(self) -> tuple[dict[str, float], dict[str, float]]:
        """weight x idf and idf squared of each known term: what score() sums."""
        idf, weights = self.idf, self.weights
        return {t: weights[t] * idf[t] for t in idf}, {t: idf[t] * idf[t] for t in idf}

    def score(self, terms: Mapping[str, int], cues: tuple[str, ...]) -> float:
        """The linear score of a message's term counts and rule cues: the weights times
        features.weigh(terms, idf) and features.cue_values(cues). Summed as products of
        weight and idf over the known terms, then corrected for the few seen more than once,
        so a long letter costs little."""
        weight_idf, idf_squared = self._per_term
        known = terms.keys() & weight_idf.keys()
        dot = sum(map(weight_idf.__getitem__, known))
        length_squared = sum(map(idf_squared.__getitem__, known))
        for term in compress(terms.keys(), map((1).__lt__, terms.values())):
            if term in weight_idf:
                tf = 1.0 + math.log(terms[term])
                dot += weight_idf[term] * (tf - 1.0)
                length_squared += idf_squared[term] * (tf * tf - 1.0)
        text = dot / math.sqrt(length_squared) if length_squared else 0.0
        weights = self.weights
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
