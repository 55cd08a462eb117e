"""WAL checkpoints on a worker thread, so no commit on the event loop has to do one.

The bot's SQLite statements run on the event loop (see `storage.sqlite_inline`). SQLite's
automatic checkpoint runs inside whichever COMMIT takes the write-ahead log past its
threshold (1000 pages by default), and that commit then copies the whole log into the
database file and syncs it: 5-40 ms with the loop stalled, about forty times in thirty
seconds at 200 messages a second. A PASSIVE checkpoint needs neither the write lock nor
the loop, and `sqlite3` lets go of the GIL while SQLite works, so a thread can do it while
the loop goes on committing.

Copying is half the job: the log is only started over (instead of growing) by the first
writer after a checkpoint that left nothing uncopied, and only if no reader still holds an
older snapshot at that moment. Under steady load a commit nearly always lands during the
copy, so a single pass never gets there and the log grows to the backstop (measured: 40 MB
and a 30-37 ms commit within 15 s at 200 commits/s). So each round repeats the pass, each
one short, until one finds nothing new. In the bot even that left the log growing to
17-41 MB within 30 s at 150 messages/s (full passes, yet the next writer seldom started
over: a reader that began before the copy ended still holds its place in the log), so a
round that leaves more than `RESTART_ABOVE_FRAMES`, all copied, ends with a RESTART
checkpoint: it waits (on its thread, `RESTART_WAIT_S` at most) for such readers to finish,
holding writers back meanwhile, so that the next writer starts the log over. The bot's
writers that meet it wait with asyncio sleeps (see `storage.sqlite_inline`), not by
stalling the loop: 4-11 writes in 30 s met it, and the log stayed under 10 MB. A log not
all copied has a reader of an older snapshot (an export, a backup), which may last: it is
not waited for.

The bot's own connection keeps an automatic checkpoint only as a backstop, set so high
that it fires only if the checkpointer here stops doing its job: the log then still has a
ceiling on its size, at the price of the old stall, rarely and larger.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from pathlib import Path
from typing import NamedTuple, Protocol

from storage.sqlite_inline import is_locked

log = logging.getLogger(__name__)

# At 4 KiB pages: a log of at most ~40 MB. At peak load (~1500 pages/s measured) that is
# over six seconds of writes, so a checkpoint delayed by a long reader (a backup, a report)
# still does not push a commit into checkpointing; and if the checkpointer dies the log
# stops growing there instead of filling the disk.
BACKSTOP_AUTOCHECKPOINT_PAGES = 10_000

# One second keeps the log near 1500 pages (about 6 MB) at peak load, close to what
# SQLite's default lets it reach, so readers and the file size are no worse off; an idle
# check costs one thread hop and a few microseconds of SQLite a second. Shorter buys
# nothing the loop can feel (the work is on a thread either way); much longer lets the
# log, and each checkpoint's burst of disk writes, grow.
DEFAULT_INTERVAL_S = 1.0

# Measured at 200 commits/s: the log was caught up after 3-6 passes. A pass that SQLite
# reports busy (another checkpoint is running, say) returns at once and counts as one. A
# round that runs out leaves the rest to the next, a second later.
MAX_PASSES = 8

# SQLite's own automatic checkpoint threshold: past it, a round ends by starting the log over.
RESTART_ABOVE_FRAMES = 1000
# How long a RESTART checkpoint waits for readers and holds the bot's writers back at most.
RESTART_WAIT_S = 0.05


class _Executes(Protocol):
    def execute(self, sql: str, /) -> object: ...


def apply_backstop_autocheckpoint(connection: _Executes) -> None:
    """Make commits on `connection` checkpoint only past the backstop (per connection)."""
    connection.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_AUTOCHECKPOINT_PAGES}")


class WalCheckpointResult(NamedTuple):
    """What `PRAGMA wal_checkpoint` reports: frames in the log, and how many of them are
    in the database file. `busy` is 1 when the checkpoint could not run (another one was
    running, or the database was locked); the frame counts are then -1, as they are for a
    database not in WAL mode."""

    busy: int
    wal_frames: int
    checkpointed_frames: int


NOT_RUN = WalCheckpointResult(busy=1, wal_frames=-1, checkpointed_frames=-1)


class WalCheckpointer:
    """Checkpoints the database at `path` every `interval_s` seconds on a worker thread.

    It has a connection of its own, opened on first use, read-write but never creating the
    file (a wrong path is an error to log, not a new empty database). A checkpoint that
    fails is logged and tried again at the next interval; the first failure of a run is a
    warning with its traceback, repeats are debug, and the recovery is noted.
    """

    def __init__(
        self,
        path: str | Path,
        interval_s: float = DEFAULT_INTERVAL_S,
        *,
        restart_wait_s: float = RESTART_WAIT_S,
    ) -> None:
        self.path = Path(path)
        self.interval_s = interval_s
        self.restart_wait_s = restart_wait_s
        self.last_result: WalCheckpointResult | None = None
        self._connection: sqlite3.Connection | None = None
        self._connection_lock = threading.Lock()  # one thread at a time on the connection
        self._stopped = False
        self._task: asyncio.Task[None] | None = None
        self._failures_in_a_row = 0

    async def checkpoint_now(self) -> WalCheckpointResult:
        """PASSIVE checkpoints, repeated while commits keep adding frames (`MAX_PASSES` at
        most): copies what no reader still needs and waits for no lock. Then, if the log
        holds more than `RESTART_ABOVE_FRAMES` and all of it was copied, a RESTART
        checkpoint. Returns the last checkpoint's figures."""
        if self._stopped:
            raise RuntimeError("the WAL checkpointer is stopped")
        result = await asyncio.to_thread(self._checkpoint_on_thread)
        self.last_result = result
        return result

    def start(self) -> None:
        """Start checkpointing in the background (call from the running event loop)."""
        if self._stopped:
            raise RuntimeError("the WAL checkpointer is stopped")
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="wal-checkpointer")

    async def stop(self) -> None:
        """Stop the background task and close the connection; calling it again does nothing."""
        if self._stopped:
            return
        self._stopped = True  # a checkpoint still queued for a thread will not reopen
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        # Closing the last connection to a WAL database checkpoints it: not on the loop.
        # It also waits for a checkpoint that a cancelled task left running on its thread.
        await asyncio.to_thread(self._close_on_thread)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.checkpoint_now()
            except Exception:
                self._failures_in_a_row += 1
                if self._failures_in_a_row == 1:
                    log.warning("WAL checkpoint of %s failed; retrying", self.path, exc_info=True)
                else:
                    log.debug("WAL checkpoint of %s failed again", self.path, exc_info=True)
            else:
                if self._failures_in_a_row:
                    log.info(
                        "WAL checkpoint of %s works again after %d failures",
                        self.path,
                        self._failures_in_a_row,
                    )
                    self._failures_in_a_row = 0

    def _checkpoint_on_thread(self) -> WalCheckpointResult:
        with self._connection_lock:
            if self._stopped:
                raise RuntimeError("the WAL checkpointer is stopped")
            try:
                if self._connection is None:
                    self._connection = self._connect()
                result = _checkpoint_until_caught_up(self._connection)
                if _worth_restarting(result):
                    result = _restart_log(self._connection, self.restart_wait_s)
                return result
            except sqlite3.OperationalError as error:
                if is_locked(error):
                    return NOT_RUN
                self._close_connection()  # the file may be replaced or appear: reopen
                raise
            except sqlite3.Error:
                self._close_connection()
                raise

    def _connect(self) -> sqlite3.Connection:
        uri = f"{self.path.absolute().as_uri()}?mode=rw"
        return sqlite3.connect(
            uri, uri=True, timeout=0, isolation_level=None, check_same_thread=False
        )

    def _close_on_thread(self) -> None:
        with self._connection_lock:
            self._close_connection()

    def _close_connection(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()


def _checkpoint_until_caught_up(connection: sqlite3.Connection) -> WalCheckpointResult:
    result = _checkpoint_pass(connection)
    for _ in range(MAX_PASSES - 1):
        if not result.busy and result.checkpointed_frames != result.wal_frames:
            return result  # a reader still needs the rest: next round
        previous, result = result, _checkpoint_pass(connection)
        if not result.busy and result.wal_frames == previous.wal_frames:
            return result  # nothing committed since the last pass began: caught up
    return result


def _checkpoint_pass(connection: sqlite3.Connection, mode: str = "PASSIVE") -> WalCheckpointResult:
    return WalCheckpointResult(*connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchone())


def _worth_restarting(result: WalCheckpointResult) -> bool:
    """A long log that is all copied: only a reader that began before the copy ended keeps
    the next writer from starting it over, and a RESTART waits for such a reader. A log not
    all copied has a reader of an older snapshot (an export, a backup): waiting for it would
    only hold the writers back, so the next round tries again."""
    return (
        not result.busy
        and result.wal_frames > RESTART_ABOVE_FRAMES
        and result.checkpointed_frames == result.wal_frames
    )


def _restart_log(connection: sqlite3.Connection, wait_s: float) -> WalCheckpointResult:
    """A RESTART checkpoint, waiting up to `wait_s` for readers and writers (busy: 1 when
    they outlasted it; the next round tries again)."""
    connection.execute(f"PRAGMA busy_timeout={int(wait_s * 1000)}")
    try:
        return _checkpoint_pass(connection, "RESTART")
    finally:
        connection.execute("PRAGMA busy_timeout=0")
