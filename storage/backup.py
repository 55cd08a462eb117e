"""A consistent copy of the SQLite database while the bot keeps running.

SQLite's online backup API copies pages under a read transaction, so the copy is a
snapshot even while the bot writes (WAL mode lets writers go on during the copy).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .db import sqlite_file


def sqlite_path(database_url: str) -> Path:
    path = sqlite_file(database_url)
    if path is None:
        raise ValueError("only a SQLite file database can be backed up this way")
    return path


def backup_sqlite(database_url: str, target: Path, *, pages_per_step: int = 1024) -> int:
    """Copy the live database to `target` (replaced if present); return its size in bytes."""
    source_path = sqlite_path(database_url)
    if not source_path.is_file():
        raise FileNotFoundError(source_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=pages_per_step)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            check = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise RuntimeError(f"backup failed its integrity check: {check}")
        finally:
            copy.close()
    finally:
        source.close()
    partial.replace(target)
    return target.stat().st_size
