"""Following a sandbox room with long polls: `GET …/messages?after=N&wait=S`.

A request that finds nothing new waits for the room's next line instead of coming back on a
timer. The tests drive the real app over ASGI and count event-loop turns, never seconds: a
waiter that is woken answers within a few turns, one that is not woken would need a whole
second of wall time (the gateway's recheck) to answer by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.app import BotApp
from bot.sandbox import SandboxGateway
from mediation.clock import ManualClock

from .conversation import GRID_WORKER, Group

COMPLAINT = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678"
LOOP_TURNS = 2000  # far more than a woken request needs


def url(room_id: str) -> str:
    return f"/sandbox/rooms/{room_id}/messages"


def sandbox_of(bot: BotApp) -> SandboxGateway:
    assert bot.sandbox is not None
    return bot.sandbox


async def turns_until(condition: Callable[[], bool]) -> None:
    """Let the event loop run until `condition` holds, for at most LOOP_TURNS turns."""
    for _ in range(LOOP_TURNS):
        if condition():
            return
        await asyncio.sleep(0)  # one turn of the loop, not a pause
    assert condition()


def lines_of(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return list(response.json()["messages"])


async def reader_waiting(
    http: httpx.AsyncClient, sandbox: SandboxGateway, room_id: str, *, wait: float, after: int = 0
) -> asyncio.Task[httpx.Response]:
    """A request for the room's next lines, returned once it waits for them."""
    reader = asyncio.create_task(http.get(url(room_id), params={"after": after, "wait": wait}))
    await turns_until(lambda: sandbox.waiters_by_room().get(room_id, 0) >= 1)
    return reader


async def say(bot: BotApp, http: httpx.AsyncClient, room_id: str, text: str) -> None:
    """A member posts a line; the bot handles it before the test goes on."""
    await Group(bot, http, room_id=room_id).say(GRID_WORKER, text)


