"""Throughput of ComplaintParser.parse next to raw jieba.lcut on the same messages.

Run from the repository root: `.venv/bin/python bench/parse_speed.py [--rounds 5]`.

The messages are the labelled group-chat sets in tests/data (plus the external corpus texts
when ../shared/corpus is present). Both sides get the same messages in the same run; the
best of several rounds is reported for each, so a busy machine slows both alike. Start-up is
the time to import the parser and run `prepare()` in this fresh process; resident memory is
read after `prepare()`, before the raw jieba dictionary is loaded for the comparison.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DATA = REPO / "tests" / "data"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def resident_mb() -> float:
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_messages() -> list[str]:
    texts: list[str] = []
    paths = sorted(DATA.glob("group_messages_*.jsonl"))
    corpus = CORPUS / "heimao_chitian_spider.jsonl"
    if corpus.is_file():
        paths.append(corpus)
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            texts.extend(json.loads(line)["text"] for line in lines if line.strip())
    return texts


def best_rates(
    contenders: dict[str, Callable[[str], object]], texts: Sequence[str], rounds: int
) -> dict[str, float]:
    """Messages per second for each contender, best of `rounds`; rounds alternate between
    contenders so that a burst of load on a shared machine hits both alike."""
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(rounds):
        for name, work in contenders.items():
            started = time.perf_counter()
            for text in texts:
                work(text)
            best[name] = min(best[name], time.perf_counter() - started)
    return {name: len(texts) / seconds for name, seconds in best.items()}


def main(argv: list[str] | None = None) -> int:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--rounds", type=int, default=5)
    arguments.add_argument(
        "--repeat", type=int, default=3, help="copies of the message set per pass"
    )
    arguments.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="jieba cache directory (default: <TIAOJIE_DATA_DIR or ./data>/cache)",
    )
    options = arguments.parse_args(argv)
    cache_dir = options.cache_dir or _default_cache_dir()
    had_cache = (cache_dir / "jieba.cache").is_file()
    rss_before = resident_mb()

    started = time.perf_counter()
    from mediation.parsing import ComplaintParser

    imported = time.perf_counter()
    parser = ComplaintParser(cache_dir=cache_dir)
    parser.prepare()
    ready = time.perf_counter()
    rss_ready = resident_mb()

    import jieba

    jieba.setLogLevel(40)
    jieba.dt.tmp_dir = str(cache_dir)  # keep jieba's own cache out of the system temp dir
    jieba.initialize()

    texts = load_messages() * options.repeat
    chars = sum(len(text) for text in texts)
    for text in texts[:50]:  # warm both paths
        parser.parse(text)
        jieba.lcut(text)
    rates = best_rates({"raw": jieba.lcut, "parse": parser.parse}, texts, options.rounds)
    raw_rate, parse_rate = rates["raw"], rates["parse"]
    average = chars / len(texts)

    print(f"messages: {len(texts)} per pass ({chars} chars, {average:.0f} chars/message)")
    print(
        f"start-up: import {imported - started:.2f} s, prepare {ready - imported:.2f} s "
        f"(jieba cache {'reused' if had_cache else 'built'} in {cache_dir})"
    )
    print(f"resident memory: {rss_before:.0f} MB before, {rss_ready:.0f} MB after prepare()")
    print(f"raw jieba.lcut        {raw_rate:8.0f} messages/s  {raw_rate * average:10.0f} chars/s")
    print(
        f"ComplaintParser.parse {parse_rate:8.0f} messages/s  {parse_rate * average:10.0f} chars/s"
    )
    print(f"parse / raw jieba: {parse_rate / raw_rate:.2f} (target >= 0.50)")
    return 0


def _default_cache_dir() -> Path:
    from bot.settings import Settings

    return Settings().data_dir / "cache"


if __name__ == "__main__":
    raise SystemExit(main())
