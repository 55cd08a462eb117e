"""The Wechaty gateway against a real puppet-service peer (Node, wechaty-puppet-mock).

Every test talks gRPC to `tests/wechaty_peer/peer.js` on loopback; the peer plays the work
group and records what the bot sent. Waiting is a bounded poll: events cross processes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.app import BotApp
from bot.gateway import GatewayUnavailable
from bot.messages import IncomingMessage, OutgoingMessage
from bot.settings import Settings
from bot.wechaty_gateway import (
    MAX_INLINE_FILE_BYTES,
    ConnectionTimings,
    OutgoingFileTooLarge,
    WechatyGateway,
    WechatyLoginError,
)
from mediation.clock import ManualClock
from storage import outbox
from storage.models import Case, InboxMessage, OutboxMessage

from .wechaty_fixtures import Member, WechatyPeer, free_port, wechaty_peer

__all__ = ["wechaty_peer"]  # the fixture, imported for pytest

START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 2026-06-01 09:00 in Shanghai
COMPLAINT = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678"
FAST = ConnectionTimings(
    login=20.0,
    first_event=5.0,
    reconnect_initial=0.1,
    reconnect_max=1.0,
    ping_interval=30.0,
    ping_timeout=5.0,
    send=10.0,
)
T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], what: str, within: float = 20.0) -> T:
    """Poll `check` until it returns something truthy; fail after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = await check()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within:g} s waiting for {what}")
        await asyncio.sleep(0.05)


def gateway_for(peer: WechatyPeer, data_dir: Path, **options: Any) -> WechatyGateway:
    options.setdefault("timings", FAST)
    return WechatyGateway(token=peer.token, endpoint=peer.endpoint, data_dir=data_dir, **options)


class Inbox:
    """A sink that keeps what the gateway hands over, in order."""

    def __init__(self) -> None:
        self.messages: list[IncomingMessage] = []

    async def __call__(self, message: IncomingMessage) -> bool:
        self.messages.append(message)
        return True

    async def wait_for(self, count: int) -> list[IncomingMessage]:
        async def arrived() -> list[IncomingMessage]:
            return self.messages if len(self.messages) >= count else []

        return await eventually(arrived, f"{count} incoming message(s)")


@pytest.fixture
async def gateway(wechaty_peer: WechatyPeer, tmp_path: Path) -> AsyncIterator[WechatyGateway]:
    gateway = gateway_for(wechaty_peer, tmp_path / "data")
    yield gateway
    await gateway.stop()


@pytest.fixture
async def wechaty_bot(
    wechaty_peer: WechatyPeer, gateway: WechatyGateway, tmp_path: Path
) -> AsyncIterator[BotApp]:
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


async def sent_by_bot(peer: WechatyPeer, count: int) -> list[dict[str, Any]]:
    async def sent() -> list[dict[str, Any]]:
        messages = await peer.sent()
        return messages if len(messages) >= count else []

    return await eventually(sent, f"{count} message(s) from the bot at the peer")


async def count_rows(bot: BotApp, model: type) -> int:
    async with bot.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def make_png(path: Path, size: tuple[int, int], *, noise: bool = False) -> Path:
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (40, 120, 200))
    image.save(path, format="PNG")
    return path


async def test_complaint_in_the_group_opens_a_case_and_the_reply_reaches_the_group(
    wechaty_peer: WechatyPeer, wechaty_bot: BotApp
) -> None:
    bot = wechaty_bot
    grid_worker = wechaty_peer.members["grid_worker"]

    said_id = await wechaty_peer.say(grid_worker, COMPLAINT)

    async def delivered() -> list[dict[str, Any]]:
        await bot.settle()
        return await wechaty_peer.sent()

    [reply] = await eventually(delivered, "the bot's reply in the group")
    assert reply["kind"] == "text"
    assert reply["conversation_id"] == wechaty_peer.room_id
    assert "CY-202606-0001" in reply["text"]
    assert "138****5678" in reply["text"] and "13812345678" not in reply["text"]
    assert await count_rows(bot, Case) == 1
    async with bot.sessions() as session:
        stored = await session.scalar(select(InboxMessage))
        sent = await session.scalar(select(OutboxMessage))
    assert stored is not None and stored.message_id == said_id
    assert stored.sender_id == grid_worker.id and stored.sender_name == grid_worker.name
    assert sent is not None and sent.state == "sent"
    assert sent.platform_message_id == reply["message_id"]