async def test_waiting_reader_gets_the_bots_reply_when_it_is_sent(
    bot: BotApp, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    sandbox = sandbox_of(bot)
    group = Group(bot, http, room_id="room-wait")
    sandbox.faults.refuse_next = 1  # the reply waits in the outbox until the retry below
    await group.say(GRID_WORKER, COMPLAINT)
    (complaint,) = await group.transcript()

    waiter = await reader_waiting(http, sandbox, "room-wait", wait=10, after=complaint["seq"])
    assert sandbox.waiters_by_room() == {"room-wait": 1}
    assert not waiter.done()
    clock.advance(timedelta(minutes=1))
    assert await bot.sender.deliver_due() == 1
    await turns_until(waiter.done)

    (reply,) = lines_of(waiter.result())
    assert reply["sender_id"] == bot.settings.bot_id
    assert "CY-202606-0001" in str(reply["text"])
    assert sandbox.waiters_by_room() == {}


async def test_every_reader_waiting_on_a_room_wakes_for_its_next_line(
    bot: BotApp, http: httpx.AsyncClient
) -> None:
    sandbox = sandbox_of(bot)
    waiters = [
        asyncio.create_task(http.get(url("room-many"), params={"after": 0, "wait": 10}))
        for _ in range(3)
    ]
    await turns_until(lambda: sandbox.waiters_by_room() == {"room-many": 3})

    await say(bot, http, "room-many", "收到")
    await turns_until(lambda: all(waiter.done() for waiter in waiters))

    for waiter in waiters:
        assert [line["text"] for line in lines_of(waiter.result())] == ["收到"]
    assert sandbox.waiters_by_room() == {}


async def test_a_line_in_another_room_does_not_wake_a_reader(
    bot: BotApp, http: httpx.AsyncClient
) -> None:
    sandbox = sandbox_of(bot)
    waiter = await reader_waiting(http, sandbox, "room-quiet", wait=10)
    assert sandbox.waiters_by_room() == {"room-quiet": 1}

    await say(bot, http, "room-busy", "好的")
    for _ in range(50):
        await asyncio.sleep(0)
    assert not waiter.done()
    assert sandbox.waiters_by_room() == {"room-quiet": 1}

    await say(bot, http, "room-quiet", "收到")
    await turns_until(waiter.done)
    assert [line["text"] for line in lines_of(waiter.result())] == ["收到"]


async def test_reader_of_a_quiet_room_gets_an_empty_list_when_the_wait_runs_out(
    bot: BotApp, http: httpx.AsyncClient
) -> None:
    response = await http.get(url("room-silent"), params={"after": 0, "wait": 0.2})

    assert lines_of(response) == []
    assert sandbox_of(bot).waiters_by_room() == {}


async def test_lines_already_there_are_answered_without_waiting(
    bot: BotApp, http: httpx.AsyncClient
) -> None:
    await say(bot, http, "room-old", "收到")

    answer = asyncio.create_task(http.get(url("room-old"), params={"after": 0, "wait": 30}))
    await turns_until(answer.done)

    assert [line["text"] for line in lines_of(answer.result())] == ["收到"]


async def test_wait_zero_answers_at_once_as_a_plain_read(
    bot: BotApp, http: httpx.AsyncClient
) -> None:
    sandbox = sandbox_of(bot)
    answer = asyncio.create_task(http.get(url("room-zero"), params={"after": 0, "wait": 0}))
    await turns_until(answer.done)
    assert lines_of(answer.result()) == []

    plain = await http.get(url("room-zero"), params={"after": 0})
    assert lines_of(plain) == []
    assert sandbox.waiters_by_room() == {}


@pytest.mark.parametrize("wait", ["-1", "30.5", "1e9", "inf", "nan", "soon"])
async def test_wait_outside_zero_to_thirty_seconds_is_refused(
    http: httpx.AsyncClient, wait: str
) -> None:
    response = await http.get(url("room-bad"), params={"after": 0, "wait": wait})

    assert response.status_code == 422
    assert any(problem["loc"][-1] == "wait" for problem in response.json()["detail"])


async def test_stopping_the_gateway_answers_waiting_readers_at_once(
    bot: BotApp, http: httpx.AsyncClient
) -> None:
    sandbox = sandbox_of(bot)
    waiter = await reader_waiting(http, sandbox, "room-stop", wait=30)
    assert sandbox.waiters_by_room() == {"room-stop": 1}

    await sandbox.stop()
    await turns_until(waiter.done)

    assert lines_of(waiter.result()) == []
    assert sandbox.waiters_by_room() == {}


async def test_reader_that_gives_up_leaves_nothing_behind(
    bot: BotApp, http: httpx.AsyncClient
) -> None:
    sandbox = sandbox_of(bot)
    waiter = await reader_waiting(http, sandbox, "room-gone", wait=30)
    assert sandbox.waiters_by_room() == {"room-gone": 1}

    waiter.cancel()
    await turns_until(waiter.done)

    assert sandbox.waiters_by_room() == {}


async def test_client_that_hangs_up_ends_its_wait(bot: BotApp) -> None:
    """A server waits for open requests before it stops: a wait nobody will read must end
    when the connection does, not when its time runs out."""
    sandbox = sandbox_of(bot)
    hung_up = asyncio.Event()
    sent: list[dict[str, Any]] = []
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await hung_up.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": url("room-hangup"),
        "raw_path": url("room-hangup").encode(),
        "query_string": b"after=0&wait=30",
        "root_path": "",
        "headers": [(b"host", b"tiaojie.test")],
        "client": ("127.0.0.1", 50000),
        "server": ("tiaojie.test", 80),
    }
    request = asyncio.create_task(bot.web(scope, receive, send))  # type: ignore[attr-defined]
    await turns_until(lambda: sandbox.waiters_by_room() == {"room-hangup": 1})

    hung_up.set()
    await turns_until(request.done)

    assert request.exception() is None
    assert sandbox.waiters_by_room() == {}


@pytest.mark.parametrize(
    ("method", "room", "query", "body", "where"),
    [
        ("GET", "room-bad", {"after": -1}, None, ["query", "after"]),
        ("GET", "room bad", {}, None, ["path", "room_id"]),
        ("POST", "room bad", {}, {"sender_id": "a", "text": "收到"}, ["path", "room_id"]),
        ("POST", "room-ok", {}, {"text": "收到"}, ["body", "sender_id"]),
        ("POST", "room-ok", {}, {"sender_id": "a", "text": 5}, ["body", "text"]),
    ],
)
async def test_bad_input_to_the_sandbox_gets_a_422_saying_where(
    http: httpx.AsyncClient,
    method: str,
    room: str,
    query: dict[str, int],
    body: dict[str, object] | None,
    where: list[str],
) -> None:
    response = await http.request(method, url(room), params=query, json=body)

    assert response.status_code == 422
    assert [problem["loc"][: len(where)] for problem in response.json()["detail"]] == [where]


async def test_a_body_that_is_not_json_gets_a_422(http: httpx.AsyncClient) -> None:
    response = await http.post(
        url("room-ok"), content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"
