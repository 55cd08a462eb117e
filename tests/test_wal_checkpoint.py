"""WAL checkpoints on a worker thread: the bot's commits leave the log alone (up to the
backstop), the checkpointer copies it into the database so the next writer starts the log
over, and a checkpoint that cannot run is logged and tried again without stopping the bot."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import BotApp
from storage.db import create_engine
from storage.wal_checkpoint import (
    BACKSTOP_AUTOCHECKPOINT_PAGES,
    RESTART_ABOVE_FRAMES,
    WalCheckpointer,
    apply_backstop_autocheckpoint,
)

PAGE = 4096
ROW_BYTES = 200_000  # about 50 pages a row


async def eventually(condition: Callable[[], bool]) -> None:
    """Give the background task (at most ~2 s) to have done something."""
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the background task did not get there")


def open_writer(path: Path) -> sqlite3.Connection:
    """A connection set up as the bot's: WAL, synchronous=NORMAL, the backstop."""
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA synchronous=NORMAL")
    apply_backstop_autocheckpoint(writer)
    writer.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body BLOB)")
    return writer


def write_pages(writer: sqlite3.Connection, pages: int) -> None:
    for _ in range(max(pages * PAGE // ROW_BYTES, 1)):
        writer.execute("INSERT INTO notes (body) VALUES (randomblob(?))", (ROW_BYTES,))


def file_size(path: Path) -> int:
    return path.stat().st_size


def wal_size(path: Path) -> int:
    return file_size(path.with_name(path.name + "-wal"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "tiaojie.sqlite3"


@pytest.fixture
def writer(db_path: Path) -> Iterator[sqlite3.Connection]:
    writer = open_writer(db_path)
    yield writer
    writer.close()


@pytest.fixture
async def checkpointer(db_path: Path) -> AsyncIterator[WalCheckpointer]:
    checkpointer = WalCheckpointer(db_path, interval_s=0.01)
    yield checkpointer
    await checkpointer.stop()


async def test_the_bots_commits_past_a_thousand_pages_leave_every_frame_for_the_checkpointer(
    db_path: Path, checkpointer: WalCheckpointer
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{db_path}", checkpoints_elsewhere=True)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body BLOB)"))
        for _ in range(6):  # ~500 pages a commit, ~3000 in all
            async with engine.begin() as connection:
                for _ in range(10):
                    await connection.execute(
                        text("INSERT INTO notes (body) VALUES (randomblob(:n))"), {"n": ROW_BYTES}
                    )
        async with engine.connect() as connection:
            limit = (await connection.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one()
        assert limit == BACKSTOP_AUTOCHECKPOINT_PAGES
        database_before = file_size(db_path)

        result = await checkpointer.checkpoint_now()
    finally:
        await engine.dispose()

    assert result.wal_frames > 2500  # no commit checkpointed (the log would have restarted)
    assert database_before < 100 * PAGE  # nor copied anything into the database file
    assert result.busy == 0
    assert result.checkpointed_frames == result.wal_frames
    assert file_size(db_path) > 2500 * PAGE


async def test_after_each_checkpoint_the_next_writer_starts_the_log_over(
    db_path: Path, writer: sqlite3.Connection, checkpointer: WalCheckpointer
) -> None:
    sizes = []
    for _ in range(5):
        write_pages(writer, 300)
        result = await checkpointer.checkpoint_now()
        assert result.checkpointed_frames == result.wal_frames
        sizes.append(wal_size(db_path))

    assert result.wal_frames < 2 * 300  # one round's frames, not five
    assert sizes[-1] <= sizes[0]


async def test_the_background_task_checkpoints_by_itself(
    writer: sqlite3.Connection, checkpointer: WalCheckpointer
) -> None:
    write_pages(writer, 200)

    checkpointer.start()
    await eventually(
        lambda: (
            checkpointer.last_result is not None
            and checkpointer.last_result.checkpointed_frames > 0
        )
    )

    assert checkpointer.last_result is not None
    assert checkpointer.last_result.checkpointed_frames == checkpointer.last_result.wal_frames


async def test_a_missing_database_is_logged_once_retried_and_checkpointed_when_it_appears(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "not-yet" / "tiaojie.sqlite3"
    checkpointer = WalCheckpointer(path, interval_s=0.01)
    caplog.set_level(logging.DEBUG, logger="storage.wal_checkpoint")

    def logged(level: int) -> list[logging.LogRecord]:
        return [record for record in caplog.records if record.levelno == level]

    checkpointer.start()
    await eventually(lambda: len(logged(logging.DEBUG)) >= 2)  # failed three times, at least
    assert len(logged(logging.WARNING)) == 1
    assert not path.parent.exists()  # nothing created in its place

    path.parent.mkdir()
    writer = open_writer(path)
    try:
        write_pages(writer, 100)
        await eventually(
            lambda: (
                checkpointer.last_result is not None
                and checkpointer.last_result.checkpointed_frames > 0
            )
        )
    finally:
        writer.close()
    assert any("works again" in record.getMessage() for record in logged(logging.INFO))

    async with asyncio.timeout(1):
        await checkpointer.stop()
        await checkpointer.stop()


async def test_a_file_that_is_not_a_database_fails_the_checkpoint_without_stopping_the_task(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("这不是数据库。" * 200, encoding="utf-8")
    checkpointer = WalCheckpointer(path, interval_s=0.01)
    caplog.set_level(logging.DEBUG, logger="storage.wal_checkpoint")
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        await checkpointer.checkpoint_now()

    checkpointer.start()
    await eventually(lambda: any("failed again" in r.getMessage() for r in caplog.records))
    async with asyncio.timeout(1):
        await checkpointer.stop()
    assert path.read_text(encoding="utf-8").startswith("这不是数据库")


async def test_a_reader_in_a_transaction_makes_the_checkpoint_partial_not_an_error(
    db_path: Path, writer: sqlite3.Connection, checkpointer: WalCheckpointer
) -> None:
    write_pages(writer, 100)
    reader = sqlite3.connect(db_path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM notes").fetchone()  # holds its snapshot
        write_pages(writer, 100)

        partial = await checkpointer.checkpoint_now()
        assert partial.checkpointed_frames < partial.wal_frames
    finally:
        reader.close()

    complete = await checkpointer.checkpoint_now()
    assert complete.busy == 0
    assert complete.checkpointed_frames == complete.wal_frames


async def test_a_long_log_is_started_over_even_when_a_reader_was_in_it_as_the_copy_ended(
    db_path: Path, writer: sqlite3.Connection
) -> None:
    checkpointer = WalCheckpointer(db_path, restart_wait_s=5.0)
    write_pages(writer, RESTART_ABOVE_FRAMES + 200)
    reader = sqlite3.connect(db_path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM notes").fetchone()  # sees every frame: all copyable
    asyncio.get_running_loop().call_later(0.3, reader.close)
    try:
        result = await checkpointer.checkpoint_now()
        write_pages(writer, 10)  # without the RESTART, the reader would still be there
    finally:
        await checkpointer.stop()
        reader.close()

    assert result.busy == 0
    assert result.checkpointed_frames == result.wal_frames
    _busy, frames, _copied = writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert frames < 100  # the writer started the log over


async def test_a_reader_of_an_older_snapshot_is_not_waited_for(
    db_path: Path, writer: sqlite3.Connection
) -> None:
    checkpointer = WalCheckpointer(db_path, restart_wait_s=5.0)
    write_pages(writer, RESTART_ABOVE_FRAMES + 200)
    reader = sqlite3.connect(db_path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM notes").fetchone()
        write_pages(writer, 100)  # frames the reader's snapshot does not hold
        started = time.monotonic()
        result = await checkpointer.checkpoint_now()
        took = time.monotonic() - started
    finally:
        await checkpointer.stop()
        reader.close()

    assert result.checkpointed_frames < result.wal_frames  # left for the next round
    assert took < 2.5  # far less than the 5 s a RESTART would have waited


async def test_a_stopped_checkpointer_refuses_work_and_stopping_it_unstarted_is_harmless(
    writer: sqlite3.Connection, checkpointer: WalCheckpointer
) -> None:
    await checkpointer.checkpoint_now()  # opens its connection
    await checkpointer.stop()
    await checkpointer.stop()

    with pytest.raises(RuntimeError, match="stopped"):
        await checkpointer.checkpoint_now()
    with pytest.raises(RuntimeError, match="stopped"):
        checkpointer.start()


async def test_the_bot_checkpoints_its_sqlite_file_on_a_thread_while_it_runs(bot: BotApp) -> None:
    async with bot.engine.connect() as connection:
        limit = (await connection.execute(text("PRAGMA wal_autocheckpoint"))).scalar()
    if bot.engine.dialect.name != "sqlite":
        assert bot.checkpointer is None
        return
    assert limit == BACKSTOP_AUTOCHECKPOINT_PAGES
    assert bot.checkpointer is not None
    result = await bot.checkpointer.checkpoint_now()
    assert result.busy == 0
    assert result.checkpointed_frames == result.wal_frames

    running = bot.checkpointer
    await bot.stop()
    assert bot.checkpointer is None
    with pytest.raises(RuntimeError):
        await running.checkpoint_now()
