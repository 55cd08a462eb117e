"""Start-up: the bot answers /healthz and accepts messages while jieba's dictionary loads,
handles them (in arrival order) once it is loaded, and stops cleanly at any point of that.

The parser in these tests is the real one, held at the door of `prepare` by an event the
test opens, so "still loading" is a state the test controls rather than a race it hopes for.
"""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.app import BotApp
from bot.settings import Settings
from mediation.clock import ManualClock
from mediation.parsing import ComplaintParser
from storage.db import create_engine
from storage.models import Case, InboxMessage
from storage.schema import MIGRATION_VERSIONS, ensure_schema_at_head, head_revision

from .conversation import GRID_WORKER
from .server import start_server

REPO = Path(__file__).resolve().parents[1]
ROOM = "room-huxi"
FIRST_COMPLAINT = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678"
SECOND_COMPLAINT = "【投诉】湖东路李记面馆多收消费者30元，要求退款，电话13912345678"


class HeldParser(ComplaintParser):
    """The real parser, whose `prepare` waits until the test lets it load."""

    def __init__(self, cache_dir: Path) -> None:
        super().__init__(cache_dir=cache_dir)
        self.release = threading.Event()
        self.waiting = threading.Event()

    def prepare(self) -> None:
        self.waiting.set()
        self.release.wait()
        super().prepare()


@asynccontextmanager
async def loading_bot(
    settings: Settings, clock: ManualClock
) -> AsyncIterator[tuple[BotApp, HeldParser, httpx.AsyncClient]]:
    """A bot started the way `tiaojie run` starts it, its parser held until released."""
    parser = HeldParser(settings.data_dir / "cache")
    bot = BotApp(settings, clock=clock, parser=parser)
    web = bot.web_app(serve_while_loading=True)
    try:
        async with web.router.lifespan_context(web):
            transport = httpx.ASGITransport(app=web)
            async with httpx.AsyncClient(transport=transport, base_url="http://t.test") as http:
                yield bot, parser, http
    finally:
        parser.release.set()  # a thread still waiting must not outlive the test


async def post(http: httpx.AsyncClient, text: str) -> None:
    body = {"sender_id": GRID_WORKER.id, "sender_name": GRID_WORKER.name, "text": text}
    response = await http.post(f"/sandbox/rooms/{ROOM}/messages", json=body)
    assert response.status_code == 202, response.text


async def bot_replies(bot: BotApp, http: httpx.AsyncClient) -> list[str]:
    response = await http.get(f"/sandbox/rooms/{ROOM}/messages")
    messages = response.json()["messages"]
    return [m["text"] for m in messages if m["sender_id"] == bot.settings.bot_id]


async def inbox_states(bot: BotApp) -> list[str]:
    async with bot.sessions() as session:
        return list(await session.scalars(select(InboxMessage.state).order_by(InboxMessage.id)))


async def test_healthz_answers_while_the_parser_loads_and_a_message_accepted_then_is_handled(
    settings: Settings, clock: ManualClock
) -> None:
    async with loading_bot(settings, clock) as (bot, parser, http):
        await asyncio.to_thread(parser.waiting.wait)

        health = await http.get("/healthz")
        assert health.status_code == 200
        assert health.json() == {
            "ok": True,
            "database": True,
            "disk": True,
            "gateway": True,
            "gateway_state": "online",
            "parser": "loading",
        }
        await post(http, FIRST_COMPLAINT)
        assert await inbox_states(bot) == ["received"]  # committed, waiting for the parser
        assert await bot_replies(bot, http) == []

        parser.release.set()
        await bot.settle()

        assert (await http.get("/healthz")).json()["parser"] == "ready"
        assert await inbox_states(bot) == ["handled"]
        replies = await bot_replies(bot, http)
        assert len(replies) == 1 and "CY-202606-0001" in replies[0]
        assert "138****5678" in replies[0]


