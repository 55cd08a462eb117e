"""Start-up time of `tiaojie run` and its resident memory over 10,000 messages.

Run from the repository root:

    .venv/bin/python bench/startup.py [--messages 10000] [--restarts 3] [--database-url URL]

Start-up: from launching the installed `tiaojie run` until /healthz answers 200 (polled
every 20 ms), on one data directory: the first start on an empty one (it creates the
database with the Alembic chain and builds jieba's dictionary cache), then restarts (what an
operator waits for after an upgrade or a crash), of which the best counts: the machine is
shared, and a busy neighbour only ever makes a start slower. The target is under 3 s.

/healthz answers while jieba's dictionary still loads (messages are accepted into the inbox
meanwhile), so the time until the bot also handles messages (`"parser": "ready"`) is printed
too, with where the time went (from the bot's own log of that start): importing `bot.app`,
building the web app, the schema check until messages are accepted, the rest (the
interpreter, the CLI, uvicorn, the first /healthz), and the parser's loading.

Memory: the process's resident set (VmRSS) right after start-up (parser loaded), then every
1,000 messages posted through the sandbox HTTP interface (complaints and chatter from
`tests/load_client`, over 100 rooms, from a second process), and once more when every
message is handled and every reply delivered. Growth that levels off is caches warming
(SQLAlchemy's statement cache, jieba's, the sender's per-room pacing); growth that keeps
rising is a leak. The figures printed are the samples, and the growth over the first and the
second half.

Flood control is off and room pacing is lifted, so nothing is held back for minutes; the
messages are posted by 8 concurrent connections, as fast as the bot accepts them.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from storage.db import create_engine  # noqa: E402
from storage.models import InboxMessage, OutboxMessage  # noqa: E402
from tests.load_client import ChatMessage, MessageFactory, room_ids  # noqa: E402
from tests.server import free_port, server_environment, tiaojie_command  # noqa: E402

TARGET_SECONDS = 3.0
POLL_SECONDS = 0.02
LOADED_LINE = re.compile(r"imported the bot in (\d+\.\d+) s, built the web app in (\d+\.\d+) s")
ACCEPTS_LINE = re.compile(r"tiaojie accepts messages .*\((\d+\.\d+) s\)")
HANDLES_LINE = re.compile(r"tiaojie handles messages \((\d+\.\d+) s\)")
SAMPLE_EVERY = 1_000
CONNECTIONS = 8
BENCH_ENV = {
    "TIAOJIE_SENDER_MESSAGES_PER_MINUTE": "0",
    "TIAOJIE_ROOM_MESSAGES_PER_MINUTE": "1000000",
    "TIAOJIE_SWEEP_MINUTES": "0",
}


class Bot:
    """One `tiaojie run` process with its log in the data directory's parent."""

    def __init__(self, data_dir: Path, env: dict[str, str], name: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir.parent / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [*tiaojie_command(), "run", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=data_dir.parent,
                env=server_environment(data_dir, env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.launched = time.perf_counter()

    def wait_healthy(self, timeout: float = 120.0) -> float:
        """Seconds from launch until /healthz answered 200."""
        return self._wait_for(lambda response: response.status_code == 200, timeout)

    def wait_handling(self, timeout: float = 120.0) -> float:
        """Seconds from launch until /healthz said the parser is ready."""
        return self._wait_for(lambda response: response.json().get("parser") == "ready", timeout)

    def _wait_for(self, condition: Callable[[httpx.Response], bool], timeout: float) -> float:
        with httpx.Client(base_url=self.base_url, timeout=2.0) as client:
            while time.perf_counter() - self.launched < timeout:
                try:
                    if condition(client.get("/healthz")):
                        return time.perf_counter() - self.launched
                except httpx.TransportError:
                    pass
                if self.process.poll() is not None:
                    raise RuntimeError(f"tiaojie exited early:\n{self.log_path.read_text()}")
                time.sleep(POLL_SECONDS)
        raise RuntimeError(f"tiaojie was not ready within {timeout:.0f} s")

    def logged_seconds(self, line: re.Pattern[str]) -> tuple[float, ...]:
        """Durations the bot logged about its own start-up (none if the line is missing)."""
        found = line.search(self.log_path.read_text(encoding="utf-8", errors="replace"))
        return tuple(float(group) for group in found.groups()) if found else ()

    def resident_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS in /proc")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


async def post_all(bot: Bot, messages: list[ChatMessage], samples: list[tuple[str, float]]) -> None:
    """Post with a few connections; sample the bot's memory every SAMPLE_EVERY posts."""
    queue = iter(messages)
    posted = 0

    async with httpx.AsyncClient(base_url=bot.base_url, timeout=60.0) as client:

        async def poster() -> None:
            nonlocal posted
            for message in queue:
                response = await client.post(
                    f"/sandbox/rooms/{message.room_id}/messages", json=message.request_body()
                )
                response.raise_for_status()
                posted += 1
                if posted % SAMPLE_EVERY == 0:
                    samples.append((f"{posted} posted", bot.resident_mb()))

        await asyncio.gather(*(poster() for _ in range(CONNECTIONS)))


async def wait_until_settled(database_url: str, expected: int, within_s: float) -> float:
    """Seconds until every message is handled and every reply sent."""
    engine = create_engine(database_url)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < within_s:
            async with engine.connect() as connection:
                handled = await connection.scalar(
                    select(func.count())
                    .select_from(InboxMessage)
                    .where(InboxMessage.state != "received")
                )
                unsent = await connection.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.state.in_(["pending", "sending"]))
                )
            if handled == expected and unsent == 0:
                return time.perf_counter() - started
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()
    raise RuntimeError(f"not settled within {within_s:.0f} s")


@dataclass(frozen=True)
class Start:
    healthy: float  # launch until /healthz answered 200
    handling: float  # launch until the parser was ready and messages were handled
    logged: dict[str, float]  # what the bot logged: import, web app, accepting, handling


def measure_start(bot: Bot) -> Start:
    healthy = bot.wait_healthy()
    handling = bot.wait_handling()
    names = ("import", "web app", "accepting", "handling")
    values = (
        bot.logged_seconds(LOADED_LINE)
        + bot.logged_seconds(ACCEPTS_LINE)
        + bot.logged_seconds(HANDLES_LINE)
    )
    return Start(healthy, handling, dict(zip(names, values, strict=False)))


def describe(start: Start) -> str:
    """Where the time to healthy went, from the bot's own log of that start."""
    logged = start.logged
    if len(logged) < 4:
        return "the bot's log has no start-up timings"
    rest = start.healthy - logged["import"] - logged["web app"] - logged["accepting"]
    return (
        f"import bot.app {logged['import']:.2f} s, build the web app {logged['web app']:.2f} s, "
        f"schema check to accepting messages {logged['accepting']:.2f} s, interpreter, CLI, "
        f"uvicorn and the first /healthz {rest:.2f} s; parser loaded and handling "
        f"{logged['handling']:.2f} s after the schema check began"
    )


def main(argv: list[str] | None = None) -> int:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--messages", type=int, default=10_000)
    arguments.add_argument("--restarts", type=int, default=3, help="best of this many")
    arguments.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    options = arguments.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="tiaojie-startup-") as scratch:
        data_dir = Path(scratch) / "data"
        env = dict(BENCH_ENV)
        if options.database_url:
            env["TIAOJIE_DATABASE_URL"] = options.database_url
        database_url = options.database_url or f"sqlite+aiosqlite:///{data_dir / 'tiaojie.sqlite3'}"

        first = Bot(data_dir, env, "first")
        try:
            cold = measure_start(first)
        finally:
            first.stop()
        restarts: list[Start] = []
        for number in range(1, max(options.restarts, 1)):
            again = Bot(data_dir, env, f"restart-{number}")
            try:
                restarts.append(measure_start(again))
            finally:
                again.stop()
        bot = Bot(data_dir, env, "second")
        try:
            restarts.append(measure_start(bot))
            samples = [("after start-up", bot.resident_mb())]
            factory = MessageFactory(3, id_prefix="startup", senders_per_room=20)
            messages = factory.mixed(options.messages, rooms=room_ids(100), complaint_share=0.5)
            posting_started = time.perf_counter()
            asyncio.run(post_all(bot, messages, samples))
            posting = time.perf_counter() - posting_started
            settling = asyncio.run(wait_until_settled(database_url, options.messages, 1800.0))
            samples.append(("all handled and sent", bot.resident_mb()))
        except Exception:
            bot.stop()  # the server logs a failed request's traceback after answering it
            lines = bot.log_path.read_text().splitlines(keepends=True)
            print("".join(line for line in lines if '" 20' not in line)[-6000:])  # no 2xx lines
            raise
        finally:
            code = bot.stop()

    warm = min(restarts, key=lambda start: start.healthy)
    print(
        f"tiaojie run to healthy: first start {cold.healthy:.2f} s, restart {warm.healthy:.2f} s "
        f"(target < {TARGET_SECONDS:.0f} s; restart / target {warm.healthy / TARGET_SECONDS:.2f})"
    )
    print(
        f"handling messages (parser loaded): first start {cold.handling:.2f} s, "
        f"restart {warm.handling:.2f} s"
    )
    print(
        f"restarts to healthy ({len(restarts)}, best counts): "
        + ", ".join(f"{start.healthy:.2f} s" for start in restarts)
    )
    print(f"  first start: {describe(cold)}")
    print(f"  best restart: {describe(warm)}")
    print(
        f"{options.messages} messages posted in {posting:.1f} s, settled {settling:.1f} s later; "
        f"exit code after SIGTERM {code}"
    )
    print("resident memory (VmRSS):")
    for label, megabytes in samples:
        print(f"  {label:24} {megabytes:7.1f} MB")
    middle = samples[len(samples) // 2][1]
    print(
        f"growth: first half {middle - samples[0][1]:+.1f} MB, "
        f"second half {samples[-1][1] - middle:+.1f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
