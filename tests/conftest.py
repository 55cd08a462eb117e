"""Shared fixtures: a real bot on a real SQLite file, driven over real HTTP (ASGI)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.app import BotApp
from bot.settings import Settings
from mediation.clock import ManualClock
from mediation.parsing import ComplaintParser

from .conversation import Group

pytest_plugins = ("tests.databases",)  # SQLite always; PostgreSQL too when configured

START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 2026-06-01 09:00 in Shanghai


@pytest.fixture(autouse=True)
def no_staff_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    """No daily staff digest in any bot a test starts (every `Settings()` reads this), so
    private chats hold only what the test caused; tests/test_staff_digest.py turns it on."""
    monkeypatch.setenv("TIAOJIE_DIGEST_TIME", "")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        admins=["staff-wang"],
        gateway="sandbox",
        sweep_minutes=0,  # tests run the sweep themselves, at the clock's time
        _env_file=None,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def parser() -> ComplaintParser | None:
    """The bot's parser; None: the real one. A test module overrides it to steer bands."""
    return None


@pytest.fixture
async def bot(
    settings: Settings, clock: ManualClock, parser: ComplaintParser | None
) -> AsyncIterator[BotApp]:
    app = BotApp(settings, clock=clock, parser=parser)
    web = app.web_app()
    async with web.router.lifespan_context(web):
        app.web = web  # type: ignore[attr-defined]
        yield app


@pytest.fixture
async def http(bot: BotApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=bot.web)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://tiaojie.test") as client:
        yield client


@pytest.fixture
def group(bot: BotApp, http: httpx.AsyncClient) -> Group:
    return Group(bot, http, room_id="room-huxi")
