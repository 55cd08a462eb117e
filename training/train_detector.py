"""Train the complaint detector and write mediation/parsing/data/detector.json.

Run with `make model` (it installs the `train` extra), or
`python training/train_detector.py [--corpus ../shared/corpus] [--out PATH] [--check]`.

Inputs, read in a fixed order so the same inputs give a byte-identical artifact:
- training/labels/<corpus-stem>[.<part>].tsv: ids and labels of texts in the corpus folder
  (rows after a `# complete` line are ignored; an unfinished file is used as far as it goes);
- training/chat/*.jsonl: group-chat messages written for the project (text and label);
  files named heldout_*.jsonl are never trained on: they are a check of a register the
  model has not seen (bench/eval_parser.py reports them);
- tests/data/group_messages_dev.jsonl (the held-out file stays out).

Two cross-validations are run and printed per source:
- grouped by source (leave one source out: each corpus is one group, each register of our
  own messages is one group), so a style is never on both sides of a split: how the model
  does on a kind of text it has never seen;
- stratified 5-fold over messages (fixed seed): the Platt scaling and both band thresholds
  are fitted on these out-of-fold scores, because the shipped model is trained on every
  source, and leave-one-source-out scores (each source unseen) would calibrate it for a
  situation it is not in.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mediation.parsing import ComplaintParser  # noqa: E402
from mediation.parsing.features import RULE  # noqa: E402
from mediation.parsing.fitting import (  # noqa: E402
    CHAT_WEIGHT,
    CHATTER_GROUPS,
    DECISIVE_PROBABILITY,
    MIN_DF,
    VECTORS,
    Vector,
    artifact,
    artifact_json,
    build_matrix,
    choose_thresholds,
    fit,
    fit_platt,
    idf_of,
    in_sure_band,
    is_group_chat,
    pooled_scores,
    sigmoid,
    weighted,
    write_vectors,
)
from mediation.parsing.model import DetectorModel  # noqa: E402

LABELS = REPO / "training" / "labels"
CHAT = REPO / "training" / "chat"
DEV = REPO / "tests" / "data" / "group_messages_dev.jsonl"
OUT = REPO / "mediation" / "parsing" / "data" / "detector.json"
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"


@dataclass(frozen=True)
class Example:
    group: str  # the cross-validation group: a corpus, or chat:<register>
    key: str  # corpus id or chat file:line, for error listings
    text: str
    label: int


TITLED = ("heimao_chitian_spider",)


def read_labels(corpus: Path) -> list[Example]:
    """Labelled corpus texts; a 黑猫 complaint's title (a short summary in the consumer's
    words) is one more complaint, so the model also sees complaints as short as a chat line.
    (泰迪杯 titles are not used: their label depends on the message behind them.)"""
    examples: list[Example] = []
    texts: dict[str, dict[str, str]] = {}
    titles: dict[str, dict[str, str]] = {}
    for path in sorted(LABELS.glob("*.tsv")):
        stem = path.name.split(".")[0]
        if stem not in texts:
            source = corpus / f"{stem}.jsonl"
            with source.open(encoding="utf-8") as lines:
                records = [json.loads(line) for line in lines if line.strip()]
            texts[stem] = {record["id"]: record["text"] for record in records}
            titles[stem] = {
                record["id"]: record["title"].strip()
                for record in records
                if isinstance(record.get("title"), str) and len(record["title"].strip()) >= 4
            }
        with path.open(encoding="utf-8") as handle:
            for row in csv.reader(handle, delimiter="\t"):
                if not row or not row[0].strip():
                    continue
                if row[0].startswith("#"):
                    if row[0].strip() == "# complete":
                        break
                    continue
                if row[0] == "id" or len(row) < 2 or row[1].strip() not in ("0", "1"):
                    continue
                text = texts[stem].get(row[0].strip())
                if text is None:
                    print(f"warning: {path.name}: unknown id {row[0]}", file=sys.stderr)
                    continue
                key, label = row[0].strip(), int(row[1])
                examples.append(Example(stem, key, text, label))
                title = titles[stem].get(key) if stem in TITLED else None
                if title:
                    examples.append(Example(stem, f"{key}:title", title, label))
    return examples


def read_chat() -> list[Example]:
    examples: list[Example] = []
    for path in sorted(CHAT.glob("*.jsonl")):
        if path.name.startswith("heldout_"):
            continue
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    row = json.loads(line)
                    group = f"chat:{row.get('register', path.stem)}"
                    examples.append(
                        Example(group, f"{path.name}:{number}", row["text"], int(row["label"]))
                    )
    with DEV.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                row = json.loads(line)
                examples.append(
                    Example("group_dev", f"dev:{number}", row["text"], int(row["is_complaint"]))
                )
    return examples


def featurise(parser: ComplaintParser, examples: list[Example]) -> list[dict[str, float] | None]:
    return [parser.detector_features(example.text) for example in examples]


def figures(name: str, y: np.ndarray, sure: np.ndarray, caught: np.ndarray) -> str:
    """One source's line: precision, recall, F1 of the sure band; how many were sure and
    unsure; recall of sure and unsure together (`caught`: at or above the unsure threshold)."""
    tp = int(np.sum(sure & (y == 1)))
    fp = int(np.sum(sure & (y == 0)))
    asked = caught & ~sure
    positives = int(np.sum(y))
    if not positives:
        return (
            f"{name:26} n={len(y):5} pos=    0  sure (all false) {fp:4} ({fp / len(y):.1%})  "
            f"unsure {int(np.sum(asked)):4} ({np.mean(asked):.1%})"
        )
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / positives
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return (
        f"{name:26} n={len(y):5} pos={positives:5}  P={precision:.3f} R={recall:.3f} "
        f"F1={f1:.3f}  unsure {int(np.sum(asked)):4} ({np.mean(asked):.1%})  "
        f"R(sure+unsure)={int(np.sum(caught & (y == 1))) / positives:.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    options.add_argument("--out", type=Path, default=OUT)
    options.add_argument("--errors", action="store_true", help="list out-of-fold mistakes")
    options.add_argument("--vectors", type=Path, default=VECTORS, help="training vectors out")
    options.add_argument(
        "--export-only", action="store_true", help="write the training vectors, fit nothing"
    )
    args = options.parse_args(argv)

    examples = read_labels(args.corpus) + read_chat()
    print(f"{len(examples)} labelled messages, {sum(e.label for e in examples)} complaints")
    for group, count in sorted(Counter(e.group for e in examples).items()):
        positives = sum(e.label for e in examples if e.group == group)
        print(f"  {group:26} {count:5} ({positives} complaints)")

    # A stub model: the features do not depend on the model, only on the rules and jieba.
    stub = DetectorModel({}, 0.0, 1.0, 0.0, 0.5, 0.5)
    parser = ComplaintParser(model=stub)
    parser.prepare()
    vectors = featurise(parser, examples)
    kept = [i for i, v in enumerate(vectors) if v is not None]
    decided = [i for i, v in enumerate(vectors) if v is None]
    print(
        f"{len(decided)} settled by the decisive rules "
        f"({sum(examples[i].label for i in decided)} of them labelled complaints)"
    )
    rows = [vectors[i] for i in kept]  # type: ignore[misc]
    y = np.array([examples[i].label for i in kept])
    groups = [examples[i].group for i in kept]
    weights = np.array([CHAT_WEIGHT if is_group_chat(g) else 1.0 for g in groups])

    idf = idf_of(rows)
    cues = {name for row in rows for name in row if name.startswith(RULE)}
    vocabulary_names = sorted(set(idf) | cues)
    vocabulary = {name: index for index, name in enumerate(vocabulary_names)}
    rows = [{name: v for name, v in row.items() if name in vocabulary} for row in rows]
    x = build_matrix([weighted(row, idf) for row in rows], vocabulary)
    print(f"{len(vocabulary)} features (terms in >= {MIN_DF} messages, all rule cues)")
    export_vectors(
        args.vectors, vocabulary_names, idf, examples, dict(zip(kept, rows, strict=True))
    )
    if args.export_only:
        return 0

    # Leave one source out: the honest figure for a style never seen.
    grouped = np.zeros(len(rows))
    for group in sorted(set(groups)):
        test = np.array([g == group for g in groups])
        if y[~test].min() == y[~test].max():
            continue
        model = fit(x[~test], y[~test], weights[~test])
        grouped[test] = model.decision_function(x[test])
    # Stratified folds over messages: calibration and thresholds for the shipped model.
    pooled = pooled_scores(x, y, weights)
    a, b = fit_platt(pooled, y)

    all_y = np.array([e.label for e in examples])
    all_groups = np.array([e.group for e in examples])

    def spread(scores: np.ndarray) -> np.ndarray:
        """Probabilities for every example; the decisive rules' ones count as "no"."""
        probabilities = np.full(len(examples), DECISIVE_PROBABILITY)
        probabilities[kept] = sigmoid(a * scores + b)
        return probabilities

    pooled_p, grouped_p = spread(pooled), spread(grouped)
    chat_mask = np.array([is_group_chat(g) for g in all_groups])
    lengths = np.array([len(e.text) for e in examples])
    thresholds = choose_thresholds(pooled_p, all_y, all_groups, lengths)
    chatter_mask = np.isin(all_groups, CHATTER_GROUPS) & (all_y == 0)
    print(f"\nPlatt a={a:.4f} b={b:.4f}; thresholds: {thresholds}")
    for title, probabilities in (
        ("Leave-one-source-out (each source unseen in training)", grouped_p),
        ("Stratified 5-fold (thresholds chosen here)", pooled_p),
    ):
        print(f"\n{title}; is_complaint = sure band:")
        sure = in_sure_band(probabilities, lengths, thresholds)
        caught = probabilities >= thresholds["unsure"]
        for group, mask in [(g, all_groups == g) for g in sorted(set(all_groups))] + [
            ("ALL", np.ones(len(all_y), dtype=bool)),
            ("ALL group chat", chat_mask),
        ]:
            print("  " + figures(group, all_y[mask], sure[mask], caught[mask]))
        share = np.mean(caught[chatter_mask])
        print(
            f"  ordinary chatter in the unsure band or above: {share:.1%} "
            f"of {int(np.sum(chatter_mask))}"
        )
    if args.errors:
        pooled_sure = in_sure_band(pooled_p, lengths, thresholds)
        for index in np.argsort(-pooled_p):
            e = examples[index]
            predicted = pooled_sure[index]
            if predicted != bool(e.label):
                print(
                    f"  {'FP' if predicted else 'FN'} {pooled_p[index]:.2f} "
                    f"(grouped {grouped_p[index]:.2f}) {e.group} {e.key} {e.text[:60]!r}"
                )

    final = fit(x, y, weights)
    digest = hashlib.sha256()
    for e in examples:
        digest.update(f"{e.group}\t{e.key}\t{e.label}\n".encode())
    out = artifact(
        final,
        vocabulary,
        idf,
        version=digest.hexdigest()[:12],
        trained_on=len(rows),
        platt=(a, b),
        thresholds=thresholds,
    )
    args.out.write_text(artifact_json(out), encoding="utf-8")
    print(
        f"\nwrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, "
        f"{len(out['term_weights'])} terms, version {out['version']})"
    )
    return 0


def export_vectors(
    path: Path,
    vocabulary: list[str],
    idf: dict[str, float],
    examples: list[Example],
    rows: dict[int, dict[str, float]],
) -> None:
    """The training set as feature vectors for `tiaojie model train` (no texts)."""
    vectors = [
        Vector(
            e.group,
            e.label,
            CHAT_WEIGHT if is_group_chat(e.group) else 1.0,
            rows.get(index),
            len(e.text),
        )
        for index, e in enumerate(examples)
    ]
    write_vectors(path, vocabulary, idf, vectors)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB, {len(vectors)} examples)")


if __name__ == "__main__":
    raise SystemExit(main())
