"""SQLite for the async engine without a driver thread: statements run on the event loop.

aiosqlite runs every call on its own thread, and each crossing (there are several per
statement) costs a queue hop, a wake-up and the GIL: about 0.5 ms per statement on a loaded
two-core machine against a few microseconds for the statement itself. A WAL-mode SQLite
statement is shorter than that crossing, so this module gives SQLAlchemy's aiosqlite dialect
(through `async_creator`) an object with aiosqlite's async interface that calls `sqlite3`
directly.

The one thing a thread was good for is waiting for a lock held by another process (the CLI,
a backup). Here the connection's own busy handler is off, and a statement that meets a lock
is retried after an `asyncio.sleep`, with growing pauses, until the busy timeout: the event
loop keeps serving HTTP requests and other rooms meanwhile. SQLite returns SQLITE_BUSY
before a statement has changed anything, so running it again is what its own busy handler
would have done.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

FIRST_PAUSE_S = 0.001
LONGEST_PAUSE_S = 0.05


def is_locked(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error) or "busy" in str(error)


class _BusyRetry:
    """Runs a `sqlite3` call again after short sleeps while the database is locked."""

    def __init__(self, busy_timeout_s: float) -> None:
        self.busy_timeout_s = busy_timeout_s

    async def __call__(self, call: Callable[..., T], *args: Any) -> T:
        deadline: float | None = None
        pause = FIRST_PAUSE_S
        while True:
            try:
                return call(*args)
            except sqlite3.OperationalError as error:
                if not is_locked(error):
                    raise
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self.busy_timeout_s
                if now >= deadline:
                    raise
                await asyncio.sleep(min(pause, deadline - now))
                pause = min(pause * 2, LONGEST_PAUSE_S)


class InlineCursor:
    """aiosqlite's cursor interface over a `sqlite3.Cursor`."""

    def __init__(self, cursor: sqlite3.Cursor, retry: _BusyRetry) -> None:
        self._cursor = cursor
        self._retry = retry

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        if parameters is None:
            await self._retry(self._cursor.execute, sql)
        else:
            await self._retry(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        rows = list(parameters)  # a generator cannot be run twice
        await self._retry(self._cursor.executemany, sql, rows)
        return self

    async def fetchone(self) -> Any:
        return await self._retry(self._cursor.fetchone)

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        if size is None:
            return await self._retry(self._cursor.fetchmany)
        return await self._retry(self._cursor.fetchmany, size)

    async def fetchall(self) -> list[Any]:
        return await self._retry(self._cursor.fetchall)

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """aiosqlite's connection interface over a `sqlite3.Connection`, for SQLAlchemy."""

    def __init__(self, connection: sqlite3.Connection, busy_timeout_s: float) -> None:
        # SQLAlchemy's adapter reads `_connection` (None once closed) and `_conn`.
        self._connection: sqlite3.Connection | None = connection
        self._retry = _BusyRetry(busy_timeout_s)

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor(), self._retry)

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        await self._retry(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def connector(path: str, busy_timeout_ms: int) -> Callable[[], Any]:
    """An `async_creator` for `create_async_engine` opening `path` with the shim."""

    async def connect() -> InlineConnection:
        # timeout=0: SQLite's own busy handler would block the event loop
        connection = sqlite3.connect(path, timeout=0, check_same_thread=False)
        return InlineConnection(connection, busy_timeout_ms / 1000)

    return connect
