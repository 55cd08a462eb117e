"""A real `tiaojie run` process on a loopback port, for tests that need the whole program.

Browser tests and crash tests want what a user gets: the installed command, its own event
loop, uvicorn's signal handling and a database file on disk. This helper starts that process
with a private data directory, waits until /healthz answers 200, and stops it with SIGTERM
(or SIGKILL, for tests of what survives a crash).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

STARTUP_TIMEOUT_S = 60.0
SHUTDOWN_TIMEOUT_S = 20.0
PORT_ATTEMPTS = 3


class ServerError(RuntimeError):
    """The server did not start, or did not stop the way it should."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tiaojie_command() -> list[str]:
    """The installed console script next to this interpreter, else the module."""
    script = Path(sys.executable).with_name("tiaojie")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "bot.cli"]


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    base_url: str
    port: int
    data_dir: Path
    log_path: Path
    stopped: bool = field(default=False, repr=False)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = SHUTDOWN_TIMEOUT_S) -> int:
        """SIGTERM, then wait; returns the exit code. Kills and raises if it hangs."""
        if self.stopped:
            return int(self.process.returncode)
        self.stopped = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return int(self.process.wait(timeout=timeout))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)
            raise ServerError(
                f"tiaojie did not exit within {timeout:.0f}s of SIGTERM\n{self.tail()}"
            ) from None

    def kill(self) -> int:
        """SIGKILL: the process gets no chance to clean up (crash tests)."""
        self.stopped = True
        if self.process.poll() is None:
            self.process.kill()
        return int(self.process.wait(timeout=SHUTDOWN_TIMEOUT_S))

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


def server_environment(
    data_dir: Path, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The caller's environment minus any tiaojie/Wechaty settings, plus ours."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TIAOJIE_", "WECHATY_"))
    }
    env.update(
        {
            "TIAOJIE_DATA_DIR": str(data_dir),
            "TIAOJIE_GATEWAY": "sandbox",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides or {})
    return env


def start_server(
    data_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = STARTUP_TIMEOUT_S,
) -> RunningServer:
    """Start `tiaojie run` on a free loopback port and wait until /healthz is 200.

    `data_dir` may hold the data of an earlier run (restart tests). The process runs in the
    parent of `data_dir`, so no `.env` from the repository is read.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    last_error: ServerError | None = None
    for attempt in range(PORT_ATTEMPTS):
        port = free_port()
        log_path = data_dir.parent / f"tiaojie-{port}-{attempt}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [*tiaojie_command(), "run", "--host", "127.0.0.1", "--port", str(port)],
                cwd=data_dir.parent,
                env=server_environment(data_dir, env),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        server = RunningServer(process, f"http://127.0.0.1:{port}", port, data_dir, log_path)
        try:
            wait_until_healthy(server, startup_timeout)
            return server
        except ServerError as error:
            server.kill()
            last_error = error
            if "address already in use" not in server.log().lower():
                raise
    assert last_error is not None
    raise last_error


def wait_until_healthy(server: RunningServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=server.base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            try:  # doubles as the pause between probes
                code = server.process.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                continue
            raise ServerError(f"tiaojie exited with {code} before it was ready\n{server.tail()}")
    raise ServerError(f"tiaojie was not healthy within {timeout:.0f}s\n{server.tail()}")


@contextmanager
def running_server(
    data_dir: Path, *, env: Mapping[str, str] | None = None
) -> Iterator[RunningServer]:
    """A started server; on exit it is sent SIGTERM and must exit 0 (unless a test killed it)."""
    server = start_server(data_dir, env=env)
    try:
        yield server
    finally:
        if not server.stopped:
            code = server.stop()
            if code != 0:
                raise ServerError(f"tiaojie exited with {code} after SIGTERM\n{server.tail()}")
