"""Amounts have a sane range wherever they enter, and the figures never break (issue 17.2).

An absurd amount in a complaint, a merchant's answer or `/close` gets a Chinese answer and is
not recorded; an answer above the claim is questioned; the largest allowed amounts on many
cases keep every report, the board and the APIs answering; a data error fails its message at
once instead of being retried forever."""

from __future__ import annotations

import logging
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.app import BotApp
from mediation.clock import ManualClock
from mediation.money import DEFAULT_MAX_AMOUNT, in_range
from mediation.parsing.amounts import disputed
from storage.db import is_transient
from storage.models import Case, InboxMessage
from storage.tokens import create_token

from .conversation import GRID_WORKER, MERCHANT, STAFF, Group
from .report_seed import seed_month, sh
from .test_mediation_conversations import COMPLAINT, bind_merchant, the_case

HUGE = "99999999999999999999"


def test_the_range_is_positive_whole_cents_up_to_the_maximum() -> None:
    assert in_range(Decimal("10000000")) and in_range(Decimal("0.01"))
    assert not in_range(Decimal("10000000.01")) and not in_range(Decimal("0"))
    assert not in_range(Decimal("1.005")) and not in_range(Decimal("NaN"))
    assert disputed(f"多收{HUGE}元", []) is None


async def test_an_absurd_amount_in_a_complaint_is_refused_and_not_recorded(group: Group) -> None:
    await group.say(GRID_WORKER, "【投诉】湖西路张记饺子馆多收消费者20000000元，要求退款")
    (opened,) = await group.bot_replies()
    assert "不在可登记的范围内" in opened and "10,000,000元" in opened
    assert (await the_case(group.bot)).amount is None


async def test_an_absurd_or_excessive_merchant_answer_is_not_recorded(group: Group) -> None:
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)
    await group.bot_replies()

    await group.say(MERCHANT, f"同意退还{HUGE}元")
    (refused,) = await group.bot_replies()
    assert "不在可登记的范围内" in refused
    await group.say(MERCHANT, "同意退还580元")
    (questioned,) = await group.bot_replies()
    assert "商家答复的金额580元高于消费者诉求的58元，请确认" in questioned
    case = await the_case(group.bot)
    assert case.status == "mediating" and case.offer_amount is None

    await group.say(GRID_WORKER, "确认")
    assert await group.bot_replies() == []  # nothing to confirm: no answer was recorded


async def test_close_with_an_absurd_amount_is_refused(group: Group) -> None:
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)
    await group.bot_replies()
    await group.say(STAFF, f"/close CY-202606-0001 成功 {HUGE}")
    (refused,) = await group.bot_replies()
    assert "不在可登记的范围内" in refused
    assert (await the_case(group.bot)).status == "mediating"
    await group.say(STAFF, "/close CY-202606-0001 成功 10000000")
    (closed,) = await group.bot_replies()
    assert "10,000,000元" in closed


async def test_the_largest_amounts_on_many_cases_break_no_figure(
    bot: BotApp, clock: ManualClock, http: httpx.AsyncClient, group: Group
) -> None:
    await seed_month(bot.sessions)
    async with bot.sessions.begin() as session:
        model = await session.scalar(select(Case).where(Case.number == "CY-202606-0001"))
        assert model is not None
        copied = {
            c.key: getattr(model, c.key)
            for c in Case.__table__.columns
            if c.key not in ("id", "number")
        }
        for n in range(300):
            session.add(Case(**{**copied, "number": f"CY-202606-{5000 + n:04d}"}))
        for case in await session.scalars(select(Case)):
            case.money_returned = DEFAULT_MAX_AMOUNT if case.status == "resolved" else None
            case.amount = DEFAULT_MAX_AMOUNT
        token = await create_token(session, "test", clock.now())
    clock.set(sh(2026, 7, 2, 10))

    for path in ("/board", "/board/2026-06", "/api/public/stats?month=2026-06"):
        assert (await http.get(path)).status_code == 200, path
    staff_api = await http.get(
        "/api/stats",
        params={"month": "2026-06"},
        headers={"Authorization": f"Bearer {token.token}"},
    )
    assert staff_api.status_code == 200
    public = (await http.get("/api/public/stats", params={"month": "2026-06"})).json()
    assert public["money_returned"] == "3030000000.00"  # 303 resolved cases × 10,000,000元

    await group.say(STAFF, "/stats 2026-06")
    (stats,) = await group.bot_replies()
    assert "挽回经济损失 3,030,000,000元" in stats
    await group.say(STAFF, "/export 2026-06")
    (exported,) = await group.bot_replies()
    assert "私信" in exported


async def test_a_data_error_fails_the_message_at_once_with_a_masked_log_line(
    bot: BotApp, group: Group, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def overflow(*args: object, **kwargs: object) -> None:
        raise OperationalError(
            "INSERT INTO cases (text) VALUES (?)",
            ("消费者电话13812345678",),
            Exception("integer overflow"),
        )

    monkeypatch.setattr("bot.dispatcher.handle_message", overflow)
    with caplog.at_level(logging.WARNING, logger="bot.dispatcher"):
        await group.say(GRID_WORKER, "随便说一句")
    async with bot.sessions() as session:
        (row,) = await session.scalars(select(InboxMessage))
    assert row.state == "failed" and row.attempts == 1
    assert "OperationalError" in row.error and "13812345678" not in row.error
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "gave up" in logged and "13812345678" not in logged
    assert "13812345678" not in caplog.text


def test_a_locked_database_is_still_waited_out() -> None:
    assert is_transient(OperationalError("BEGIN", (), Exception("database is locked")))
    assert not is_transient(OperationalError("SELECT", (), Exception("integer overflow")))


async def test_a_handler_error_stores_and_logs_no_personal_data(
    bot: BotApp, group: Group, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def leaky(*args: object, **kwargs: object) -> None:
        raise ValueError("bad row: 消费者电话13812345678，身份证110101199003071234 " + "x" * 900)

    monkeypatch.setattr("bot.dispatcher.handle_message", leaky)
    with caplog.at_level(logging.WARNING, logger="bot.dispatcher"):
        await group.say(GRID_WORKER, "随便说一句")
    async with bot.sessions() as session:
        (row,) = await session.scalars(select(InboxMessage))
    assert row.state == "failed" and row.error.startswith("ValueError: bad row")
    assert len(row.error) <= 230
    for raw in ("13812345678", "110101199003071234"):
        assert raw not in row.error and raw not in caplog.text
