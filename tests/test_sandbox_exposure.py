"""The sandbox is an unauthenticated console (anyone who reaches it posts as staff), so it
stays on loopback unless the operator says otherwise, takes only JSON of bounded size, and
does not keep the unmasked exports it serves (issue 17.8)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.app import BotApp
from bot.cli import sandbox_exposure
from bot.settings import Settings

from .conversation import STAFF, Group

REPO = Path(__file__).resolve().parents[1]
MESSAGES = "/sandbox/rooms/room-huxi/messages"
BODY = {"sender_id": "grid-li", "sender_name": "网格员小李", "text": "收到"}


def test_every_line_of_env_example_is_valid_as_shipped() -> None:
    settings = Settings(_env_file=REPO / ".env.example")
    assert settings.sandbox_enabled is None
    assert settings.sandbox_public is False


@pytest.mark.parametrize(
    ("host", "public", "verdict"),
    [
        ("127.0.0.1", False, "ok"),
        ("::1", False, "ok"),
        ("localhost", False, "ok"),
        ("127.0.0.2", False, "ok"),
        ("0.0.0.0", False, "refuse"),
        ("::", False, "refuse"),
        ("192.168.1.10", False, "refuse"),
        ("bot.example", False, "refuse"),
        ("0.0.0.0", True, "warn"),
    ],
)
def test_sandbox_on_a_non_loopback_address_needs_the_public_setting(
    host: str, public: bool, verdict: str
) -> None:
    settings = Settings(gateway="sandbox", sandbox_public=public, _env_file=None)
    assert sandbox_exposure(settings, host) == verdict


def test_wechaty_without_the_sandbox_may_listen_anywhere() -> None:
    settings = Settings(gateway="wechaty", _env_file=None)
    assert sandbox_exposure(settings, "0.0.0.0") == "ok"


def test_run_refuses_to_serve_the_sandbox_on_all_interfaces(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TIAOJIE_DATA_DIR": str(tmp_path),
        "TIAOJIE_GATEWAY": "sandbox",
        "TIAOJIE_HOST": "0.0.0.0",
        "TIAOJIE_PORT": "0",
    }
    env.pop("TIAOJIE_SANDBOX_PUBLIC", None)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli", "run"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("tiaojie run served the sandbox on 0.0.0.0")
    assert result.returncode != 0
    assert "TIAOJIE_SANDBOX_PUBLIC" in result.stderr


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
async def test_a_post_that_is_not_json_is_refused(
    bot: BotApp, http: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await http.post(MESSAGES, content=json.dumps(BODY).encode(), headers=headers)
    assert response.status_code == 415
    assert await _stored_messages(bot) == 0


async def test_json_with_a_charset_is_accepted(bot: BotApp, http: httpx.AsyncClient) -> None:
    response = await http.post(
        MESSAGES,
        content=json.dumps(BODY).encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 202


async def test_an_oversized_body_is_refused_before_it_is_read_whole(
    bot: BotApp, http: httpx.AsyncClient
) -> None:
    body = {**BODY, "mention_ids": ["x" * 1_000_000] * 5}
    response = await http.post(MESSAGES, json=body)
    assert response.status_code == 413

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):  # no Content-Length: counted while read
            yield b" " * 500_000

    response = await http.post(
        MESSAGES, content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert await _stored_messages(bot) == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"mention_ids": ["x" * 129]},
        {"mention_ids": [f"m{n}" for n in range(51)]},
        {"mention_ids": [""]},
        {"sender_id": "x" * 129},
        {"sender_name": "x" * 201},
        {"message_id": "x" * 201},
    ],
)
async def test_every_field_is_bounded(
    bot: BotApp, http: httpx.AsyncClient, fields: dict[str, object]
) -> None:
    response = await http.post(MESSAGES, json={**BODY, **fields})
    assert response.status_code == 422


async def test_sandbox_exports_expire_after_an_hour_and_are_deleted(
    bot: BotApp, group: Group, http: httpx.AsyncClient
) -> None:
    private = Group(bot, http, room_id=f"dm:{STAFF.id}")
    await private.say(STAFF, "/export 本月")
    (line,) = [m for m in await private.transcript() if m["image_url"]]
    url = str(line["image_url"])
    path = bot.settings.data_dir / "media" / Path(url).name
    assert (await http.get(url)).status_code == 200

    an_hour_ago = time.time() - 3601
    os.utime(path, (an_hour_ago, an_hour_ago))
    assert (await http.get(url)).status_code == 404
    assert not path.exists()

    media = bot.settings.data_dir / "media"
    old = media / "export-2026-05-0000000000000000.xlsx"  # nobody asks for this one again
    old.write_bytes(b"PK")
    os.utime(old, (an_hour_ago, an_hour_ago))
    await private.say(STAFF, "/export 本月")  # the next export clears expired ones
    assert not old.exists()
    assert len(list(media.glob("export-*.xlsx"))) == 1


async def _stored_messages(bot: BotApp) -> int:
    from sqlalchemy import func, select

    from storage.models import InboxMessage

    async with bot.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(InboxMessage)) or 0)


def test_the_sandbox_on_loopback_answers_only_requests_naming_a_loopback_host(
    tmp_path: Path,
) -> None:
    from .server import running_server

    with (
        running_server(tmp_path / "data", env={"TIAOJIE_GATEWAY": "sandbox"}) as server,
        httpx.Client(base_url=server.base_url, timeout=5) as client,
    ):
        assert client.get("/sandbox/rooms/room-a/messages").status_code == 200
        rebound = client.get(
            "/sandbox/rooms/room-a/messages", headers={"host": "evil.example:8000"}
        )
        assert rebound.status_code == 400
        local = client.get("/healthz", headers={"host": f"localhost:{server.port}"})
        assert local.status_code == 200
