"""`tiaojie model train` and `tiaojie model rollback`, run as the command line (issue 16).

Trains on the shipped training vectors plus a few corrections written into a real SQLite
database, then rolls back; needs scikit-learn (the `train` extra), skipped without it.
"""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from pathlib import Path

import pytest

from mediation.parsing.model import DEPLOYED, PREVIOUS, deployed_model, load_model, shipped_json

from .test_cli import run_cli

CORRECTIONS = [
    ("美容院办的卡不给退，三千多呢", 1),
    ("有居民反映在一家超市买到过期牛奶", 1),
    ("小区门口那家店今天打折，大家去看看", 0),
]


@pytest.mark.skipif(
    importlib.util.find_spec("sklearn") is None, reason="scikit-learn (train extra) missing"
)
def test_train_writes_a_new_model_keeps_the_old_one_and_rollback_restores_it(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    assert run_cli("db", "upgrade", data_dir=data).returncode == 0
    with sqlite3.connect(data / "tiaojie.sqlite3") as db:
        db.executemany(
            "INSERT INTO detector_corrections (masked_text, label, source, actor_id, at)"
            " VALUES (?, ?, 'reply', 'grid-li', '2026-06-01 01:00:00.000000')",
            CORRECTIONS,
        )

    trained = run_cli("model", "train", data_dir=data)

    assert trained.returncode == 0, trained.stderr
    assert "group_messages_dev.jsonl" in trained.stdout
    assert "group_messages_heldout.jsonl" in trained.stdout
    assert trained.stdout.count("训练前：P=") == 2 and trained.stdout.count("训练后：P=") == 2
    assert "3 条纠正样本" in trained.stdout
    assert (data / PREVIOUS).read_text(encoding="utf-8") == shipped_json()
    assert deployed_model(data).version.endswith("+3c")  # the parser loads the new one

    rolled = run_cli("model", "rollback", data_dir=data)

    assert rolled.returncode == 0, rolled.stderr
    assert not (data / PREVIOUS).exists()
    assert deployed_model(data).version == load_model().version
    assert (data / DEPLOYED).read_text(encoding="utf-8") == shipped_json()


def test_rollback_without_a_trained_model_says_so(tmp_path: Path) -> None:
    rolled = run_cli("model", "rollback", data_dir=tmp_path / "data")
    assert rolled.returncode == 1 and "没有可恢复" in rolled.stderr


def test_train_without_scikit_learn_says_how_to_install_it(tmp_path: Path) -> None:
    import os
    import subprocess

    code = "import sys; sys.modules['sklearn'] = None; from bot.cli import main; sys.exit(main())"
    result = subprocess.run(
        [sys.executable, "-c", code, "model", "train"],
        capture_output=True,
        text=True,
        env={**os.environ, "TIAOJIE_DATA_DIR": str(tmp_path / "data")},
        cwd=Path(__file__).resolve().parents[1],
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "scikit-learn" in result.stderr and "pip install" in result.stderr
