"""`tiaojie model train` and `tiaojie model rollback` (issue 16): retrain the complaint
detector from the shipped training vectors plus this deployment's corrections.

Only an operator runs this; nothing retrains by itself. The corrections
(`detector_corrections`, masked texts) are featurised with the bot's own featuriser and kept
to the shipped vocabulary, so a correction can only re-weigh features the model knows. The
calibration and both band thresholds are chosen again on out-of-fold scores, as `make model`
does. The new model goes to <data_dir>/model/detector.json; the one it replaces (the shipped
model the first time) to detector.previous.json, which `rollback` puts back. Needs the
`train` extra (scikit-learn); the bot itself never imports this module.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bot.settings import Settings
from mediation import templates
from mediation.parsing import ComplaintParser
from mediation.parsing.model import DEPLOYED, PREVIOUS, DetectorModel, deployed_model, shipped_json

REPO = Path(__file__).resolve().parents[1]
EVALUATION_FILES = (
    REPO / "tests" / "data" / "group_messages_dev.jsonl",
    REPO / "tests" / "data" / "group_messages_heldout.jsonl",
)
CORRECTION_GROUP = "corrections"
CORRECTION_WEIGHT = 2.0  # a correction is the bot's own register, like the group chat


def model_command(settings: Settings, command: str) -> int:
    if command == "rollback":
        return rollback(settings.data_dir)
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print(templates.model_train_needs_sklearn(), file=sys.stderr)
        return 2
    corrections = asyncio.run(load_corrections(settings))
    return train(settings.data_dir, corrections)


async def load_corrections(settings: Settings) -> list[tuple[str, int]]:
    """(masked text, label) of every correction, oldest first."""
    from sqlalchemy import select

    from storage.db import create_engine
    from storage.models import DetectorCorrection

    engine = create_engine(settings.resolved_database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(DetectorCorrection.masked_text, DetectorCorrection.label).order_by(
                    DetectorCorrection.id
                )
            )
            return [(text, int(label)) for text, label in rows.all()]
    finally:
        await engine.dispose()


def train(data_dir: Path, corrections: list[tuple[str, int]]) -> int:
    import numpy as np

    from mediation.parsing import fitting

    vocabulary_names, idf, vectors = fitting.read_vectors()
    vocabulary = {name: index for index, name in enumerate(vocabulary_names)}
    featuriser = ComplaintParser(model=DetectorModel({}, 0.0, 1.0, 0.0, 0.5, 0.5))
    featuriser.prepare()
    skipped = 0
    for text, label in corrections:
        features = featuriser.detector_features(text)
        if features is None:
            skipped += 1  # a decisive rule settles it: the model never sees it
            continue
        row = {name: value for name, value in features.items() if name in vocabulary}
        vectors.append(fitting.Vector(CORRECTION_GROUP, label, CORRECTION_WEIGHT, row, len(text)))

    kept = [i for i, v in enumerate(vectors) if v.features is not None]
    x = fitting.build_matrix(
        [fitting.weighted(vectors[i].features or {}, idf) for i in kept], vocabulary
    )
    y = np.array([vectors[i].label for i in kept])
    weights = np.array([vectors[i].weight for i in kept])
    pooled = fitting.pooled_scores(x, y, weights)  # out of fold: calibration, thresholds
    a, b = fitting.fit_platt(pooled, y)
    probabilities = np.full(len(vectors), fitting.DECISIVE_PROBABILITY)
    probabilities[kept] = fitting.sigmoid(a * pooled + b)
    thresholds = fitting.choose_thresholds(
        probabilities,
        np.array([v.label for v in vectors]),
        np.array([v.group for v in vectors]),
        np.array([v.length for v in vectors]),
    )
    before = deployed_model(data_dir)
    artifact = fitting.artifact(
        fitting.fit(x, y, weights),
        vocabulary,
        idf,
        version=f"{before.version.split('+')[0]}+{len(corrections)}c",
        trained_on=len(kept),
        platt=(a, b),
        thresholds=thresholds,
    )
    after = DetectorModel.from_json(artifact)
    for path in EVALUATION_FILES:
        if path.exists():
            print(templates.model_figures(path.name, score(before, path), score(after, path)))

    current, previous = data_dir / DEPLOYED, data_dir / PREVIOUS
    current.parent.mkdir(parents=True, exist_ok=True)
    if current.exists():
        current.replace(previous)
    else:
        previous.write_text(shipped_json(), encoding="utf-8")
    current.write_text(fitting.artifact_json(artifact), encoding="utf-8")
    print(templates.model_trained(len(corrections) - skipped, skipped, str(current), str(previous)))
    return 0


def score(model: DetectorModel, path: Path) -> str:
    """Precision, recall and F1 of `is_complaint` (the sure band) on a labelled file."""
    parser = ComplaintParser(model=model)
    tp = fp = fn = 0
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            predicted = parser.parse(row["text"]).is_complaint
            actual = bool(row["is_complaint"])
            tp += predicted and actual
            fp += predicted and not actual
            fn += actual and not predicted
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f"P={precision:.3f} R={recall:.3f} F1={f1:.3f}"


def rollback(data_dir: Path) -> int:
    current, previous = data_dir / DEPLOYED, data_dir / PREVIOUS
    if not previous.exists():
        print(templates.model_nothing_to_roll_back(), file=sys.stderr)
        return 1
    previous.replace(current)
    print(templates.model_rolled_back(str(current)))
    return 0
