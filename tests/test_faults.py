"""Damage done for real: a locked database, backups of a live database."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import BotApp
from bot.messages import IncomingMessage
from bot.settings import Settings
from mediation.clock import ManualClock
from storage.models import Case, InboxMessage

from .conversation import GRID_WORKER, Group

COMPLAINT = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        gateway="sandbox",
        sweep_minutes=0,
        sqlite_busy_timeout_ms=100,
        _env_file=None,
    )


async def test_locked_database_keeps_the_message_and_handles_it_afterwards(
    bot: BotApp, clock: ManualClock, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.dispatcher.stop()  # handle by hand, to hold the lock at the right moment
    await bot.dispatcher.accept(
        IncomingMessage(
            message_id="m-locked",
            room_id="room-1",
            sender_id=GRID_WORKER.id,
            sender_name=GRID_WORKER.name,
            text=COMPLAINT,
            sent_at=clock.now(),
        )
    )
    async with bot.sessions() as session:
        inbox_id = await session.scalar(select(InboxMessage.id))
    assert inbox_id is not None

    blocker = sqlite3.connect(settings.data_dir / "tiaojie.sqlite3", timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.WARNING, logger="bot.dispatcher"):
            await bot.dispatcher.process(inbox_id)
    finally:
        blocker.rollback()
        blocker.close()

    assert "database unavailable" in caplog.text
    async with bot.sessions() as session:
        message = await session.get(InboxMessage, inbox_id)
        assert message is not None and message.state == "received"
        assert await session.scalar(select(func.count()).select_from(Case)) == 0

    await bot.dispatcher.process(inbox_id)  # the retry, once the lock is gone
    async with bot.sessions() as session:
        message = await session.get(InboxMessage, inbox_id)
        assert message is not None and message.state == "handled"
        assert await session.scalar(select(func.count()).select_from(Case)) == 1


async def test_backup_of_a_running_bot_is_a_consistent_copy(
    group: Group, settings: Settings, tmp_path: Path
) -> None:
    await group.say(GRID_WORKER, COMPLAINT)
    target = tmp_path / "backups" / "tiaojie-backup.sqlite3"
    env = {**os.environ, "TIAOJIE_DATA_DIR": str(settings.data_dir)}

    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot.cli", "backup", str(target)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "已备份" in result.stdout
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT number FROM cases").fetchall() == [("CY-202606-0001",)]
    finally:
        copy.close()


def test_backup_refuses_a_database_that_is_not_a_sqlite_file(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TIAOJIE_DATA_DIR": str(tmp_path),
        "TIAOJIE_DATABASE_URL": "postgresql+asyncpg://u@127.0.0.1/db",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "backup", str(tmp_path / "x.sqlite3")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1 and "备份失败" in result.stderr
