"""The Wechaty gateway against services that misbehave (issue 17, items 4-6).

- A puppet service that accepts the connection and never answers: every gRPC call has a
  deadline, `start()` gives up, `stop()` and a cancelled start finish within 10 s, and
  `tiaojie run` exits on SIGTERM within 10 s (its web side answered meanwhile).
- A send that times out after the message went out: its echo (the platform reports every
  message the bot sends) proves delivery, so it is marked sent, not sent again.
- A token refused on reconnect: the gateway keeps retrying with back-off and says so, and
  comes back when the service takes the token again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.app import BotApp
from bot.settings import Settings
from bot.wechaty_gateway import ConnectionTimings, WechatyGateway, WechatyLoginError
from mediation.clock import ManualClock
from storage.models import OutboxMessage

from .test_wechaty_gateway import COMPLAINT, START, Inbox, eventually, gateway_for
from .wechaty_fixtures import WechatyPeer, free_port, wechaty_peer

__all__ = ["wechaty_peer"]  # the fixture, imported for pytest

REPO = Path(__file__).resolve().parents[1]
SILENT = ConnectionTimings(
    login=3.0, first_event=1.5, reconnect_initial=0.1, reconnect_max=0.5, call=1.0
)
STOP_WITHIN = 10.0


@pytest.fixture
async def silent_service() -> AsyncIterator[str]:
    """A loopback listener that accepts every connection, reads, and never answers."""
    connections: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        while await reader.read(65536):
            pass

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.close()
        for writer in connections:
            writer.close()


def silent_gateway(endpoint: str, tmp_path: Path, **timings: Any) -> WechatyGateway:
    options = {**SILENT.__dict__, **timings}
    return WechatyGateway(
        token="any-token",
        endpoint=endpoint,
        data_dir=tmp_path,
        timings=ConnectionTimings(**options),
    )


async def test_start_against_a_silent_service_gives_up_in_time(
    silent_service: str, tmp_path: Path
) -> None:
    gateway = silent_gateway(silent_service, tmp_path)
    began = time.monotonic()
    async with asyncio.timeout(SILENT.login + STOP_WITHIN):
        with pytest.raises(WechatyLoginError, match="no WeChat login"):
            await gateway.start(Inbox())
    assert time.monotonic() - began < SILENT.login + STOP_WITHIN
    assert not gateway.ready


async def test_stop_while_a_silent_service_holds_the_start_returns_within_10_s(
    silent_service: str, tmp_path: Path
) -> None:
    gateway = silent_gateway(silent_service, tmp_path, login=600.0)
    starting = asyncio.create_task(gateway.start(Inbox()))
    await asyncio.sleep(2.5)  # mid-connection: calls sent, nothing answered
    began = time.monotonic()
    async with asyncio.timeout(STOP_WITHIN):
        await gateway.stop()
        await asyncio.wait({starting})
    assert time.monotonic() - began < STOP_WITHIN
    assert starting.done()


async def test_a_cancelled_start_is_cancelled_not_swallowed(
    silent_service: str, tmp_path: Path
) -> None:
    gateway = silent_gateway(silent_service, tmp_path, login=600.0)
    starting = asyncio.create_task(gateway.start(Inbox()))
    await asyncio.sleep(2.5)
    starting.cancel()
    async with asyncio.timeout(STOP_WITHIN):
        await asyncio.wait({starting})
    assert starting.cancelled()
    await gateway.stop()


async def test_tiaojie_run_serves_http_without_a_login_and_exits_on_sigterm_in_10_s(
    silent_service: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TIAOJIE_DATA_DIR": str(tmp_path / "data"),
        "TIAOJIE_GATEWAY": "wechaty",
        "WECHATY_PUPPET_SERVICE_TOKEN": "any-token",
        "WECHATY_PUPPET_SERVICE_ENDPOINT": silent_service,
    }
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", "--port", str(port),
            env=env, cwd=tmp_path, stdout=log, stderr=log,
        )  # fmt: skip
    try:

        async def health() -> httpx.Response | None:
            try:
                async with httpx.AsyncClient(timeout=2) as client:
                    return await client.get(f"http://127.0.0.1:{port}/healthz")
            except httpx.HTTPError:
                return None

        answer = await eventually(health, "/healthz while WeChat is not logged in", within=60)
        assert answer.status_code == 503
        assert answer.json()["gateway_state"] in {"connecting", "reconnecting"}

        process.send_signal(signal.SIGTERM)
        began = time.monotonic()
        async with asyncio.timeout(STOP_WITHIN):
            code = await process.wait()
        assert time.monotonic() - began < STOP_WITHIN
        assert code == 0, log_path.read_text(errors="replace")[-3000:]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


# -- a send that timed out, and its echo ------------------------------------------------------

ECHO = ConnectionTimings(
    login=20.0,
    first_event=5.0,
    reconnect_initial=0.1,
    reconnect_max=1.0,
    ping_interval=30.0,
    ping_timeout=5.0,
    send=1.5,
    echo_grace=0.5,
)


@pytest.fixture
async def echo_bot(wechaty_peer: WechatyPeer, tmp_path: Path) -> AsyncIterator[BotApp]:
    gateway = gateway_for(wechaty_peer, tmp_path / "data", timings=ECHO)
    settings = Settings(
        data_dir=tmp_path / "data",
        admins=[wechaty_peer.members["staff"].id],
        bot_id=wechaty_peer.bot.id,
        bot_name=wechaty_peer.bot.name,
        gateway="wechaty",
        _env_file=None,
    )
    app = BotApp(settings, clock=ManualClock(START), gateway=gateway)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


async def _complaint_handled(bot: BotApp, peer: WechatyPeer) -> None:
    """The grid worker's complaint is in the inbox and handled (its reply queued and tried)."""
    await peer.say(peer.members["grid_worker"], COMPLAINT)

    async def replied() -> bool:
        async with bot.sessions() as session:
            return await session.scalar(select(OutboxMessage.id)) is not None

    await eventually(replied, "the complaint's reply queued")
    await bot.settle()


