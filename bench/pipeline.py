"""Messages per second through the whole path in one process, next to raw jieba.lcut.

Run from the repository root:

    .venv/bin/python bench/pipeline.py [--messages 2000] [--rooms 50] [--burst 50]
                                       [--database-url URL]

A real BotApp (sandbox gateway, ManualClock, a fresh SQLite file in a temporary directory
unless `--database-url` names another database) is started; the benchmark then calls
`dispatcher.accept` for every message, as a gateway does, in bursts of `--burst` concurrent
calls (a busy gateway delivers many messages at once), and waits until every message is
handled and every reply delivered. So each message costs what it costs in production: the
inbox row committed before `accept` returns, routing and parsing, the case and its event,
the reply in the outbox, all committed in the handling transaction, and the delivery (the
sandbox transcript row and the outbox row marked sent). The reference is raw `jieba.lcut`
over the same texts in the same run (best of `--rounds`), as in bench/parse_speed.py; the
target is at least 150 messages/s.

The messages are the labelled group-chat sets in tests/data (complaints, chatter, commands
of all kinds), each posted by a different member in one of `--rooms` rooms, so no text
repeats within a room (that would be linked as a duplicate rather than opened as a case).
Flood control is off; everything else is the default configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.app import BotApp  # noqa: E402
from bot.messages import IncomingMessage  # noqa: E402
from bot.settings import Settings  # noqa: E402
from mediation.clock import ManualClock  # noqa: E402
from storage.models import InboxMessage, OutboxMessage  # noqa: E402

DATA = REPO / "tests" / "data"
START = datetime(2026, 6, 2, 2, 0, tzinfo=UTC)  # a Tuesday morning in Shanghai
TARGET_RATE = 150  # messages/s (issue 18)


def load_texts() -> list[str]:
    texts: list[str] = []
    for path in sorted(DATA.glob("group_messages_*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            texts.extend(json.loads(line)["text"] for line in lines if line.strip())
    return texts


def make_messages(texts: list[str], count: int, rooms: int, prefix: str) -> list[IncomingMessage]:
    return [
        IncomingMessage(
            message_id=f"{prefix}-{index}",
            room_id=f"bench-room-{index % rooms}",
            sender_id=f"member-{index}",
            sender_name=f"群成员{index}",
            text=texts[index % len(texts)],
            sent_at=START,
        )
        for index in range(count)
    ]


def jieba_rate(texts: list[str], rounds: int) -> float:
    import jieba

    jieba.setLogLevel(40)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = tempfile.gettempdir()
    tokenizer.initialize()
    for text in texts[:50]:
        tokenizer.lcut(text)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for text in texts:
            tokenizer.lcut(text)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


async def feed(app: BotApp, messages: list[IncomingMessage], burst: int) -> None:
    """Accept every message as a gateway would, then wait for handling and delivery."""
    for start in range(0, len(messages), burst):
        await asyncio.gather(*(app.dispatcher.accept(m) for m in messages[start : start + burst]))
    await app.dispatcher.drain()
    while await app.sender.deliver_due():
        pass


async def pipeline(
    texts: list[str], count: int, rooms: int, burst: int, data_dir: Path, database_url: str
) -> dict[str, object]:
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        admins=["staff-bench"],
        gateway="sandbox",
        sweep_minutes=0,
        sender_messages_per_minute=0,
        room_messages_per_minute=1_000_000,
        _env_file=None,
    )
    app = BotApp(settings, clock=ManualClock(START))
    await app.start()
    try:
        await feed(app, make_messages(texts, 50, rooms, "warm"), burst)  # first use, untimed
        messages = make_messages(texts, count, rooms, "bench")
        started = time.perf_counter()
        cpu_started = time.process_time()
        await feed(app, messages, burst)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        async with app.sessions() as session:
            routes = Counter(
                dict(
                    (
                        await session.execute(
                            select(InboxMessage.route, func.count()).group_by(InboxMessage.route)
                        )
                    ).all()
                )
            )
            outbox = dict(
                (
                    await session.execute(
                        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
                    )
                ).all()
            )
    finally:
        await app.stop()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rate": count / seconds,
        "routes": routes,
        "outbox": outbox,
    }


def main(argv: list[str] | None = None) -> int:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--messages", type=int, default=2000)
    arguments.add_argument("--rooms", type=int, default=50)
    arguments.add_argument("--burst", type=int, default=50, help="concurrent accepts")
    arguments.add_argument("--rounds", type=int, default=5, help="rounds of the jieba reference")
    arguments.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    options = arguments.parse_args(argv)

    texts = load_texts()
    with tempfile.TemporaryDirectory(prefix="tiaojie-bench-") as scratch:
        data_dir = Path(scratch) / "data"
        result = asyncio.run(
            pipeline(
                texts,
                options.messages,
                options.rooms,
                max(options.burst, 1),
                data_dir,
                options.database_url,
            )
        )
    messages = make_messages(texts, options.messages, options.rooms, "bench")
    raw = jieba_rate([m.text for m in messages], options.rounds)

    rate = float(result["rate"])  # type: ignore[arg-type]
    backend = make_url(options.database_url or "sqlite://").get_backend_name()
    print(f"messages: {options.messages} in {options.rooms} rooms; routes {dict(result['routes'])}")  # type: ignore[call-overload]
    print(
        f"database: {backend}"
        + (
            f" (SQLite {sqlite3.sqlite_version}, WAL, synchronous=NORMAL)"
            if backend == "sqlite"
            else ""
        )
    )
    print(f"outbox afterwards: {result['outbox']}")
    print(f"raw jieba.lcut      {raw:8.0f} messages/s")
    print(f"whole pipeline      {rate:8.0f} messages/s ({float(result['seconds']):.2f} s)")  # type: ignore[arg-type]
    cpu_ms = float(result["cpu_seconds"]) / options.messages * 1000  # type: ignore[arg-type]
    print(f"CPU per message     {cpu_ms:8.2f} ms (this process; steadier than wall time)")
    print(f"pipeline / raw jieba: {rate / raw:.3f}")
    print(f"target: >= {TARGET_RATE} messages/s: {'met' if rate >= TARGET_RATE else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
