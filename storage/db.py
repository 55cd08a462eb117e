"""Engine and session factory: SQLite in WAL mode with a busy timeout, or PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 5000


def create_engine(
    database_url: str, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS, **kwargs: Any
) -> AsyncEngine:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True, **kwargs)
    database_file = sqlite_file(database_url)
    if database_file is not None:
        database_file.parent.mkdir(parents=True, exist_ok=True)
    # One connection per process: SQLite takes one writer at a time anyway, and waiting in
    # the pool's queue is first come, first served, where SQLite's own busy handler lets an
    # unlucky writer starve until "database is locked". Readers queue too; the bot's reads
    # are short. Other processes (the CLI, a backup) meet the busy timeout.
    kwargs.setdefault("pool_size", 1)
    kwargs.setdefault("max_overflow", 0)
    kwargs.setdefault("pool_timeout", 120)
    kwargs.setdefault("connect_args", {"timeout": busy_timeout_ms / 1000})
    engine = create_async_engine(url, **kwargs)
    event.listen(
        engine.sync_engine,
        "connect",
        lambda connection, _record: _sqlite_pragmas(connection, busy_timeout_ms),
    )
    return engine


# What an OperationalError says when the database is busy or away (SQLite: locked, busy,
# the file unreachable; PostgreSQL: the connection lost or refused, a conflict to retry).
# Any other OperationalError (SQLite's "integer overflow", a malformed statement) is an
# error of the data and would fail the same way again.
_TRANSIENT_MESSAGE = re.compile(
    r"locked|busy|unable to open|disk i/o|connect|closed|timeout|timed out|terminat|"
    r"shutting down|starting up|too many clients|deadlock|serializ|could not obtain",
    re.IGNORECASE,
)


def is_transient(error: BaseException) -> bool:
    """Errors of the database being busy or away, not of the data: wait, don't give up."""
    if isinstance(error, InterfaceError | ConnectionError | TimeoutError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, OperationalError):
        return bool(_TRANSIENT_MESSAGE.search(str(error.orig) or str(error)))
    return False


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite database URL; None for another database or an in-memory one."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _sqlite_pragmas(dbapi_connection: Any, busy_timeout_ms: int) -> None:
    """WAL (readers never wait for the writer), SQLite's own busy timeout and automatic
    checkpoints, foreign keys on."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