async def _the_reply(bot: BotApp) -> OutboxMessage:
    async with bot.sessions() as session:
        row = await session.scalar(select(OutboxMessage))
    assert row is not None
    return row


async def test_a_send_that_times_out_after_its_echo_is_marked_sent_not_resent(
    wechaty_peer: WechatyPeer, echo_bot: BotApp
) -> None:
    await wechaty_peer.delay_sends(echo_after=0, respond_after=4)
    await _complaint_handled(echo_bot, wechaty_peer)  # the send timed out; its echo came

    row = await _the_reply(echo_bot)
    assert row.state == "sent", (row.state, row.attempts, row.last_error)
    [sent] = await wechaty_peer.sent()
    assert row.platform_message_id == sent["message_id"]

    await asyncio.sleep(3)  # the late answer to the timed-out call changes nothing
    echo_bot.clock.advance(timedelta(minutes=10))  # type: ignore[attr-defined]
    await echo_bot.sender.deliver_due()
    assert len(await wechaty_peer.sent()) == 1


async def test_an_echo_after_the_timeout_stops_the_resend(
    wechaty_peer: WechatyPeer, echo_bot: BotApp
) -> None:
    await wechaty_peer.delay_sends(echo_after=3, respond_after=8)
    began = time.monotonic()
    await _complaint_handled(echo_bot, wechaty_peer)  # timed out, no echo yet: in doubt
    assert (await _the_reply(echo_bot)).state != "sent"

    async def marked_sent() -> bool:
        echo_bot.clock.advance(timedelta(seconds=30))  # type: ignore[attr-defined]
        await echo_bot.sender.deliver_due()
        return (await _the_reply(echo_bot)).state == "sent"

    await eventually(marked_sent, "the reply marked sent by its echo", within=15)
    await asyncio.sleep(max(0.0, began + 9 - time.monotonic()))  # the first attempt is over
    [sent] = await wechaty_peer.sent()  # once: the retry waited for the echo, did not resend
    assert (await _the_reply(echo_bot)).platform_message_id == sent["message_id"]


# -- a token refused on reconnect -------------------------------------------------------------


async def test_a_token_refused_on_reconnect_is_retried_with_back_off_until_taken(
    wechaty_peer: WechatyPeer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = gateway_for(wechaty_peer, tmp_path / "data")
    await gateway.start(Inbox())
    try:
        await wechaty_peer.stop_service()
        with caplog.at_level(logging.ERROR, logger="bot.wechaty_gateway"):
            await wechaty_peer.start_service(token="a-new-token")

            async def refused() -> bool:
                return gateway.state == "token_refused"

            await eventually(refused, "the gateway to see the token refused")
            await asyncio.sleep(1.5)  # retrying, not stopped
        assert gateway.state == "token_refused" and not gateway.ready
        assert any("refused WECHATY_PUPPET_SERVICE_TOKEN" in r.message for r in caplog.records)
        assert wechaty_peer.token not in caplog.text

        await wechaty_peer.stop_service()
        await wechaty_peer.start_service(token=wechaty_peer.token)

        async def back() -> bool:
            return gateway.ready

        await eventually(back, "the gateway to log in again with the token taken")
        assert gateway.state == "online"
    finally:
        await gateway.stop()