async def test_messages_from_before_a_restart_are_handled_before_those_accepted_while_loading(
    settings: Settings, clock: ManualClock
) -> None:
    async with loading_bot(settings, clock) as (bot, parser, http):
        await post(http, FIRST_COMPLAINT)  # then the bot stops before its parser is ready
    assert bot.parser_state == "loading"

    async with loading_bot(settings, clock) as (bot, parser, http):
        await post(http, SECOND_COMPLAINT)
        parser.release.set()
        await bot.settle()

        replies = await bot_replies(bot, http)
        assert len(replies) == 2
        assert "CY-202606-0001" in replies[0] and "张记饺子馆" in replies[0]
        assert "CY-202606-0002" in replies[1] and "李记面馆" in replies[1]
        async with bot.sessions() as session:
            assert len(list(await session.scalars(select(Case)))) == 2


async def test_stopping_while_the_parser_loads_leaves_no_task_behind(
    settings: Settings, clock: ManualClock
) -> None:
    async with loading_bot(settings, clock) as (bot, parser, http):
        await asyncio.to_thread(parser.waiting.wait)
        await post(http, FIRST_COMPLAINT)
    assert not bot.scheduler.running
    unfinished = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    assert [task.get_name() for task in unfinished] == []


class UnloadableParser(ComplaintParser):
    """A parser whose dictionary cannot be loaded (a full disk, a damaged cache)."""

    def prepare(self) -> None:
        raise OSError("No space left on device")


async def test_a_parser_that_cannot_load_makes_healthz_fail_and_keeps_messages(
    settings: Settings, clock: ManualClock
) -> None:
    bot = BotApp(settings, clock=clock, parser=UnloadableParser())
    web = bot.web_app(serve_while_loading=True)
    async with web.router.lifespan_context(web):
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://t.test") as http:
            await post(http, FIRST_COMPLAINT)
            with pytest.raises(OSError):
                await bot.until_ready()

            health = await http.get("/healthz")
            assert health.status_code == 503
            assert health.json()["parser"] == "failed"
            assert await inbox_states(bot) == ["received"]


def test_tiaojie_run_stopped_right_after_its_first_healthy_answer_exits_0(tmp_path: Path) -> None:
    """On a new data directory jieba's cache is still being built when /healthz first says
    200; SIGTERM then must not wait for handling to start, nor print a traceback."""
    server = start_server(tmp_path / "data")
    parser_state = httpx.get(f"{server.base_url}/healthz").json()["parser"]
    assert server.stop() == 0, server.tail()
    assert "Traceback" not in server.log(), server.log()
    assert parser_state in ("loading", "ready")


def test_stopping_tiaojie_answers_an_open_transcript_long_poll_instead_of_sitting_it_out(
    tmp_path: Path,
) -> None:
    """A sandbox page follows its room with a long poll, and uvicorn waits for open requests
    before it stops: the poll must be answered at once, not waited out (30 s here, more
    than `stop` allows)."""
    server = start_server(tmp_path / "data")
    rooms = f"{server.base_url}/sandbox/rooms"
    answers: list[httpx.Response] = []
    follower = threading.Thread(
        target=lambda: answers.append(
            httpx.get(f"{rooms}/quiet-room/messages", params={"wait": 30}, timeout=90)
        )
    )
    follower.start()
    # a reply in another room is a round trip through the bot: by the time it is shown,
    # the server has long read the open poll
    posted = {"sender_id": GRID_WORKER.id, "sender_name": GRID_WORKER.name, "text": "/帮助"}
    assert httpx.post(f"{rooms}/{ROOM}/messages", json=posted).status_code == 202
    shown: list[dict[str, object]] = []
    while not any(line["sender_id"] != GRID_WORKER.id for line in shown):
        reply = httpx.get(f"{rooms}/{ROOM}/messages", params={"wait": 10}, timeout=30)
        shown = reply.json()["messages"]

    assert server.stop() == 0, server.tail()
    follower.join(timeout=30)
    assert answers and answers[0].status_code == 200
    assert answers[0].json() == {"messages": []}


