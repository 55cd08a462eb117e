"""Accuracy of the complaint parser on the labelled group-chat sets and the external corpus.

Run from the repository root: `.venv/bin/python bench/eval_parser.py [--errors]`.

- tests/data/group_messages_dev.jsonl: the set the parser was tuned on.
- tests/data/group_messages_heldout.jsonl: written before the parser and not tuned on.
- ../shared/corpus/heimao_chitian_spider.jsonl (optional, never copied into the repo): real
  consumer complaints, all positive, labelled with the merchant and the demands.
- per source (`--only sources`): every labelled corpus file (training/labels, texts read from
  ../shared/corpus) and our own messages (training/chat): precision, recall and F1 of
  `is_complaint` (the "sure" band), the share in the "unsure" band, and merchant accuracy
  where a merchant is labelled. The detector was trained on these, so the figures are
  in-sample except for training/chat/heldout_*.jsonl; `make model` prints the
  cross-validated ones.

Field accuracies (merchant, amount, demands, category, problem) are over the messages labelled
as complaints; contacts are over all messages. The masking check scans every `masked_text`
and `tiaojie parse` line with its own pattern, independent of mediation.privacy.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mediation.parsing import ComplaintParser, ParsedMessage  # noqa: E402

DATA = REPO / "tests" / "data"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
LABELS = REPO / "training" / "labels"
CHAT = REPO / "training" / "chat"
SPLITS = {
    "dev": ("dev (tuned on)", DATA / "group_messages_dev.jsonl"),
    "heldout": ("held-out (not tuned on)", DATA / "group_messages_heldout.jsonl"),
}
OUR_DEMANDS = {"退款", "退货", "换货", "维修", "赔偿", "道歉", "履行合同", "查处", "解释"}
# How the corpus's free demand tags map onto the nine demands (unmapped tags are ignored).
CORPUS_DEMANDS = {
    "退款": {"退款"},
    "退费": {"退款"},
    "退货": {"退货"},
    "退货退款": {"退货", "退款"},
    "换货": {"换货"},
    "维修": {"维修"},
    "赔偿": {"赔偿"},
    "道歉": {"道歉"},
    "道歉赔偿": {"道歉", "赔偿"},
    "解释": {"解释"},
    "作出处罚": {"查处"},
    "处罚": {"查处"},
    "解除合约": {"履行合同"},
    "履行合同": {"履行合同"},
}
_PLATFORM_WORDS = re.compile(r"客户服务|客服中心|客服|官方|旗舰店|有限公司|公司|集团|中心")
# Unmasked personal numbers: 11-digit mobiles (separators allowed), 15/18-digit IDs, landlines.
_SEPARATORS = re.compile(r"(?<=\d)[ \-\u00a0\u3000.]{1,3}(?=\d)")
_LEAK = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|[1-8]\d{16}[\dXx]|[1-8]\d{14}|0\d{9,11})(?!\d)")


@dataclass
class Tally:
    total: int = 0
    right: int = 0

    def add(self, ok: bool) -> None:
        self.total += 1
        self.right += ok

    def __str__(self) -> str:
        if not self.total:
            return "n/a"
        return f"{self.right / self.total:.3f} ({self.right}/{self.total})"


@dataclass
class Report:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    fields: dict[str, Tally] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    leaks: int = 0

    def tally(self, name: str) -> Tally:
        return self.fields.setdefault(name, Tally())


def unmasked_numbers(text: str) -> list[str]:
    return _LEAK.findall(_SEPARATORS.sub("", text))


def _same_amount(parsed: Decimal | None, gold: float | int | None) -> bool:
    if parsed is None or gold is None:
        return parsed is None and gold is None
    return parsed == Decimal(str(gold))


def _clean_name(name: str | None) -> str | None:
    return re.sub(r"[“”\"「」『』《》\s]", "", name) if name else None


def _lenient_name(parsed: str | None, gold: str | None) -> bool:
    parsed, gold = _clean_name(parsed), _clean_name(gold)
    if not parsed or not gold:
        return parsed == gold
    return parsed in gold or gold in parsed


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def evaluate(parser: ComplaintParser, rows: Iterable[dict[str, Any]]) -> Report:
    report = Report()
    for number, row in enumerate(rows, start=1):
        result = parser.parse(row["text"])
        report.leaks += _count_leaks(result, number)
        gold = bool(row["is_complaint"])
        if result.is_complaint and gold:
            report.tp += 1
        elif result.is_complaint:
            report.fp += 1
            report.errors.append(f"FALSE COMPLAINT ({result.kind}): {row['text']}")
        elif gold:
            report.fn += 1
            report.errors.append(f"MISSED ({result.kind}): {row['text']}")
        else:
            report.tn += 1
        contacts_ok = list(result.contacts) == row["contacts"]
        report.tally("contacts (all messages)").add(contacts_ok)
        if row.get("kind") == "nuisance":
            report.tally("nuisance flagged").add(result.nuisance and not result.is_complaint)
        if gold:
            _compare_fields(report, result, row)
    return report


def _count_leaks(result: ParsedMessage, number: int) -> int:
    line = json.dumps(result.to_json(number), ensure_ascii=False)
    return len(unmasked_numbers(result.masked_text)) + len(unmasked_numbers(line))


def _compare_fields(report: Report, result: ParsedMessage, row: dict[str, Any]) -> None:
    checks = {
        "merchant": _clean_name(result.merchant) == _clean_name(row["merchant"]),
        "merchant (lenient)": _lenient_name(result.merchant, row["merchant"]),
        "amount": _same_amount(result.amount, row["amount"]),
        "demands": set(result.demands) == set(row["demands"]),
        "category": result.category == row["category"],
        "category_group": result.category_group == row["category_group"],
        "problem": result.problem == row["problem"],
    }
    for name, ok in checks.items():
        report.tally(name).add(ok)
    wrong = [
        f"{name}={got!r} want {want!r}"
        for name, got, want, ok in (
            ("merchant", result.merchant, row["merchant"], checks["merchant"]),
            ("amount", result.amount, row["amount"], checks["amount"]),
            ("demands", result.demands, row["demands"], checks["demands"]),
            ("category", result.category, row["category"], checks["category"]),
            ("problem", result.problem, row["problem"], checks["problem"]),
        )
        if not ok
    ]
    if wrong:
        report.errors.append(f"FIELDS {'; '.join(wrong)}: {row['text']}")


def print_report(title: str, rows: list[dict[str, Any]], report: Report, errors: bool) -> None:
    positives = sum(bool(r["is_complaint"]) for r in rows)
    precision = report.tp / (report.tp + report.fp) if report.tp + report.fp else 0.0
    recall = report.tp / (report.tp + report.fn) if report.tp + report.fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(
        f"\n== {title}: {len(rows)} messages, {positives} complaints, {len(rows) - positives} not"
    )
    print(
        f"is_complaint  precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}  "
        f"(tp {report.tp}, fp {report.fp}, fn {report.fn}, tn {report.tn})"
    )
    for name, tally in report.fields.items():
        print(f"{name:24} {tally}")
    print(f"unmasked numbers in masked_text / JSON: {report.leaks}")
    if errors:
        for line in report.errors:
            print("  -", line)


def corpus_report(parser: ComplaintParser, errors: bool) -> int:
    """Print the corpus figures; return the number of unmasked numbers found."""
    path = CORPUS / "heimao_chitian_spider.jsonl"
    if not path.is_file():
        print(f"\n== corpus: {path} not found, skipped")
        return 0
    rows = read_jsonl(path)
    found = Tally()
    found_with_title = Tally()
    demand_any = Tally()
    demand_exact = Tally()
    merchant_found = Tally()
    merchant_lenient = Tally()
    leaks = 0
    for row in rows:
        text = row["text"]
        result = parser.parse(text)
        with_title = parser.parse(f"{row.get('title', '')}，{text}")
        leaks += _count_leaks(result, 0)
        found.add(result.is_complaint)
        found_with_title.add(with_title.is_complaint)
        gold_demands: set[str] = set()
        for tag in row.get("demand", []):
            gold_demands |= CORPUS_DEMANDS.get(tag, set())
        if gold_demands:
            predicted = set(result.demands)
            demand_any.add(bool(predicted & gold_demands))
            demand_exact.add(predicted == gold_demands)
        merchant_found.add(result.merchant is not None)
        gold_core = _PLATFORM_WORDS.sub("", row.get("merchant", "")) or row.get("merchant", "")
        merchant_lenient.add(
            _lenient_name(_PLATFORM_WORDS.sub("", result.merchant or ""), gold_core)
        )
        if errors and not result.is_complaint:
            print(f"  - MISSED ({result.kind}): {row['id']}")
    print(
        f"\n== corpus heimao_chitian_spider.jsonl: {len(rows)} consumer complaints (all positive)"
    )
    print(f"detection recall, text only      {found}")
    print(f"detection recall, title + text   {found_with_title}")
    print(f"demands: shares one with labels  {demand_any}  (records whose tags map to our nine)")
    print(f"demands: exact set               {demand_exact}")
    print(f"merchant: any found              {merchant_found}")
    print(f"merchant: lenient match          {merchant_lenient}  (platform words removed)")
    print(f"unmasked numbers in masked_text / JSON: {leaks}")
    cars = CORPUS / "car_complain_12365auto.jsonl"
    if cars.is_file():
        headlines = read_jsonl(cars)
        trained = _labelled_ids("car_complain_12365auto")
        detected, unseen = Tally(), Tally()
        for row in headlines:
            found = parser.parse(row["text"]).is_complaint
            detected.add(found)
            if row["id"] not in trained:
                unseen.add(found)
        print(f"car headlines (13-24 chars, no demand or merchant words): recall {detected}")
        if unseen.total:
            print(f"  of which the detector was not trained on: recall {unseen}")
    return leaks


def _labelled_ids(stem: str) -> set[str]:
    ids: set[str] = set()
    for path in LABELS.glob(f"{stem}*.tsv"):
        ids.update(line.split("\t", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())
    return ids


def labelled_sources() -> dict[str, list[dict[str, Any]]]:
    """Source name -> rows of text, label and merchant, for every labelled file present."""
    sources: dict[str, list[dict[str, Any]]] = {}
    texts: dict[str, dict[str, str]] = {}
    for path in sorted(LABELS.glob("*.tsv")):
        stem = path.name.split(".")[0]
        corpus_file = CORPUS / f"{stem}.jsonl"
        if not corpus_file.is_file():
            continue
        if stem not in texts:
            texts[stem] = {row["id"]: row["text"] for row in read_jsonl(corpus_file)}
        rows = sources.setdefault(stem, [])
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            if line.strip() == "# complete":
                break
            fields = line.split("\t")
            if len(fields) < 2 or fields[1] not in ("0", "1") or fields[0] not in texts[stem]:
                continue
            merchant = fields[3] if len(fields) > 3 else ""
            rows.append(
                {"text": texts[stem][fields[0]], "label": int(fields[1]), "merchant": merchant}
            )
    for path in sorted(CHAT.glob("*.jsonl")):
        for row in read_jsonl(path):
            name = ("held out: " if path.name.startswith("heldout_") else "chat: ") + row.get(
                "register", path.stem
            )
            sources.setdefault(name, []).append(
                {"text": row["text"], "label": int(row["label"]), "merchant": row.get("merchant")}
            )
    return sources


def sources_report(parser: ComplaintParser) -> None:
    print("\n== per source (is_complaint = sure band; in-sample unless held out)")
    print(
        f"{'source':32} {'n':>5} {'pos':>5} {'P':>6} {'R':>6} {'F1':>6} {'unsure':>7} "
        f"{'merchant':>16}"
    )
    for name, rows in labelled_sources().items():
        tp = fp = fn = unsure = 0
        merchant = Tally()
        for row in rows:
            result = parser.parse(row["text"])
            gold = bool(row["label"])
            tp += result.is_complaint and gold
            fp += result.is_complaint and not gold
            fn += gold and not result.is_complaint
            unsure += result.band == "unsure"
            if gold and row.get("merchant"):
                merchant.add(_clean_name(result.merchant) == _clean_name(row["merchant"]))
        precision = tp / (tp + fp) if tp + fp else float("nan")
        recall = tp / (tp + fn) if tp + fn else float("nan")
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        print(
            f"{name:32} {len(rows):5} {tp + fn:5} {precision:6.3f} {recall:6.3f} {f1:6.3f} "
            f"{unsure / len(rows):7.1%} {merchant!s:>16}"
        )


# Corpora of text that is never a new complaint: their unlabelled rows are unseen chatter.
NEGATIVE_CORPORA = ("lccc_weibo_chat", "thucnews_headlines", "taidi2020_replies")


def unseen_chatter_report(parser: ComplaintParser) -> None:
    """Rows of the all-negative corpora that nobody labelled (the detector never saw them):
    how many would open a case, and how many would make the bot ask."""
    print("\n== unseen chatter (unlabelled rows of all-negative corpora)")
    for stem in NEGATIVE_CORPORA:
        path = CORPUS / f"{stem}.jsonl"
        if not path.is_file():
            continue
        trained = _labelled_ids(stem)
        sure = unsure = total = 0
        for row in read_jsonl(path):
            if row["id"] in trained:
                continue
            band = parser.parse(row["text"]).band
            total += 1
            sure += band == "sure"
            unsure += band == "unsure"
        print(
            f"{stem:24} {total:5} messages: sure {sure / total:.2%} ({sure}), "
            f"unsure {unsure / total:.2%} ({unsure})"
        )


def main(argv: list[str] | None = None) -> int:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--errors", action="store_true", help="list every miss")
    arguments.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="jieba cache directory (default: <TIAOJIE_DATA_DIR or ./data>/cache)",
    )
    arguments.add_argument(
        "--only",
        choices=[*SPLITS, "corpus", "sources"],
        action="append",
        help="evaluate only these sets",
    )
    options = arguments.parse_args(argv)
    chosen = options.only or [*SPLITS, "corpus", "sources"]
    cache_dir = options.cache_dir or _default_cache_dir()
    parser = ComplaintParser(cache_dir=cache_dir)
    started = time.perf_counter()
    parser.prepare()
    print(f"parser ready in {time.perf_counter() - started:.2f} s (jieba cache in {cache_dir})")
    total_leaks = 0
    for key, (title, path) in SPLITS.items():
        if key not in chosen:
            continue
        rows = read_jsonl(path)
        report = evaluate(parser, rows)
        total_leaks += report.leaks
        print_report(title, rows, report, options.errors)
    if "corpus" in chosen:
        total_leaks += corpus_report(parser, options.errors)
    if "sources" in chosen:
        sources_report(parser)
        unseen_chatter_report(parser)
    return 1 if total_leaks else 0


def _default_cache_dir() -> Path:
    from bot.settings import Settings

    return Settings().data_dir / "cache"


if __name__ == "__main__":
    raise SystemExit(main())
