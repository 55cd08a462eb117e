"""Fitting the complaint detector: the steps `make model` (training/train_detector.py) and
`tiaojie model train` (handlers/model_training.py) share, and the shipped training vectors.

Needs the `train` extra (scikit-learn, numpy, scipy); the bot never imports this module.

`data/training_vectors.json.gz` holds the shipped training set as derived feature vectors,
never texts: the vocabulary (feature names, sorted), then per example its group (source),
label, weight, length in characters and the [index, value] pairs of its features (None:
settled by a decisive rule, scored as DECISIVE_PROBABILITY). Written with a fixed gzip
header, so the same inputs give the same bytes.
"""

from __future__ import annotations

import gzip
import io
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from .features import RULE, weigh

C = 10.0  # inverse regularisation strength
MIN_DF = 3  # a term must occur in at least this many training messages
CHAT_WEIGHT = 2.0  # group-chat messages (the bot's own register) count double
# The "sure" band: the precision each register's target asks for, cross-validated. Chat-length
# messages meet the group chat's; long ones (pasted work orders, letters: LONG_FROM characters
# or more) the hotline's.
SURE_PRECISION = {"group chat": 0.97, "hotline": 0.90}
HOTLINE_GROUPS = ("taidi2020_messages",)
LONG_FROM = 80
MIN_SUPPORT = 100
UNSURE_CHATTER_SHARE = 0.03
# Ordinary chatter for the "unsure" budget: Weibo chit-chat, news headlines, our chit-chat.
CHATTER_GROUPS = ("lccc_weibo_chat", "thucnews_headlines", "chat:chitchat")
WEIGHT_FLOOR = 1e-4
DECISIVE_PROBABILITY = 0.02
VECTORS = Path(__file__).parent / "data" / "training_vectors.json.gz"


def idf_of(rows: list[dict[str, float]]) -> dict[str, float]:
    """Smoothed idf of every term in at least MIN_DF of `rows` (rule cues are not terms)."""
    df = Counter(name for row in rows for name in row if not name.startswith(RULE))
    n = len(rows)
    return {
        term: round(math.log((1 + n) / (1 + count)) + 1.0, 4)
        for term, count in sorted(df.items())
        if count >= MIN_DF
    }


def weighted(row: dict[str, float], idf: dict[str, float]) -> dict[str, float]:
    """A message's features as the model sees them: tf-idf terms and its cue values."""
    values = weigh({name: v for name, v in row.items() if not name.startswith(RULE)}, idf)
    values.update((name, v) for name, v in row.items() if name.startswith(RULE))
    return values


def build_matrix(rows: list[dict[str, float]], vocabulary: dict[str, int]) -> csr_matrix:
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    for row in rows:
        for name in sorted(row):
            column = vocabulary.get(name)
            if column is not None:
                indices.append(column)
                data.append(row[name])
        indptr.append(len(indices))
    return csr_matrix(
        (np.array(data), np.array(indices), np.array(indptr)), shape=(len(rows), len(vocabulary))
    )


def fit(x: csr_matrix, y: np.ndarray, weights: np.ndarray) -> LogisticRegression:
    model = LogisticRegression(C=C, solver="liblinear", max_iter=1000, random_state=0)
    model.fit(x, y, sample_weight=weights)
    return model


