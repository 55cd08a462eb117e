"""The `tiaojie` command line, run as the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args: str, stdin: str = "", data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIAOJIE_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_parse_reads_plain_and_json_lines_and_masks_phones(tmp_path: Path) -> None:
    lines = [
        "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678",
        json.dumps({"id": "m-2", "text": "收到"}, ensure_ascii=False),
    ]
    result = run_cli("parse", stdin="\n".join(lines) + "\n", data_dir=tmp_path)

    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["id"] == 1 and first["is_complaint"] is True
    assert "13812345678" not in first["masked_text"]
    assert first["contacts"] == ["138****5678"]
    assert second["id"] == "m-2" and second["is_complaint"] is False
    assert (tmp_path / "cache").is_dir()  # jieba's cache stays in the data directory


def test_db_upgrade_creates_the_sqlite_file_in_the_data_directory(tmp_path: Path) -> None:
    result = run_cli("db", "upgrade", data_dir=tmp_path)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "tiaojie.sqlite3").is_file()


def test_every_setting_is_documented_in_env_example() -> None:
    documented = (REPO / ".env.example").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        variable = field.alias or f"TIAOJIE_{name.upper()}"
        assert f"{variable}=" in documented, variable


@pytest.mark.parametrize("value", ["a, b ,c", "a,b,c"])
def test_admins_are_read_as_a_comma_separated_list(value: str, monkeypatch) -> None:
    monkeypatch.setenv("TIAOJIE_ADMINS", value)
    assert Settings(_env_file=None).admins == ["a", "b", "c"]


def test_parse_gives_registry_ids_when_the_database_knows_the_merchant(tmp_path: Path) -> None:
    import sqlite3

    assert run_cli("db", "upgrade", data_dir=tmp_path).returncode == 0
    database = sqlite3.connect(tmp_path / "tiaojie.sqlite3")
    with database:
        database.execute(
            "INSERT INTO merchants (name, aliases, created_at) VALUES (?, ?, ?)",
            ("张记饺子馆", '["张记"]', "2026-06-01 00:00:00"),
        )
    database.close()

    result = run_cli("parse", stdin="湖西路张记饺子馆多收消费者58元，要求退款\n", data_dir=tmp_path)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["merchant_id"] == 1
