"""SQLite statements on the event loop: a lock held by another process is waited out with
asyncio sleeps, so the bot keeps serving while it waits, and gives up after the busy timeout."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine

INSERT = text("INSERT INTO notes (body) VALUES (:body)")


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'inline.sqlite3'}", busy_timeout_ms=2000
    )
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    yield engine
    await engine.dispose()


def hold_write_lock(tmp_path: Path) -> sqlite3.Connection:
    """Another process's transaction, as the CLI or a second writer would hold it."""
    other = sqlite3.connect(tmp_path / "inline.sqlite3", timeout=0)
    other.execute("BEGIN IMMEDIATE")
    return other


async def insert(engine: AsyncEngine, body: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(INSERT, {"body": body})


async def count(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT count(*) FROM notes"))).scalar_one())


async def test_a_locked_database_is_waited_for_while_the_event_loop_keeps_running(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    other = hold_write_lock(tmp_path)
    waiting = asyncio.create_task(insert(engine, "written after the lock"))
    ticks = 0
    while ticks < 20:  # the loop runs other work while the insert waits for the lock
        await asyncio.sleep(0.001)
        ticks += 1
    assert not waiting.done()

    other.rollback()
    other.close()
    await waiting
    assert await count(engine) == 1


async def test_a_lock_held_past_the_busy_timeout_fails_cleanly_and_the_next_write_succeeds(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'inline.sqlite3'}", busy_timeout_ms=50)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    other = hold_write_lock(tmp_path)
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            await insert(engine, "refused")
    finally:
        other.rollback()
        other.close()

    await insert(engine, "accepted")
    assert await count(engine) == 1
    await engine.dispose()


async def test_reads_and_writes_go_through_the_shim_not_a_driver_thread(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert type(raw.driver_connection).__name__ == "InlineConnection"
    await insert(engine, "一条中文记录")
    async with engine.connect() as connection:
        body = (await connection.execute(text("SELECT body FROM notes"))).scalar_one()
    assert body == "一条中文记录"