def fit_platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    platt = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000)
    platt.fit(scores.reshape(-1, 1), y)
    return float(platt.coef_[0, 0]), float(platt.intercept_[0])


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def pooled_scores(x: csr_matrix, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Out-of-fold scores of a stratified 5-fold split (fixed seed)."""
    pooled = np.zeros(len(y))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for train, test in folds.split(np.zeros(len(y)), y):
        pooled[test] = fit(x[train], y[train], weights[train]).decision_function(x[test])
    return pooled


def is_group_chat(group: str) -> bool:
    """Our own group-chat messages and a deployment's corrections: the bot's register."""
    return group.startswith("chat:") or group in ("group_dev", "corrections")


def choose_thresholds(
    probabilities: np.ndarray, labels: np.ndarray, groups: np.ndarray, lengths: np.ndarray
) -> dict[str, float]:
    """The band thresholds (artifact "thresholds") from out-of-fold probabilities."""
    long = lengths >= LONG_FROM
    chat = np.array([is_group_chat(group) for group in groups])
    hotline = np.isin(groups, HOTLINE_GROUPS)
    sure = choose_sure(probabilities, labels, [(chat & ~long, SURE_PRECISION["group chat"])])
    sure_long = choose_sure(probabilities, labels, [(hotline & long, SURE_PRECISION["hotline"])])
    chatter = np.isin(groups, CHATTER_GROUPS) & (labels == 0)
    return {
        "sure": sure,
        "sure_long": sure_long,
        "long_from": LONG_FROM,
        "unsure": choose_unsure(probabilities[chatter], min(sure, sure_long)),
    }


def in_sure_band(probabilities: np.ndarray, lengths: np.ndarray, thresholds: dict) -> np.ndarray:
    long = lengths >= thresholds["long_from"]
    return probabilities >= np.where(long, thresholds["sure_long"], thresholds["sure"])


def choose_sure(
    probabilities: np.ndarray, y: np.ndarray, constraints: list[tuple[np.ndarray, float]]
) -> float:
    """The lowest threshold at which each (mask, precision) holds: the messages of that mask
    at or above the threshold are complaints at least that often (over at least MIN_SUPPORT
    messages, so a handful at the very top cannot decide it)."""
    best = 1.0
    for threshold in np.unique(probabilities)[::-1]:
        predicted = probabilities >= threshold
        held = True
        for mask, precision in constraints:
            chosen = predicted & mask
            if chosen.sum() < MIN_SUPPORT or y[chosen].mean() < precision:
                held = False
        if held:
            best = float(threshold)
    return round(best, 4)


def choose_unsure(chatter: np.ndarray, sure: float) -> float:
    """The lowest threshold that asks about at most UNSURE_CHATTER_SHARE of ordinary chatter."""
    allowed = int(UNSURE_CHATTER_SHARE * len(chatter))
    ranked = np.sort(chatter)[::-1]
    threshold = float(ranked[allowed]) + 1e-4 if allowed < len(ranked) else 0.0
    return round(min(max(threshold, 0.05), sure), 4)


def artifact(
    final: LogisticRegression,
    vocabulary: dict[str, int],
    idf: dict[str, float],
    *,
    version: str,
    trained_on: int,
    platt: tuple[float, float],
    thresholds: dict[str, float],
) -> dict[str, Any]:
    """The detector.json content of a fitted model."""
    coefficients = final.coef_[0]
    terms = sorted(idf)
    cues = {
        name: float(f"{coefficients[index]:.6g}")
        for name, index in vocabulary.items()
        if name.startswith(RULE) and abs(coefficients[index]) >= WEIGHT_FLOOR
    }
    return {
        "version": version,
        "trained_on": trained_on,
        "bias": float(f"{final.intercept_[0]:.6g}"),
        "platt": {"a": float(f"{platt[0]:.6g}"), "b": float(f"{platt[1]:.6g}")},
        "thresholds": thresholds,
        "cue_weights": dict(sorted(cues.items())),
        "terms": "\n".join(terms),
        "term_weights": [float(f"{coefficients[vocabulary[term]]:.6g}") for term in terms],
        "idf": [idf[term] for term in terms],
    }


def artifact_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


@dataclass(frozen=True)
class Vector:
    group: str
    label: int
    weight: float
    features: dict[str, float] | None  # raw term counts and cue values; None: decisive rule
    length: int  # characters of the message (which "sure" threshold applies)


def write_vectors(
    path: Path, vocabulary: list[str], idf: dict[str, float], vectors: list[Vector]
) -> None:
    index = {name: number for number, name in enumerate(vocabulary)}

    def pairs(features: dict[str, float]) -> list[list[float]]:
        return [[index[name], float(f"{value:.6g}")] for name, value in sorted(features.items())]

    examples = [
        {
            "group": v.group,
            "label": v.label,
            "weight": v.weight,
            "length": v.length,
            "x": None if v.features is None else pairs(v.features),
        }
        for v in vectors
    ]
    text = json.dumps(
        {
            "vocabulary": vocabulary,
            "idf": [idf.get(name) for name in vocabulary],
            "examples": examples,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as out:
        out.write(text.encode("utf-8"))
    path.write_bytes(buffer.getvalue())


def read_vectors(path: Path = VECTORS) -> tuple[list[str], dict[str, float], list[Vector]]:
    """The vocabulary, the idf of its terms and the examples (features as raw counts)."""
    data = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
    vocabulary: list[str] = data["vocabulary"]
    idf = {name: value for name, value in zip(vocabulary, data["idf"], strict=True) if value}
    vectors = [
        Vector(
            row["group"],
            int(row["label"]),
            float(row["weight"]),
            None if row["x"] is None else {vocabulary[i]: float(v) for i, v in row["x"]},
            int(row["length"]),
        )
        for row in data["examples"]
    ]
    return vocabulary, idf, vectors