async def test_merchant_mention_arrives_with_the_merchant_id_and_name(
    wechaty_peer: WechatyPeer, gateway: WechatyGateway
) -> None:
    merchant = wechaty_peer.members["merchant"]
    await gateway.start(Inbox())

    sent_id = await gateway.send(
        OutgoingMessage(
            room_id=wechaty_peer.room_id,
            text="请于3个工作日内回复投诉 CY-202606-0001。",
            mention_ids=(merchant.id,),
        )
    )

    [sent] = await sent_by_bot(wechaty_peer, 1)
    assert sent["conversation_id"] == wechaty_peer.room_id
    assert sent["mention_ids"] == [merchant.id]
    assert sent["text"] == f"@{merchant.name} 请于3个工作日内回复投诉 CY-202606-0001。"
    assert sent_id == sent["message_id"]


async def test_reply_mentioning_someone_the_service_does_not_know_still_goes_out(
    wechaty_peer: WechatyPeer, gateway: WechatyGateway
) -> None:
    merchant = wechaty_peer.members["merchant"]
    await gateway.start(Inbox())

    await gateway.send(
        OutgoingMessage(
            room_id=wechaty_peer.room_id,
            text="请双方回复。",
            mention_ids=("someone-who-left", merchant.id),
        )
    )

    [sent] = await sent_by_bot(wechaty_peer, 1)
    assert sent["mention_ids"] == [merchant.id]
    assert sent["text"] == f"@{merchant.name} 请双方回复。"


async def test_group_and_private_messages_arrive_with_ids_names_and_mentions(
    wechaty_peer: WechatyPeer, gateway: WechatyGateway
) -> None:
    staff, bot_member = wechaty_peer.members["staff"], wechaty_peer.bot
    inbox = Inbox()
    await gateway.start(inbox)
    assert gateway.self_id == bot_member.id

    group_id = await wechaty_peer.say(
        staff, f"@{bot_member.name}\u2005/cases 超期", mentions=(bot_member,)
    )
    await gateway.send(OutgoingMessage(room_id=wechaty_peer.room_id, text="收到"))
    private_id = await wechaty_peer.say(staff, "/stats 2026-06", direct=True)

    group, private = await inbox.wait_for(2)
    assert group.message_id == group_id and group.room_id == wechaty_peer.room_id
    assert group.sender_id == staff.id and group.sender_name == staff.name
    assert group.text == "/cases 超期"  # the @name WeChat puts in the text is gone
    assert group.mention_ids == (bot_member.id,) and not group.is_direct
    assert group.sent_at.tzinfo is not None
    assert private.message_id == private_id and private.is_direct
    assert private.room_id == f"dm:{staff.id}" and private.text == "/stats 2026-06"
    assert len(inbox.messages) == 2  # the bot's own "收到" came back and was dropped


async def test_reply_to_a_private_message_goes_to_that_person(
    wechaty_peer: WechatyPeer, gateway: WechatyGateway
) -> None:
    staff = wechaty_peer.members["staff"]
    await gateway.start(Inbox())

    await gateway.send(OutgoingMessage(room_id=f"dm:{staff.id}", text="本月共受理投诉3件。"))

    [sent] = await sent_by_bot(wechaty_peer, 1)
    assert sent["conversation_id"] == staff.id and sent["text"] == "本月共受理投诉3件。"


async def test_chart_arrives_as_an_image_file_after_its_text(
    wechaty_peer: WechatyPeer, gateway: WechatyGateway, tmp_path: Path
) -> None:
    chart = make_png(tmp_path / "monthly-2026-06.png", (640, 480))
    await gateway.start(Inbox())

    await gateway.send(
        OutgoingMessage(room_id=wechaty_peer.room_id, text="6月投诉情况公示", image_path=str(chart))
    )

    text, image = await sent_by_bot(wechaty_peer, 2)
    assert text["text"] == "6月投诉情况公示"
    assert image["kind"] == "file" and image["conversation_id"] == wechaty_peer.room_id
    assert image["file_name"] == "monthly-2026-06.png"
    assert image["file_size"] == chart.stat().st_size


async def test_image_too_large_to_send_inline_is_scaled_down_to_fit(
    wechaty_peer: WechatyPeer, tmp_path: Path
) -> None:
    photo = make_png(tmp_path / "evidence.png", (400, 400), noise=True)
    limit = 100_000
    assert photo.stat().st_size > limit
    gateway = gateway_for(wechaty_peer, tmp_path / "data", max_file_bytes=limit)
    await gateway.start(Inbox())
    try:
        await gateway.send(
            OutgoingMessage(room_id=wechaty_peer.room_id, text="", image_path=str(photo))
        )
    finally:
        await gateway.stop()

    [image] = await sent_by_bot(wechaty_peer, 1)
    assert image["kind"] == "file" and image["file_name"].endswith(".png")
    assert 0 < image["file_size"] <= limit


