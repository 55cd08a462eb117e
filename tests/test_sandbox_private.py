"""The sandbox for a newcomer (issue 19.9): the page's staff identity is an administrator
with the sandbox gateway, private replies can be read over the sandbox's HTTP interface,
and an export is a download served for an hour."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from bot.app import BotApp, admins_of
from bot.settings import Settings
from mediation import templates

from .conversation import STAFF, Group

STAFF_DM = f"dm:{STAFF.id}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """As a newcomer starts it: the sandbox gateway and nobody named in TIAOJIE_ADMINS."""
    return Settings(
        data_dir=tmp_path / "data", gateway="sandbox", sweep_minutes=0, _env_file=None
    )


def test_only_the_sandbox_gateway_makes_the_pages_staff_identity_an_admin(
    tmp_path: Path,
) -> None:
    sandbox = Settings(data_dir=tmp_path, gateway="sandbox", admins="boss", _env_file=None)
    wechat = Settings(data_dir=tmp_path, gateway="wechaty", admins="boss", _env_file=None)
    assert admins_of(sandbox) == {"boss", STAFF.id}
    assert admins_of(wechat) == {"boss"}


async def test_the_pages_staff_identity_may_run_staff_commands_out_of_the_box(
    group: Group, http: httpx.AsyncClient
) -> None:
    await group.say(STAFF, "/stats")
    (stats,) = await group.bot_replies()
    assert "消费投诉统计" in stats
    page = (await http.get("/sandbox")).text
    assert templates.SANDBOX_STAFF_IS_ADMIN in page
    assert templates.SANDBOX_PRIVATE_HINT in page and "{{" not in page


async def test_private_replies_are_read_and_the_export_downloaded_within_the_hour(
    bot: BotApp, group: Group, http: httpx.AsyncClient
) -> None:
    await group.say(STAFF, "/export")
    assert await group.bot_replies() == ["2026年6月案件统计表已私信发送。"]
    private = await Group(bot, http, STAFF_DM).transcript()
    (export,) = [line for line in private if line["sender_id"] == bot.settings.bot_id]
    url = str(export["image_url"])
    assert url.startswith("/sandbox/media/export-") and url.endswith(".xlsx")

    download = await http.get(url)
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.content[:2] == b"PK"  # a workbook (zip), not an image

    await Group(bot, http, STAFF_DM).say(STAFF, "/stats")
    replies = await Group(bot, http, STAFF_DM).bot_replies()
    assert "消费投诉统计" in replies[-1]  # /stats by private message, read over HTTP

    workbook = bot.settings.data_dir / "media" / url.rsplit("/", 1)[1]
    an_hour_ago = time.time() - 3601
    os.utime(workbook, (an_hour_ago, an_hour_ago))
    assert (await http.get(url)).status_code == 404
    assert not workbook.exists()
