"""The joint-meeting pack (联席会议): `/meeting/YYYY-MM` behind a staff token, printable on
A4 in headless Chromium with Chinese text, and `/export 联席会议 [月]` sent privately."""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import zlib
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.app import BotApp
from mediation.clock import ManualClock
from storage.models import OutboxMessage
from storage.tokens import create_token

from .conversation import STAFF, Group
from .report_seed import RAW_PHONE, seed_month, sh

CHROMIUM = Path("/usr/bin/chromium")
A4_WIDTH_POINTS = 595.0  # 210 mm; Chromium writes 595.92 or so


def pdf_objects(data: bytes) -> bytes:
    """The PDF with its compressed streams (object streams too) inflated."""
    parts = [data]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.DOTALL):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompress(stream))
    return b"\n".join(parts)


async def staff_token(bot: BotApp) -> str:
    async with bot.sessions.begin() as session:
        issued = await create_token(session, "meeting", bot.clock.now())
    return issued.token


@pytest.fixture
async def june(bot: BotApp, clock: ManualClock) -> BotApp:
    await seed_month(bot.sessions)
    clock.set(sh(2026, 7, 2, 9))
    return bot


async def test_the_pack_needs_a_staff_token(june: BotApp, http: httpx.AsyncClient) -> None:
    assert (await http.get("/meeting/2026-06")).status_code == 401
    assert (await http.get("/meeting/2026-06", params={"token": "nope"})).status_code == 401
    token = await staff_token(june)
    by_header = await http.get("/meeting/2026-06", headers={"Authorization": f"Bearer {token}"})
    assert by_header.status_code == 200
    assert (await http.get("/meeting/2099-01", params={"token": token})).status_code == 404


async def test_the_pack_has_every_section_and_no_consumer_data(
    june: BotApp, http: httpx.AsyncClient
) -> None:
    page = await http.get("/meeting/2026-06", params={"token": await staff_token(june)})
    assert page.status_code == 200
    html = page.text
    for heading in (
        "2026年6月消费投诉信息共享联席工作会议材料",
        "分街道、社区、网格情况",
        "热点问题",
        "超期和停滞案件",
        "被重复投诉的商家",
        "商家档案问题",
        "本月典型案例",
    ):
        assert heading in html, heading
    assert "张记饺子馆" in html  # staff see merchants
    assert html.count("data:image/png;base64,") == 2
    assert RAW_PHONE not in html


async def test_the_pack_prints_on_a4_width_with_chinese_text(
    june: BotApp, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    if not await asyncio.to_thread(CHROMIUM.is_file):
        pytest.skip("Chromium not installed at /usr/bin/chromium")
    page = await http.get("/meeting/2026-06", params={"token": await staff_token(june)})
    source = tmp_path / "meeting.html"
    source.write_text(page.text, encoding="utf-8")
    pdf = tmp_path / "meeting.pdf"
    await asyncio.to_thread(
        subprocess.run,
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--no-pdf-header-footer",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--print-to-pdf={pdf}",
            source.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert boxes, "no page size in the PDF"
    for width, height in boxes:  # every page is A4 portrait: 210 × 297 mm
        assert abs(float(width) - A4_WIDTH_POINTS) < 2, width
        assert abs(float(height) - 842.0) < 2, height
    fonts = re.findall(rb"/(?:BaseFont|FontName)\s*/([A-Za-z0-9+\-_]+)", pdf_objects(data))
    assert any(re.search(rb"CJK|Han|WenQuanYi|wqy|Hei", font) for font in fonts), fonts


async def test_export_sends_the_pack_privately_and_tells_the_group(
    june: BotApp, http: httpx.AsyncClient
) -> None:
    group = Group(june, http, "room-huxi")
    await group.say(STAFF, "/export 联席会议 2026-06")
    (told,) = await group.bot_replies()
    assert "私信" in told
    async with june.sessions() as session:
        rows = (
            await session.execute(
                select(OutboxMessage.text, OutboxMessage.image_path).where(
                    OutboxMessage.room_id == f"dm:{STAFF.id}"
                )
            )
        ).all()
    ((caption, path),) = rows
    assert "联席会议材料" in caption and path.endswith("meeting-2026-06.html")
    html = await asyncio.to_thread(Path(path).read_text, encoding="utf-8")
    assert "2026年6月消费投诉信息共享联席工作会议材料" in html