async def test_file_at_the_inline_limit_passes_grpc_and_one_byte_more_is_refused(
    wechaty_peer: WechatyPeer, gateway: WechatyGateway, tmp_path: Path
) -> None:
    at_limit = tmp_path / "report.pdf"
    at_limit.write_bytes(os.urandom(MAX_INLINE_FILE_BYTES))
    too_big = tmp_path / "report-full.pdf"
    too_big.write_bytes(os.urandom(MAX_INLINE_FILE_BYTES + 1))
    await gateway.start(Inbox())

    await gateway.send(
        OutgoingMessage(room_id=wechaty_peer.room_id, text="", image_path=str(at_limit))
    )
    with pytest.raises(OutgoingFileTooLarge, match=r"report-full\.pdf"):
        await gateway.send(
            OutgoingMessage(room_id=wechaty_peer.room_id, text="附件", image_path=str(too_big))
        )

    [sent] = await sent_by_bot(wechaty_peer, 1)
    assert sent["file_size"] == MAX_INLINE_FILE_BYTES  # refused before its text went out


async def test_new_member_is_greeted_with_the_group_rules(
    wechaty_peer: WechatyPeer, tmp_path: Path
) -> None:
    rules = "欢迎入群！投诉请以【投诉】开头，写明商家、金额、诉求和联系电话。"
    gateway = gateway_for(wechaty_peer, tmp_path / "data", greeting=rules)
    await gateway.start(Inbox())
    newcomer = Member("consumer-chen", "陈女士", "consumer")
    try:
        await wechaty_peer.join(newcomer)
        [greeting] = await sent_by_bot(wechaty_peer, 1)
    finally:
        await gateway.stop()

    assert greeting["conversation_id"] == wechaty_peer.room_id
    assert greeting["mention_ids"] == [newcomer.id]
    assert greeting["text"] == f"@{newcomer.name} {rules}"


async def test_wrong_token_makes_start_fail_quickly_with_a_clear_message(
    wechaty_peer: WechatyPeer, tmp_path: Path
) -> None:
    gateway = WechatyGateway(
        token="not-the-token", endpoint=wechaty_peer.endpoint, data_dir=tmp_path, timings=FAST
    )

    async with asyncio.timeout(FAST.login / 2):  # fails on the refusal, not on the login timeout
        with pytest.raises(WechatyLoginError, match="refused WECHATY_PUPPET_SERVICE_TOKEN"):
            await gateway.start(Inbox())
    assert not gateway.ready


async def test_unreachable_service_fails_start_after_the_login_timeout(tmp_path: Path) -> None:
    gateway = WechatyGateway(
        token="any",
        endpoint=f"127.0.0.1:{free_port()}",
        data_dir=tmp_path,
        timings=ConnectionTimings(login=1.0, reconnect_initial=0.1, reconnect_max=0.2),
    )

    with pytest.raises(WechatyLoginError, match=r"no WeChat login .* cannot reach"):
        await gateway.start(Inbox())


