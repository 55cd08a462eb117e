"""What a newcomer meets first: the shipped .env, the API docs offline, quiet and local logs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import httpx

from bot.settings import Settings

from .server import running_server
from .test_cli import REPO, run_cli


def test_env_example_copied_unedited_is_a_valid_configuration(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    shutil.copyfile(REPO / ".env.example", env_file)

    settings = Settings(_env_file=env_file)

    assert settings.sandbox_enabled is None  # blank: on with the sandbox gateway
    assert settings.sandbox_api_enabled


def test_tiaojie_run_starts_with_env_example_copied_to_env(tmp_path: Path) -> None:
    shutil.copyfile(REPO / ".env.example", tmp_path / ".env")  # the server runs in tmp_path

    with running_server(tmp_path / "data") as server:
        health = httpx.get(f"{server.base_url}/healthz")

    assert health.status_code == 200
    assert "Traceback" not in server.log()


async def test_api_docs_load_their_scripts_from_the_bot_not_a_cdn(
    http: httpx.AsyncClient,
) -> None:
    page = await http.get("/docs")

    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    scripts = [asset for asset in assets if asset.endswith((".js", ".css"))]
    assert scripts, page.text
    for asset in scripts:
        assert asset.startswith("/"), asset  # served here, not from another host
        assert (await http.get(asset)).status_code == 200, asset


def test_db_upgrade_prints_no_alembic_chatter(tmp_path: Path) -> None:
    result = run_cli("db", "upgrade", data_dir=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "alembic" not in result.stderr.lower(), result.stderr
    assert "数据库已升级" in result.stdout


def test_log_lines_carry_the_configured_time_zone(tmp_path: Path) -> None:
    with running_server(tmp_path / "data", env={"TIAOJIE_TIMEZONE": "Asia/Shanghai"}) as server:
        pass

    stamped = [line for line in server.log().splitlines() if re.match(r"\d{4}-\d\d-\d\d ", line)]
    assert stamped, server.log()
    assert all("+08:00" in line.split(" INFO ")[0] for line in stamped if " INFO " in line)
