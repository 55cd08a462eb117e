"""A second process's view of a running bot: it posts group messages over the sandbox HTTP
interface, watches the room transcripts for the bot's replies, and reads the SQLite file
(read-only) to tell handled from lost.

The crash test, the load smoke test and `bench/load.py` share it, so "accepted", "handled"
and "lost" mean the same thing in all three. Nothing here imports the bot: what it knows of
the bot is the HTTP interface, the bot's message ids (`bot-<outbox id>`) and the tables.

It speaks HTTP through aiohttp, not httpx, because on the benchmark machine the client's CPU
is taken from the bot it measures (two cores for both): measured here against a trivial app,
a POST costs the client about 0.23 ms of CPU with aiohttp and 3.7 ms with httpx, so at the
200 messages/s target an httpx client alone would need a whole core.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import sqlite3
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import aiohttp
from rapidfuzz import fuzz

BOT_MESSAGE_PREFIX = "bot-"  # the sandbox keys the bot's replies as bot-<outbox id>
DATABASE_FILE = "tiaojie.sqlite3"
TRANSCRIPT_PAGE = 500  # the sandbox returns at most this many messages per request
SIMILARITY_LIMIT = 80  # the bot links complaints of >= 90 % similar text as duplicates
SENDER_PER_MINUTE = 10  # the bot's per-sender limit is 20 a minute (TIAOJIE_SENDER_...)
LATE_SEND_SECONDS = 0.05
WARM_UP_REPLY_SECONDS = 10.0
WARM_UP_POLL_SECONDS = 0.05  # between empty answers (a bot without long polls answers at once)
LONG_POLL_SECONDS = 10.0  # a transcript request waits this long for the room's next line
KEEPALIVE_SECONDS = 4.0  # idle connections are dropped before uvicorn's 5 s closes them
# inbox states and routes, as the bot stores them
RECEIVED, HANDLED, FAILED = "received", "handled", "failed"
SENT = "sent"  # outbox (FAILED as for the inbox); anything else is still on its way
COMPLAINT, RATE_LIMITED = "complaint", "rate_limited"

_SURNAMES = (
    "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史黎贺顾毛郝龚邵"
)
_LUCKY = "鑫源福顺兴隆盛泰丰和德昌荣华富康乐安宁美佳信诚"
_SHOP_TYPES = (
    *("饺子馆", "面馆", "超市", "理发店", "手机店", "水果店", "药房", "健身房", "洗衣店"),
    *("眼镜店", "烟酒店", "服装店", "鞋店", "茶叶店", "蛋糕店", "火锅店", "烧烤店", "便利店"),
    "五金店",
)
_ROADS = ("湖西路", "人民路", "解放路", "中山路", "建设路", "和平街", "文化路", "光明巷", "新华路")
_COMPLAINTS = (
    "【投诉】{road}{merchant}多收消费者{amount}元，要求退款，电话{phone}",
    "【消费投诉】消费者在{road}{merchant}买的东西质量有问题，花了{amount}元，要求退货退款。"
    "联系电话：{phone}",
    "投诉：{road}{merchant}办卡{amount}元后突然关门不通知，消费者要求退还剩余费用，电话{phone}",
    "12315转来：消费者反映{merchant}收费{amount}元但服务没做完，要求退款，联系电话{phone}",
    "【投诉】消费者称{road}{merchant}结账时多收了{amount}元，价格和标价不一致，"
    "要求退还差价，电话{phone}",
)
CHATTER = (
    "收到",
    "好的",
    "👍",
    "[图片]",
    "谢谢",
    "辛苦了",
    "收到，马上去看看",
    "好的，明天上午过去",
    "[语音]",
    "OK",
    "嗯嗯",
    "明白",
)


@dataclass(frozen=True)
class ChatMessage:
    """One message a person posts into a sandbox room."""

    message_id: str
    room_id: str
    sender_id: str
    sender_name: str
    text: str
    is_complaint: bool
    merchant: str | None = None

    def request_body(self) -> dict[str, object]:
        return {
            "message_id": self.message_id,
            "sender_id": self.sender_id,
            "sender_name": self.sender_name,
            "text": self.text,
            "mention_ids": [],
        }


class MessageFactory:
    """Complaints the bot must open one case each for, and chatter it must leave alone.

    Each complaint names a merchant no other complaint names and a phone number no other
    uses, and its wording is less than `SIMILARITY_LIMIT` % like any earlier complaint in
    its room, so the bot has no reason to link two of them as one.
    """

    def __init__(self, seed: int = 0, *, id_prefix: str = "msg", senders_per_room: int = 5) -> None:
        self._random = random.Random(seed)
        self._id_prefix = id_prefix
        self._senders = max(1, senders_per_room)
        self._turns: dict[tuple[str, str], int] = defaultdict(int)
        self._count = 0
        self._merchants = self._merchant_names()
        self._phones: set[str] = set()
        self._recent: dict[str, list[str]] = defaultdict(list)

    def _merchant_names(self) -> Iterator[str]:
        names = [f"{a}{b}记{kind}" for a in _SURNAMES for b in _LUCKY for kind in _SHOP_TYPES]
        self._random.shuffle(names)
        return iter(names)

    def _next_id(self) -> str:
        self._count += 1
        return f"{self._id_prefix}-{self._count:06d}"

    def _next_sender(self, room_id: str, kind: str) -> int:
        """Senders take turns, so none posts more than its share (the bot limits each)."""
        turn = self._turns[room_id, kind]
        self._turns[room_id, kind] = turn + 1
        return turn % self._senders

    def _phone(self) -> str:
        while True:
            phone = "1" + self._random.choice("3456789")
            phone += "".join(self._random.choice("0123456789") for _ in range(9))
            if phone not in self._phones:
                self._phones.add(phone)
                return phone

    def complaint(self, room_id: str) -> ChatMessage:
        merchant = next(self._merchants)
        recent = self._recent[room_id]
        for _ in range(50):
            phone = self._phone()
            text = self._random.choice(_COMPLAINTS).format(
                road=self._random.choice(_ROADS),
                merchant=merchant,
                amount=self._random.randint(20, 9000),
                phone=phone,
            )
            as_masked = text.replace(phone, f"{phone[:3]}****{phone[-4:]}")
            if all(fuzz.ratio(as_masked, other) < SIMILARITY_LIMIT for other in recent[-200:]):
                break
        recent.append(as_masked)
        worker = self._next_sender(room_id, "grid")
        return ChatMessage(
            message_id=self._next_id(),
            room_id=room_id,
            sender_id=f"grid-{worker}",
            sender_name=f"网格员{worker}号",
            text=text,
            is_complaint=True,
            merchant=merchant,
        )

    def chatter(self, room_id: str) -> ChatMessage:
        member = self._next_sender(room_id, "member")
        return ChatMessage(
            message_id=self._next_id(),
            room_id=room_id,
            sender_id=f"member-{member}",
            sender_name=f"群成员{member}",
            text=self._random.choice(CHATTER),
            is_complaint=False,
        )

    def mixed(
        self, count: int, *, rooms: Sequence[str], complaint_share: float
    ) -> list[ChatMessage]:
        """`count` messages spread over the rooms, complaints at the given share."""
        messages = []
        for index in range(count):
            room = rooms[index % len(rooms)]
            is_complaint = self._random.random() < complaint_share
            messages.append(self.complaint(room) if is_complaint else self.chatter(room))
        return messages


def room_ids(count: int, prefix: str = "room") -> list[str]:
    return [f"{prefix}-{index + 1}" for index in range(count)]


class ChatClient:
    """One aiohttp session to a bot's sandbox interface, for `async with`: it posts people's
    messages and reads transcript pages, over at most `connections` connections at a time
    (kept alive between requests); `timeout` bounds each request, the wait for a free
    connection included."""

    def __init__(self, base_url: str, *, timeout: float, connections: int) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> ChatClient:
        connector = aiohttp.TCPConnector(
            limit=self._connections, keepalive_timeout=KEEPALIVE_SECONDS
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            cookie_jar=aiohttp.DummyCookieJar(),  # the sandbox sets none: nothing to keep
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    @property
    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("ChatClient is used outside its `async with` block")
        return self._session

    async def post(self, message: ChatMessage) -> int | None:
        """POST one message; the HTTP status, or None when the connection failed."""
        url = f"{self.base_url}/sandbox/rooms/{message.room_id}/messages"
        session = self._open_session
        try:
            async with session.post(
                url, json=message.request_body(), allow_redirects=False
            ) as response:
                await response.read()  # a response read to the end frees its connection
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return None

    async def transcript_page(
        self, room_id: str, after: int = 0, *, wait: float = 0.0
    ) -> list[dict[str, object]]:
        """One page of the room's transcript rows after `after` (at most TRANSCRIPT_PAGE);
        with `wait`, an empty room is given that many seconds to get a row.

        Raises aiohttp.ClientError for a failed request or a status other than 2xx,
        TimeoutError past the timeout, ValueError for a body that is not JSON."""
        url = f"{self.base_url}/sandbox/rooms/{room_id}/messages?after={after}"
        if wait > 0:
            url += f"&wait={wait}"
        async with self._open_session.get(url, allow_redirects=False) as response:
            body = await response.read()  # read to the end, so the connection is reused
            if not 200 <= response.status < 300:
                raise aiohttp.ClientResponseError(
                    response.request_info,
                    response.history,
                    status=response.status,
                    message=response.reason or "",
                    headers=response.headers,
                )
        return list(json.loads(body)["messages"])


async def post_message(client: ChatClient, message: ChatMessage) -> int | None:
    """POST one message; the HTTP status, or None when the connection failed."""
    return await client.post(message)


async def fetch_transcript(
    client: ChatClient, room_id: str, after: int = 0, *, wait: float = 0.0
) -> list[dict[str, object]]:
    """Every transcript row of the room after `after`, following the pages. With `wait`,
    a room with nothing after `after` is given that many seconds to get a row."""
    rows: list[dict[str, object]] = []
    while True:
        page = await client.transcript_page(room_id, after, wait=wait)
        rows += page
        if len(page) < TRANSCRIPT_PAGE:
            return rows
        after = int(page[-1]["seq"])  # type: ignore[call-overload]
        wait = 0.0  # the next page may be empty: nothing to wait for


def is_bot_message(row: dict[str, object]) -> bool:
    return str(row["message_id"]).startswith(BOT_MESSAGE_PREFIX)


class TranscriptWatcher:
    """One long poll per room records when each bot message first appeared (monotonic time).

    Each room always has a request out, answered as soon as the room has a new line (or
    after `wait` quiet seconds). After an answer with lines, and after a failure, the
    room's next request waits `poll_interval`, as the fixed-interval poller this replaces
    did after every answer: a busy room costs no more requests than it did and no line is
    seen later than then; a quiet room costs one request per `wait`, and a line arriving
    while the request is out is seen at once. (A bot that answers an empty room without
    waiting, an older one, is asked every `poll_interval` as before.)

    A bot message may carry several queued replies (the sender merges a room's backlog);
    the outbox rows it carried all name its transcript id as their platform message id.
    """

    def __init__(
        self,
        client: ChatClient,
        rooms: Sequence[str],
        *,
        poll_interval: float,
        wait: float = LONG_POLL_SECONDS,
    ) -> None:
        self._client = client
        self._rooms = list(rooms)
        self._poll_interval = poll_interval
        self._wait = wait
        self.first_seen: dict[str, float] = {}  # transcript message id -> when first seen
        self.poll_errors = 0
        self.requests = 0  # transcript requests made, all rooms together
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._watch(room)) for room in self._rooms]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _watch(self, room: str) -> None:
        after = 0
        while True:
            self.requests += 1
            asked_at = time.monotonic()
            try:
                page = await self._client.transcript_page(room, after, wait=self._wait)
            except (aiohttp.ClientError, TimeoutError, ValueError):
                self.poll_errors += 1
                await asyncio.sleep(self._poll_interval)
                continue
            seen_at = time.monotonic()
            for row in page:
                after = max(after, int(row["seq"]))  # type: ignore[call-overload]
                if is_bot_message(row):
                    self.first_seen.setdefault(str(row["message_id"]), seen_at)
            if len(page) >= TRANSCRIPT_PAGE:
                continue  # more rows are waiting: ask at once
            if page or seen_at - asked_at < self._wait:  # empty early: the bot did not wait
                await asyncio.sleep(self._poll_interval)


@dataclass(frozen=True)
class Reply:
    """An outbox row: which bot message carried it, and when it was marked sent."""

    outbox_id: int
    state: str
    platform_message_id: str | None
    sent_at: datetime | None


@dataclass(frozen=True)
class InboxRow:
    inbox_id: int
    state: str
    route: str | None
    error: str | None
    received_at: datetime
    handled_at: datetime | None


class DatabaseView:
    """Read-only queries on the bot's SQLite file, safe while the bot writes to it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def of_data_dir(cls, data_dir: Path) -> DatabaseView:
        return cls(data_dir / DATABASE_FILE)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=10)) as connection:
            yield connection

    def rows(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._connection() as connection:
            return list(connection.execute(sql, parameters))

    def inbox(self) -> dict[str, InboxRow]:
        """Inbox rows by platform message id."""
        rows = self.rows(
            "SELECT message_id, id, state, route, error, received_at, handled_at FROM inbox"
        )
        return {
            str(message_id): InboxRow(
                int(inbox_id),  # type: ignore[call-overload]
                str(state),
                None if route is None else str(route),
                None if error is None else str(error),
                _timestamp(received_at),
                None if handled_at is None else _timestamp(handled_at),
            )
            for message_id, inbox_id, state, route, error, received_at, handled_at in rows
        }

    def inbox_message_counts(self) -> dict[str, int]:
        rows = self.rows("SELECT message_id, count(*) FROM inbox GROUP BY message_id")
        return {str(message_id): int(n) for message_id, n in rows}  # type: ignore[call-overload]

    def replies_by_message(self) -> dict[str, list[Reply]]:
        """The replies each incoming message caused, in outbox order."""
        rows = self.rows(
            "SELECT i.message_id, o.id, o.state, o.platform_message_id, o.sent_at "
            "FROM outbox o JOIN inbox i ON i.id = o.cause_inbox_id ORDER BY o.id"
        )
        replies: dict[str, list[Reply]] = defaultdict(list)
        for message_id, outbox_id, state, platform_id, sent_at in rows:
            replies[str(message_id)].append(
                Reply(
                    int(outbox_id),  # type: ignore[call-overload]
                    str(state),
                    None if platform_id is None else str(platform_id),
                    None if sent_at is None else _timestamp(sent_at),
                )
            )
        return dict(replies)

    def cases_by_source(self) -> dict[str, list[str]]:
        """Case numbers opened from each incoming message."""
        rows = self.rows("SELECT source_message_id, number FROM cases ORDER BY id")
        cases: dict[str, list[str]] = defaultdict(list)
        for message_id, number in rows:
            cases[str(message_id)].append(str(number))
        return dict(cases)

    def outbox_states(self, *, replies_only: bool = False) -> dict[str, int]:
        """Outbox rows by state; `replies_only`: the bot's answers to messages, without what
        it posts on its own (staff alerts such as a category's spike)."""
        where = " WHERE cause_inbox_id IS NOT NULL" if replies_only else ""
        rows = self.rows(f"SELECT state, count(*) FROM outbox{where} GROUP BY state")
        return {str(state): int(n) for state, n in rows}  # type: ignore[call-overload]


def _timestamp(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


# --- a load run


@dataclass(frozen=True)
class LoadPlan:
    rate: float = 200.0  # messages per second, all rooms together
    seconds: float = 60.0
    rooms: int = 4
    complaint_share: float = 0.3
    settle_seconds: float = 60.0  # after the last send, how long to wait for handling
    poll_interval: float = 0.05  # pause before a room's next transcript request after lines
    max_in_flight: int = 256
    seed: int = 0
    run_tag: str = "load"
    warmup_messages: int = 10  # answered one by one before the clock starts

    @property
    def count(self) -> int:
        return max(1, round(self.rate * self.seconds))

    @property
    def senders_per_room(self) -> int:
        """Enough people per room that none posts more than SENDER_PER_MINUTE a minute."""
        per_room_per_minute = self.rate * min(self.seconds, 60.0) / max(self.rooms, 1)
        return max(5, math.ceil(per_room_per_minute / SENDER_PER_MINUTE))


@dataclass
class SendResult:
    message: ChatMessage
    sent_at: float
    status: int | None = None
    answered_at: float | None = None

    @property
    def accepted(self) -> bool:
        return self.status == 202


@dataclass
class LoadReport:
    plan: LoadPlan
    sent: int
    accepted: int
    rejected: dict[str, int]
    send_seconds: float
    post_latencies: list[float]
    late_sends: int  # sends that left more than 50 ms after their slot (client too slow)
    measured: bool = False  # False when the database could not be read
    handled: int = 0
    processing_seconds: float = 0.0
    lost: list[str] = field(default_factory=list)  # accepted, then not stored or given up
    queued: list[str] = field(default_factory=list)  # accepted, still unhandled at the end
    complaints_accepted: int = 0
    complaints_replied: int = 0
    replies_lost: list[str] = field(default_factory=list)  # none written, failed, or unseen
    replies_waiting: list[str] = field(default_factory=list)  # still in the outbox at the end
    replied_unwatched: int = 0  # shown, but only found after the watcher stopped
    extra_replies: int = 0  # complaints that got more than one reply
    not_routed_as_complaint: int = 0
    reply_latencies: list[float] = field(default_factory=list)  # 202 -> reply seen by watcher
    server_latencies: list[float] = field(default_factory=list)  # inbox received -> sent
    rate_limited: int = 0  # handled as over the per-sender limit (the load was mis-shaped)
    poll_errors: int = 0
    bot_messages_seen: int = 0
    transcript_requests: int = 0  # the watcher's, from its start to its stop
    transcript_requests_sending: int = 0  # of those, made while the messages were sent

    @property
    def accepted_per_second(self) -> float:
        return self.accepted / self.send_seconds if self.send_seconds > 0 else 0.0

    @property
    def transcript_requests_per_second(self) -> float:
        """How often the watcher asked for transcript lines while the messages were sent."""
        if self.send_seconds <= 0:
            return 0.0
        return self.transcript_requests_sending / self.send_seconds

    @property
    def processed_per_second(self) -> float:
        return self.handled / self.processing_seconds if self.processing_seconds > 0 else 0.0

    @property
    def losses(self) -> int:
        """Accepted messages or complaint replies that will never arrive."""
        return len(self.lost) + len(self.replies_lost)

    @property
    def backlog(self) -> int:
        """Work still waiting when the run stopped waiting (not lost, not done either)."""
        return len(self.queued) + len(self.replies_waiting)

    def reply_p(self, quantile: float) -> float | None:
        return percentile(self.reply_latencies, quantile)

    def meets(self, *, rate: float, p99_ms: float) -> bool:
        p99 = self.reply_p(0.99)
        return (
            self.measured
            and self.losses == 0
            and self.backlog == 0
            and self.accepted == self.sent
            and self.accepted_per_second >= 0.95 * rate
            and self.processed_per_second >= 0.95 * rate
            and p99 is not None
            and p99 * 1000 <= p99_ms
        )


def percentile(values: Sequence[float], quantile: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(quantile * len(ordered))))
    return ordered[rank - 1]


async def run_load(base_url: str, plan: LoadPlan, *, database: DatabaseView | None) -> LoadReport:
    """Send `plan.count` messages at `plan.rate`, wait for them to be handled, and measure."""
    rooms = room_ids(plan.rooms, prefix=f"{plan.run_tag}-room")
    factory = MessageFactory(
        plan.seed, id_prefix=plan.run_tag, senders_per_room=plan.senders_per_room
    )
    messages = factory.mixed(plan.count, rooms=rooms, complaint_share=plan.complaint_share)
    connections = plan.max_in_flight + len(rooms)  # every send and every room's long poll
    async with ChatClient(base_url, timeout=30.0, connections=connections) as client:
        await _warm_up(client, factory, plan.warmup_messages)
        watcher = TranscriptWatcher(client, rooms, poll_interval=plan.poll_interval)
        watcher.start()
        try:
            requests_before = watcher.requests
            results, send_seconds, late = await _send_at_rate(client, messages, plan)
            requests_sending = watcher.requests - requests_before
            accepted = [r for r in results if r.accepted]
            if database is not None:
                await _wait_until_settled(database, accepted, watcher, plan.settle_seconds)
        finally:
            await watcher.stop()
        shown: set[str] = set()
        if database is not None:  # the whole transcripts, for replies the watcher missed
            for room in rooms:
                rows = await fetch_transcript(client, room)
                shown |= {str(row["message_id"]) for row in rows if is_bot_message(row)}
    report = LoadReport(
        plan=plan,
        sent=len(results),
        accepted=len(accepted),
        rejected=_rejections(results),
        send_seconds=send_seconds,
        post_latencies=[r.answered_at - r.sent_at for r in results if r.answered_at],
        late_sends=late,
        poll_errors=watcher.poll_errors,
        bot_messages_seen=len(watcher.first_seen),
        transcript_requests=watcher.requests,
        transcript_requests_sending=requests_sending,
    )
    if database is not None:
        _measure(report, database, accepted, watcher.first_seen, shown)
    return report


async def _warm_up(client: ChatClient, factory: MessageFactory, count: int) -> None:
    """A few complaints, one at a time, each until its reply shows: first calls are slow
    (statement caches, the parser's first cut) and are not what the run measures."""
    after = 0
    for _ in range(count):
        message = factory.complaint("warm-up-room")
        if await post_message(client, message) != 202:
            continue
        deadline = time.monotonic() + WARM_UP_REPLY_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            rows = await fetch_transcript(
                client, message.room_id, after, wait=min(left, LONG_POLL_SECONDS)
            )
            if not rows:
                await asyncio.sleep(WARM_UP_POLL_SECONDS)
                continue
            after = int(rows[-1]["seq"])  # type: ignore[call-overload]
            if message.merchant and any(
                is_bot_message(row) and message.merchant in str(row["text"]) for row in rows
            ):
                break


async def _send_at_rate(
    client: ChatClient, messages: Sequence[ChatMessage], plan: LoadPlan
) -> tuple[list[SendResult], float, int]:
    """Open loop: message i leaves at start + i / rate, whatever the server is doing."""
    in_flight = asyncio.Semaphore(plan.max_in_flight)
    results: list[SendResult] = []
    tasks: list[asyncio.Task[None]] = []
    late = 0

    async def send(result: SendResult) -> None:
        try:
            result.status = await post_message(client, result.message)
            result.answered_at = time.monotonic()
        finally:
            in_flight.release()

    start = time.monotonic()
    for index, message in enumerate(messages):
        slot = start + index / plan.rate
        delay = slot - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await in_flight.acquire()
        now = time.monotonic()
        if now - slot > LATE_SEND_SECONDS:
            late += 1
        result = SendResult(message, sent_at=now)
        results.append(result)
        tasks.append(asyncio.create_task(send(result)))
    await asyncio.gather(*tasks)
    answered = [r.answered_at for r in results if r.answered_at is not None]
    send_seconds = (max(answered) if answered else time.monotonic()) - start
    return results, send_seconds, late


def _rejections(results: Sequence[SendResult]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for result in results:
        if not result.accepted:
            counts["no connection" if result.status is None else str(result.status)] += 1
    return dict(counts)


def _reply_seen(replies: Sequence[Reply], first_seen: dict[str, float]) -> float | None:
    """When the first of these replies appeared in the transcript, if it did."""
    seen = [
        first_seen[reply.platform_message_id]
        for reply in replies
        if reply.platform_message_id in first_seen
    ]
    return min(seen, default=None)


async def _wait_until_settled(
    database: DatabaseView,
    accepted: Sequence[SendResult],
    watcher: TranscriptWatcher,
    settle_seconds: float,
) -> None:
    """Poll until every accepted message is handled and every complaint's reply was seen."""
    deadline = time.monotonic() + settle_seconds
    wanted = {r.message.message_id for r in accepted}
    complaints = {r.message.message_id for r in accepted if r.message.is_complaint}
    while time.monotonic() < deadline:
        inbox = await asyncio.to_thread(database.inbox)
        if all(m in inbox and inbox[m].state != RECEIVED for m in wanted):
            replies = await asyncio.to_thread(database.replies_by_message)
            seen = watcher.first_seen
            if all(_reply_seen(replies.get(m, ()), seen) is not None for m in complaints):
                return
        await asyncio.sleep(0.2)


def _measure(
    report: LoadReport,
    database: DatabaseView,
    accepted: Sequence[SendResult],
    first_seen: dict[str, float],
    shown: set[str],
) -> None:
    inbox = database.inbox()
    replies = database.replies_by_message()
    report.measured = True
    handled_rows = []
    for result in accepted:
        message = result.message
        row = inbox.get(message.message_id)
        if row is None or row.state == FAILED:
            report.lost.append(message.message_id)
            continue
        if row.state != HANDLED:
            report.queued.append(message.message_id)
            continue
        handled_rows.append(row)
        report.rate_limited += int(row.route == RATE_LIMITED)
        if message.is_complaint:
            report.complaints_accepted += 1
            report.not_routed_as_complaint += int(row.route != COMPLAINT)
            _measure_reply(
                report, result, row, replies.get(message.message_id, []), first_seen, shown
            )
    report.handled = len(handled_rows)
    if handled_rows:
        first = min(row.received_at for row in handled_rows)
        last = max(row.handled_at or row.received_at for row in handled_rows)
        report.processing_seconds = max((last - first).total_seconds(), 1e-3)


def _measure_reply(
    report: LoadReport,
    result: SendResult,
    row: InboxRow,
    own: Sequence[Reply],
    first_seen: dict[str, float],
    shown: set[str],
) -> None:
    """Sort one handled complaint's reply into replied, waiting or lost."""
    message_id = result.message.message_id
    seen = _reply_seen(own, first_seen)
    if seen is not None and result.answered_at is not None:
        report.complaints_replied += 1
        report.extra_replies += int(len(own) > 1)
        report.reply_latencies.append(max(0.0, seen - result.answered_at))
        if own[0].sent_at is not None:
            report.server_latencies.append((own[0].sent_at - row.received_at).total_seconds())
    elif any(reply.platform_message_id in shown for reply in own):
        report.complaints_replied += 1
        report.replied_unwatched += 1
    elif any(reply.state not in (SENT, FAILED) for reply in own):  # pending, being sent
        report.replies_waiting.append(message_id)
    else:  # no reply written, delivery given up, or marked sent but never shown
        report.replies_lost.append(message_id)


def format_report(report: LoadReport, *, target_rate: float, target_p99_ms: float) -> str:
    """The figures and their ratio to the targets, for people."""
    plan = report.plan

    def ms(value: float | None) -> str:
        return "n/a" if value is None else f"{value * 1000:.0f} ms"

    def ratio(value: float, target: float) -> str:
        return f"{value / target:.2f}× target" if target else ""

    lines = [
        f"plan          {plan.count} messages at {plan.rate:g}/s for {plan.seconds:g} s, "
        f"{plan.rooms} rooms, complaints {plan.complaint_share:.0%}",
        f"accepted      {report.accepted}/{report.sent} in {report.send_seconds:.1f} s = "
        f"{report.accepted_per_second:.1f}/s ({ratio(report.accepted_per_second, target_rate)})"
        + (f"; not accepted: {report.rejected}" if report.rejected else ""),
        f"POST          p50 {ms(percentile(report.post_latencies, 0.5))}, "
        f"p99 {ms(percentile(report.post_latencies, 0.99))}; "
        f"late sends (client behind schedule) {report.late_sends}",
        f"following     {report.transcript_requests_sending} transcript requests while sending "
        f"= {report.transcript_requests_per_second:.1f}/s for {plan.rooms} rooms "
        f"({report.transcript_requests} in all)",
    ]
    if not report.measured:
        lines.append("processing    not measured (no database file to read; pass --db)")
        lines.append(f"bot messages  {report.bot_messages_seen} seen in the transcripts")
        return "\n".join(lines)
    p99 = report.reply_p(0.99)
    p99_ratio = (
        f" ({p99 * 1000 / target_p99_ms:.2f}× the {target_p99_ms:g} ms limit)" if p99 else ""
    )
    lines += [
        f"processed     {report.handled} handled in {report.processing_seconds:.1f} s = "
        f"{report.processed_per_second:.1f}/s ({ratio(report.processed_per_second, target_rate)})",
        f"accept→reply  p50 {ms(report.reply_p(0.5))}, p99 {ms(p99)}{p99_ratio}, "
        f"max {ms(max(report.reply_latencies, default=None))}; "
        f"n={len(report.reply_latencies)} complaints, seen by long polls with "
        f"{plan.poll_interval * 1000:.0f} ms pauses after lines",
        f"server-side   inbox received → reply sent: "
        f"p50 {ms(percentile(report.server_latencies, 0.5))}, "
        f"p99 {ms(percentile(report.server_latencies, 0.99))}",
        f"losses        {report.losses} (target 0): {len(report.lost)} accepted messages not "
        f"stored or given up, {len(report.replies_lost)} of {report.complaints_accepted} "
        f"complaints whose reply was never shown",
        f"backlog       {len(report.queued)} messages and {len(report.replies_waiting)} replies "
        f"still queued when the run stopped waiting ({plan.settle_seconds:g} s after the last "
        f"send)",
        f"checks        {report.extra_replies} complaints with more than one reply, "
        f"{report.not_routed_as_complaint} complaints not routed as complaints, "
        f"{report.rate_limited} rate-limited, {report.poll_errors} poll errors, "
        f"{report.bot_messages_seen} bot messages for {report.complaints_replied} replies, "
        f"{report.replied_unwatched} replies found only after the watcher stopped",
    ]
    if report.reply_latencies:
        mean = statistics.fmean(report.reply_latencies)
        lines.append(f"              mean accept→reply {mean * 1000:.0f} ms")
    return "\n".join(lines)