def test_tiaojie_run_with_a_wrong_token_exits_non_zero(
    wechaty_peer: WechatyPeer, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "TIAOJIE_DATA_DIR": str(tmp_path / "data"),
        "TIAOJIE_GATEWAY": "wechaty",
        "WECHATY_PUPPET_SERVICE_TOKEN": "not-the-token",
        "WECHATY_PUPPET_SERVICE_ENDPOINT": wechaty_peer.endpoint,
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--port", str(free_port())],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # no .env from the repository
        timeout=120,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "refused WECHATY_PUPPET_SERVICE_TOKEN" in output
    assert "not-the-token" not in output  # a near-miss of the real token stays out of logs


async def test_replies_queued_while_the_peer_is_away_are_delivered_when_it_returns(
    wechaty_peer: WechatyPeer, gateway: WechatyGateway, wechaty_bot: BotApp
) -> None:
    bot = wechaty_bot
    assert gateway.ready
    await wechaty_peer.stop_service()

    async def disconnected() -> bool:
        return not gateway.ready

    await eventually(disconnected, "the gateway to notice the peer went away")
    with pytest.raises(GatewayUnavailable):
        await gateway.send(OutgoingMessage(room_id=wechaty_peer.room_id, text="此时发不出去"))
    reminders = ["提醒：CY-202606-0001 待商家回复。", "提醒：请商家于明日前回复。"]
    async with bot.sessions.begin() as session:
        for text in reminders:
            await outbox.enqueue(
                session, room_id=wechaty_peer.room_id, text=text, now=bot.clock.now()
            )
    assert await bot.sender.deliver_due() == 0  # held, not failed: nothing is lost or retried

    await wechaty_peer.start_service()

    async def delivered() -> list[dict[str, Any]]:
        await bot.sender.deliver_due()
        messages = await wechaty_peer.sent()
        return messages if len(messages) >= len(reminders) else []

    messages = await eventually(delivered, "the held replies after the peer came back")
    assert [m["text"] for m in messages] == reminders  # all of them, once each, in order
    assert {m["conversation_id"] for m in messages} == {wechaty_peer.room_id}
    async with bot.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [row.state for row in rows] == ["sent", "sent"]
    assert [row.attempts for row in rows] == [1, 1]
    assert [row.platform_message_id for row in rows] == [m["message_id"] for m in messages]


async def test_silent_peer_is_noticed_by_ping_and_the_gateway_reconnects(
    wechaty_peer: WechatyPeer, tmp_path: Path
) -> None:
    timings = ConnectionTimings(
        login=20.0,
        first_event=2.0,
        reconnect_initial=0.1,
        reconnect_max=0.5,
        ping_interval=0.2,
        ping_timeout=1.0,
        send=5.0,
    )
    gateway = gateway_for(wechaty_peer, tmp_path / "data", timings=timings)
    inbox = Inbox()
    await gateway.start(inbox)
    try:
        os.kill(wechaty_peer.process.pid, signal.SIGSTOP)  # the link stays open, nothing answers
        try:

            async def disconnected() -> bool:
                return not gateway.ready

            await eventually(disconnected, "the watchdog to notice the silent peer")
        finally:
            os.kill(wechaty_peer.process.pid, signal.SIGCONT)

        async def connected() -> bool:
            return gateway.ready

        await eventually(connected, "the gateway to reconnect")
        said_id = await wechaty_peer.say(wechaty_peer.members["grid_worker"], "收到")
        [message] = await inbox.wait_for(1)
        assert message.message_id == said_id
    finally:
        await gateway.stop()


async def test_a_whole_mediation_runs_in_the_wechat_group_and_the_summary_chart_arrives(
    wechaty_peer: WechatyPeer, wechaty_bot: BotApp
) -> None:
    bot, peer = wechaty_bot, wechaty_peer
    staff, merchant = peer.members["staff"], peer.members["merchant"]
    grid_worker = peer.members["grid_worker"]
    said = 0

    async def say(who: Member, text: str, *, mentions: tuple[Member, ...] = ()) -> None:
        nonlocal said
        await peer.say(who, text, mentions=mentions)
        said += 1

        async def handled() -> bool:
            async with bot.sessions() as session:
                count = await session.scalar(
                    select(func.count())
                    .select_from(InboxMessage)
                    .where(InboxMessage.state == "handled")
                )
            return count == said

        await eventually(handled, f"message {said} handled")
        await bot.settle()

    async def sent_so_far(count: int) -> list[dict[str, Any]]:
        return await sent_by_bot(peer, count)

    await say(staff, f"/bind @{merchant.name}\u2005张记饺子馆", mentions=(merchant,))
    await say(grid_worker, COMPLAINT)
    *_, opened, notice = await sent_so_far(3)
    assert "CY-202606-0001" in opened["text"] and "13812345678" not in opened["text"]
    assert notice["mention_ids"] == [merchant.id] and "6月2日（周二）前" in notice["text"]

    await say(merchant, "同意退还58元")
    await say(grid_worker, "确认")
    await say(grid_worker, "5分")
    *_, asked, resolved, thanks = await sent_so_far(6)
    assert asked["mention_ids"] == [grid_worker.id] and "58元" in asked["text"]
    assert "调解成功" in resolved["text"]
    assert "5 分" in thanks["text"]
    async with bot.sessions() as session:
        case = await session.scalar(select(Case))
    assert case is not None and case.status == "resolved" and case.rating == 5

    assert isinstance(bot.clock, ManualClock)
    bot.clock.set(datetime(2026, 7, 1, 1, 30, tzinfo=UTC))  # 09:30 in Shanghai
    assert await bot.post_monthly_summaries() == 1
    await bot.settle()
    summary = await sent_so_far(8)
    kinds = {m["kind"] for m in summary[6:]}
    assert kinds == {"text", "file"}
    chart = next(m for m in summary[6:] if m["kind"] == "file")
    assert chart["file_name"].endswith(".png") and chart["file_size"] > 1000
    assert all(m["conversation_id"] == peer.room_id for m in summary)
