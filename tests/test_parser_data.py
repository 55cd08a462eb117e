"""The labelled group-chat sets used by bench/eval_parser.py are well formed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mediation.parsing.categories import GOODS, SERVICES
from mediation.parsing.demands import DEMANDS
from mediation.parsing.problems import PROBLEMS

DATA = Path(__file__).parent / "data"
FIELDS = {
    "text", "is_complaint", "kind", "merchant", "amount", "demands", "category",
    "category_group", "problem", "contacts",
}  # fmt: skip


def _rows(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("name", ["group_messages_dev.jsonl", "group_messages_heldout.jsonl"])
def test_every_label_is_a_known_value(name: str) -> None:
    for row in _rows(name):
        assert set(row) == FIELDS, row["text"]
        assert set(row["demands"]) <= set(DEMANDS), row["text"]
        if row["is_complaint"]:
            assert row["category"] in (*GOODS, *SERVICES), row["text"]
            assert row["category_group"] == ("商品类" if row["category"] in GOODS else "服务类")
            assert row["problem"] in PROBLEMS, row["text"]
        else:
            assert row["category"] is None and row["problem"] is None, row["text"]


def test_the_sets_are_large_enough_and_cover_every_label() -> None:
    dev, heldout = _rows("group_messages_dev.jsonl"), _rows("group_messages_heldout.jsonl")
    rows = dev + heldout
    assert len(rows) >= 150
    assert sum(not r["is_complaint"] for r in rows) >= 60
    assert len(heldout) >= 80 and sum(not r["is_complaint"] for r in heldout) >= 30
    complaints = [r for r in rows if r["is_complaint"]]
    assert {r["category"] for r in complaints} == set(GOODS) | set(SERVICES)
    assert {r["problem"] for r in complaints} == set(PROBLEMS)
    assert {d for r in complaints for d in r["demands"]} == set(DEMANDS)
    kinds = {r["kind"] for r in rows if not r["is_complaint"]}
    assert {"ack", "notice", "meeting", "stats", "question", "refund_done"} <= kinds
    assert {"mediation_reply", "media", "nuisance", "command", "followup"} <= kinds
