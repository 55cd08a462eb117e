"""How fast any implementation of bench/pipeline.py's durable path could be on this machine.

Run from the repository root:

    .venv/bin/python bench/pipeline_floor.py [--messages 2000] [--rooms 50] [--burst 50]

bench/pipeline.py measures the bot against 40 % of raw `jieba.lcut`. This script measures
the least that path can cost, to show what that target asks for. It makes the same
durable steps with nothing else:

- each message committed to the inbox before its `accept` returns (one commit a burst);
- read by the bot's own first cut (`handlers.router.first_cut`: masking, jieba, the
  readers);
- a complaint's case, its event and the reply, and every message's inbox state,
  committed in one transaction a batch;
- each reply delivered: its transcript line and its outbox state, in one commit.

It uses the real schema (the Alembic chain, every index) and the same messages, rooms and
bursts. It has no ORM, no members or rooms, no duplicate detection, no rate limit and no
thread replies. Commands and nuisance messages get a fixed reply. Statements run as plain
`sqlite3` `executemany` calls on the event loop.

Three figures are printed, each as a ratio to raw jieba in the same run:
- the first cut alone;
- this path with the first cut;
- this path with every message's first cut taken before the clock starts, which leaves
  only the writes and asyncio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from pipeline import START, jieba_rate, load_texts, make_messages  # noqa: E402

from bot.messages import IncomingMessage  # noqa: E402
from handlers.router import Route, RouteKind, first_cut  # noqa: E402
from mediation.parsing import ComplaintParser, ParsedMessage  # noqa: E402
from storage.db import create_engine  # noqa: E402
from storage.schema import ensure_schema_at_head  # noqa: E402

BATCH = 32  # as the dispatcher's MAX_BATCH
NOW = START.isoformat(sep=" ")

STORE_INBOX = (
    "INSERT OR IGNORE INTO inbox (message_id, room_id, sender_id, sender_name, text,"
    " truncated, mention_ids, is_direct, sent_at, received_at, state, attempts)"
    " VALUES (?, ?, ?, ?, ?, 0, '[]', 0, ?, ?, 'received', 0)"
)
CLAIM = (
    "UPDATE inbox SET state = 'handling' WHERE id IN"
    " (SELECT id FROM inbox WHERE state = 'received' ORDER BY id LIMIT ?)"
    " RETURNING id, room_id, sender_id, sender_name, text"
)
OPEN_CASE = (
    "INSERT INTO cases (number, room_id, reporter_id, reporter_name, merchant_name, raw_text,"
    " masked_text, amount, demands, category, contacts, missing, status, received_at,"
    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', '[]', 'pending', ?, ?)"
)
RECORD_EVENT = (
    "INSERT INTO case_events (case_id, kind, actor, at, data) VALUES (?, 'opened', 'system', ?,"
    " '{}')"
)
QUEUE_REPLY = (
    "INSERT INTO outbox (room_id, text, mention_ids, state, attempts, next_attempt_at,"
    " created_at, cause_inbox_id) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)"
)
MARK_HANDLED = "UPDATE inbox SET state = 'handled', route = ?, handled_at = ? WHERE id = ?"
DUE_REPLIES = (
    "SELECT id, room_id, text, mention_ids FROM outbox WHERE state = 'pending'"
    " AND next_attempt_at <= ? ORDER BY id LIMIT 200"
)
SHOW_LINE = (
    "INSERT INTO sandbox_messages (room_id, message_id, sender_id, sender_name, text,"
    " mention_ids, at) VALUES (?, ?, 'bot', '调解助手', ?, ?, ?)"
)
MARK_SENT = "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = ? WHERE id = ?"


async def create_schema(path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await ensure_schema_at_head(engine)
    finally:
        await engine.dispose()


class FloorPipeline:
    """The durable steps alone, on one `sqlite3` connection used from the event loop."""

    def __init__(self, path: Path, read: Callable[[str, str], Route]) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=OFF"):
            self.db.execute(f"PRAGMA {pragma}")
        self.read = read
        self.arriving: list[tuple[IncomingMessage, asyncio.Future[bool]]] = []
        self.cases_opened = 0

    async def accept(self, message: IncomingMessage) -> bool:
        """Committed to the inbox (with the rest of its burst) before this returns."""
        accepted = asyncio.get_running_loop().create_future()
        self.arriving.append((message, accepted))
        if len(self.arriving) == 1:
            asyncio.get_running_loop().call_soon(self.store_arrivals)
        return await accepted

    def store_arrivals(self) -> None:
        arrivals, self.arriving = self.arriving, []
        rows = [
            (m.message_id, m.room_id, m.sender_id, m.sender_name, m.text, NOW, NOW)
            for m, _accepted in arrivals
        ]
        self.db.execute("BEGIN")
        self.db.executemany(STORE_INBOX, rows)
        self.db.execute("COMMIT")
        for _message, accepted in arrivals:
            accepted.set_result(True)

    def handle_batch(self) -> int:
        self.db.execute("BEGIN")
        claimed = self.db.execute(CLAIM, (BATCH,)).fetchall()
        replies, handled = [], []
        for inbox_id, room_id, sender_id, sender_name, text in claimed:
            route = self.read(text, sender_id)
            if route.kind is RouteKind.COMPLAINT and route.parsed is not None:
                replies.append(
                    self.open_case(inbox_id, room_id, sender_id, sender_name, text, route.parsed)
                )
            elif route.kind is not RouteKind.CHATTER:
                replies.append((room_id, "收到。", "[]", NOW, NOW, inbox_id))
            handled.append((route.kind.value, NOW, inbox_id))
        self.db.executemany(QUEUE_REPLY, replies)
        self.db.executemany(MARK_HANDLED, handled)
        self.db.execute("COMMIT")
        return len(claimed)

    def open_case(
        self,
        inbox_id: int,
        room_id: str,
        sender_id: str,
        sender_name: str,
        text: str,
        parsed: ParsedMessage,
    ) -> tuple[str, str, str, str, str, int]:
        self.cases_opened += 1
        number = f"CY-202606-{self.cases_opened:05d}"
        amount = None if parsed.amount is None else str(parsed.amount)
        demands = json.dumps(list(parsed.demands), ensure_ascii=False)
        case_id = self.db.execute(
            OPEN_CASE,
            (number, room_id, sender_id, sender_name, parsed.merchant, text,
             parsed.masked_text, amount, demands, parsed.category, NOW, NOW),
        ).lastrowid  # fmt: skip
        self.db.execute(RECORD_EVENT, (case_id, NOW))
        reply = f"已登记投诉 {number}：{parsed.merchant or '商家待补充'}"
        return (room_id, reply, json.dumps([sender_id]), NOW, NOW, inbox_id)

    def deliver_due(self) -> int:
        due = self.db.execute(DUE_REPLIES, (NOW,)).fetchall()
        if not due:
            return 0
        self.db.execute("BEGIN")
        self.db.executemany(
            SHOW_LINE,
            [(room_id, f"bot-{i}", text, mentions, NOW) for i, room_id, text, mentions in due],
        )
        self.db.executemany(MARK_SENT, [(NOW, outbox_id) for outbox_id, *_rest in due])
        self.db.execute("COMMIT")
        return len(due)

    async def feed(self, messages: list[IncomingMessage], burst: int) -> None:
        for start in range(0, len(messages), burst):
            await asyncio.gather(*(self.accept(m) for m in messages[start : start + burst]))
            while self.handle_batch():
                pass
            while self.deliver_due():
                pass


async def run_floor(
    parser: ComplaintParser,
    messages: list[IncomingMessage],
    warm_up: list[IncomingMessage],
    burst: int,
    *,
    read_beforehand: bool,
) -> tuple[float, float]:
    """Seconds and CPU seconds for `messages`, in a database of their own."""
    reads: dict[str, Route] = {}

    def read(text: str, sender_id: str) -> Route:
        if read_beforehand:
            return reads[text]
        return first_cut(text, sender_id, bot_id="bot", parser=parser)

    if read_beforehand:
        for message in warm_up + messages:
            reads[message.text] = first_cut(message.text, "", bot_id="bot", parser=parser)
    with tempfile.TemporaryDirectory(prefix="tiaojie-floor-") as scratch:
        path = Path(scratch) / "floor.sqlite3"
        await create_schema(path)
        floor = FloorPipeline(path, read)
        await floor.feed(warm_up, burst)
        started, cpu_started = time.perf_counter(), time.process_time()
        await floor.feed(messages, burst)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        floor.db.close()
    return seconds, cpu_seconds


def first_cut_rate(parser: ComplaintParser, texts: list[str], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for text in texts:
            first_cut(text, "member", bot_id="bot", parser=parser)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def main(argv: list[str] | None = None) -> int:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--messages", type=int, default=2000)
    arguments.add_argument("--rooms", type=int, default=50)
    arguments.add_argument("--burst", type=int, default=50, help="concurrent accepts")
    arguments.add_argument("--rounds", type=int, default=5, help="rounds of each reference")
    options = arguments.parse_args(argv)

    texts = load_texts()
    messages = make_messages(texts, options.messages, options.rooms, "floor")
    warm_up = make_messages(texts, 50, options.rooms, "warm")
    parser = ComplaintParser()
    parser.prepare()
    for message in warm_up:
        parser.parse(message.text)

    count = len(messages)
    raw = jieba_rate([m.text for m in messages], options.rounds)
    cut = first_cut_rate(parser, [m.text for m in messages], options.rounds)
    figures = {}
    for read_beforehand in (False, True):
        seconds, cpu = asyncio.run(
            run_floor(parser, messages, warm_up, options.burst, read_beforehand=read_beforehand)
        )
        figures[read_beforehand] = (count / seconds, cpu / count * 1000)

    print(f"messages: {count} in {options.rooms} rooms, bursts of {options.burst}")
    print(f"database: sqlite (SQLite {sqlite3.sqlite_version}, WAL, synchronous=NORMAL)")
    print(f"raw jieba.lcut                 {raw:8.0f} messages/s   ratio 1.000")
    print(f"first cut alone                {cut:8.0f} messages/s   ratio {cut / raw:.3f}")
    rate, cpu_ms = figures[False]
    print(
        f"durable path with first cut    {rate:8.0f} messages/s   ratio {rate / raw:.3f}"
        f"   ({cpu_ms:.3f} ms CPU a message)"
    )
    rate, cpu_ms = figures[True]
    print(
        f"durable path, cut beforehand   {rate:8.0f} messages/s   ratio {rate / raw:.3f}"
        f"   ({cpu_ms:.3f} ms CPU a message)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