def test_importing_the_app_leaves_what_it_needs_only_later_unloaded() -> None:
    """Charts (once a month), workbooks (/export), Alembic (a schema change), jieba (the
    parser's loading thread), page templates and the scheduler (after start-up): the web
    server should not wait for any of them."""
    heavy = ("matplotlib", "openpyxl", "numpy", "alembic", "jieba", "jinja2", "apscheduler")
    check = f"import sys, bot.app; print([m for m in {heavy!r} if m in sys.modules])"
    loaded = subprocess.run(
        [sys.executable, "-c", check], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_the_head_read_from_the_revision_files_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    assert (
        head_revision(MIGRATION_VERSIONS)
        == ScriptDirectory.from_config(alembic_config()).get_current_head()
    )


@pytest.mark.parametrize(
    "files",
    [
        {
            "a.py": 'revision = "1"\ndown_revision = None',
            "b.py": 'revision = "2"\ndown_revision = "1"',
            "c.py": 'revision = "3"\ndown_revision = "1"',
        },
        {
            "a.py": 'revision = "1"\ndown_revision = None',
            "b.py": 'revision = "2"\ndown_revision = "9"',
        },
        {"a.py": 'revision = "1"\ndown_revision = None\nbranch_labels = ("x",)'},
        {"a.py": "revision = make_id()\ndown_revision = None"},
        {"a.py": "def upgrade(:"},
    ],
    ids=["two heads", "unknown parent", "branch label", "computed id", "syntax error"],
)
def test_revision_files_alembic_must_judge_give_no_head(
    tmp_path: Path, files: dict[str, str]
) -> None:
    for name, source in files.items():
        (tmp_path / name).write_text(source, encoding="utf-8")
    assert head_revision(tmp_path) is None


def test_a_merge_revision_is_the_one_head(tmp_path: Path) -> None:
    sources = {
        "a.py": 'revision = "1"\ndown_revision = None',
        "b.py": 'revision = "2"\ndown_revision = "1"',
        "c.py": 'revision = "3"\ndown_revision = "1"',
        "d.py": 'revision = "4"\ndown_revision = ("2", "3")',
    }
    for name, source in sources.items():
        (tmp_path / name).write_text(source, encoding="utf-8")
    assert head_revision(tmp_path) == "4"


async def test_schema_check_migrates_a_new_database_and_then_finds_it_at_head(
    tmp_path: Path,
) -> None:
    from storage.migrate import upgrade_to_head

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'new.sqlite3'}")
    try:
        await ensure_schema_at_head(engine)
        async with engine.connect() as connection:
            version = await connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert [row[0] for row in version] == [head_revision(MIGRATION_VERSIONS)]
        await ensure_schema_at_head(engine)  # at head: nothing to do, nothing fails
        await upgrade_to_head(engine)  # and Alembic agrees
    finally:
        await engine.dispose()


def test_restart_on_a_database_at_head_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    script = (
        "import asyncio, sys\n"
        "from storage.schema import ensure_schema_at_head\n"
        "from storage.db import create_engine\n"
        "async def main():\n"
        f"    engine = create_engine({url!r})\n"
        "    await ensure_schema_at_head(engine)\n"
        "    await engine.dispose()\n"
        "asyncio.run(main())\n"
        "print('alembic' in sys.modules)\n"
    )

    def run() -> str:
        return subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()

    assert run() == "True"  # a new database: Alembic creates the schema
    assert run() == "False"  # a restart: the version row matches the files' head


@pytest.mark.parametrize(
    ("setting", "logged"), [({}, False), ({"TIAOJIE_ACCESS_LOG": "true"}, True)]
)
def test_http_requests_are_logged_one_line_each_only_when_asked(
    tmp_path: Path, setting: dict[str, str], logged: bool
) -> None:
    server = start_server(tmp_path / "data", env=setting)  # it asked /healthz until ready
    assert server.stop() == 0, server.tail()
    assert ('"GET /healthz HTTP/1.1" 200' in server.log()) is logged, server.log()


@pytest.mark.parametrize("own_process", [False, True])
async def test_a_bot_in_a_process_of_its_own_leaves_what_it_loaded_out_of_garbage_collection(
    settings: Settings, clock: ManualClock, own_process: bool
) -> None:
    gc.unfreeze()
    app = BotApp(settings, clock=clock, freeze_loaded_objects=own_process)
    try:
        await app.start()
        assert (gc.get_freeze_count() > 0) is own_process  # `tiaojie run` passes True
    finally:
        await app.stop()
        gc.unfreeze()  # the rest of the test session collects as usual
