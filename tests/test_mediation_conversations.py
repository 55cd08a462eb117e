"""Whole mediations in the sandbox group, read as transcripts.

Each test is a conversation: staff bind the merchant, a grid worker reports, the merchant
answers, the reporter confirms and rates — through the real HTTP interface, router,
database, outbox and deadline sweep, with the clock moved instead of slept.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import BotApp
from mediation.clock import ManualClock
from storage.models import Case, CaseEvent, OutboxMessage

from .conversation import GRID_WORKER, MERCHANT, STAFF, Group

SHANGHAI = ZoneInfo("Asia/Shanghai")
COMPLAINT = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，消费者电话13812345678"


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


async def bind_merchant(group: Group) -> None:
    await group.say(STAFF, "/bind @张记饺子馆老板 张记饺子馆", mentions=(MERCHANT,))
    replies = await group.bot_replies()
    assert any("绑定" in r and "张记饺子馆" in r for r in replies), replies


async def the_case(bot: BotApp, number: str = "CY-202606-0001") -> Case:
    async with bot.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        return case


async def events_of(bot: BotApp, case_id: int) -> list[str]:
    async with bot.sessions() as session:
        rows = await session.scalars(
            select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
        return list(rows)


async def test_happy_path_from_complaint_to_rating(group: Group) -> None:
    await bind_merchant(group)

    await group.say(GRID_WORKER, COMPLAINT)
    opened, notice = await group.bot_replies()
    assert "CY-202606-0001" in opened and "138****5678" in opened
    assert "张记饺子馆" in notice and "6月2日（周二）前" in notice  # Mon 06-01 + 1 working day
    assert "13812345678" not in notice
    mentions = (await group.transcript())[-1]["mention_ids"]
    assert mentions == [MERCHANT.id]

    await group.say(MERCHANT, "同意退还58元")
    (asked,) = await group.bot_replies()
    assert "同意退款58元" in asked and "确认" in asked

    await group.say(GRID_WORKER, "确认")
    (resolved,) = await group.bot_replies()
    assert "调解成功" in resolved and "58元" in resolved and "1～5" in resolved

    await group.say(GRID_WORKER, "5分")
    (thanks,) = await group.bot_replies()
    assert "5 分" in thanks

    case = await the_case(group.bot)
    assert case.status == "resolved"
    assert case.money_returned == Decimal("58")
    assert case.rating == 5
    assert await events_of(group.bot, case.id) == [
        "opened",
        "accepted",
        "notified",
        "merchant_replied",
        "confirmed",
        "rating_requested",
        "rated",
    ]

    await group.say(STAFF, "/case CY-202606-0001")
    (timeline,) = await group.bot_replies()
    for label in (
        "调解成功",
        "登记投诉",
        "受理",
        "通知商家",
        "商家答复",
        "投诉人确认",
        "满意度评价",
    ):
        assert label in timeline, label
    assert "13812345678" not in timeline


async def test_counter_offer_accepted_records_the_offered_amount(group: Group) -> None:
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)
    await group.bot_replies()

    await group.say(MERCHANT, "只能退30元")
    (asked,) = await group.bot_replies()
    assert "30元" in asked

    await group.say(GRID_WORKER, "确认")
    (resolved,) = await group.bot_replies()
    assert "30元" in resolved
    case = await the_case(group.bot)
    assert case.status == "resolved" and case.money_returned == Decimal("30")


async def test_merchant_refusal_is_escalated_and_staff_close_as_failed(group: Group) -> None:
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)
    await group.bot_replies()

    await group.say(MERCHANT, "不同意，理由是已经过了七天")
    (escalated,) = await group.bot_replies()
    assert "不同意" in escalated and "工作人员" in escalated
    assert (await group.transcript())[-1]["mention_ids"] == [STAFF.id]

    await group.say(GRID_WORKER, "确认")
    (cannot,) = await group.bot_replies()
    assert "不能确认" in cannot

    await group.say(STAFF, "/close CY-202606-0001 失败")
    (closed,) = await group.bot_replies()
    assert "调解失败" in closed
    assert (await the_case(group.bot)).status == "failed"


async def test_reporter_withdraws_their_complaint(group: Group) -> None:
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)
    await group.bot_replies()

    await group.say(GRID_WORKER, "消费者说不投诉了，撤回投诉")
    (withdrawn,) = await group.bot_replies()
    assert "撤回" in withdrawn
    assert (await the_case(group.bot)).status == "withdrawn"

    await group.say(MERCHANT, "同意退还58元")
    assert await group.bot_replies() == []  # nothing open for the merchant: chatter


async def test_reply_naming_no_case_with_two_open_cases_asks_which(group: Group) -> None:
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)
    await group.say(
        GRID_WORKER, "【投诉】张记饺子馆的饺子吃出异物，消费者要求赔偿200元，电话13900001111"
    )
    await group.bot_replies()

    await group.say(MERCHANT, "同意退款")
    (which,) = await group.bot_replies()
    assert "CY-202606-0001" in which and "CY-202606-0002" in which and "编号" in which

    await group.say(MERCHANT, "CY-202606-0002 同意赔偿200元")
    (asked,) = await group.bot_replies()
    assert "CY-202606-0002" in asked and "200元" in asked
    assert (await the_case(group.bot, "CY-202606-0001")).status == "mediating"


async def test_illegal_move_gets_a_reason_and_changes_nothing(group: Group) -> None:
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)
    await group.say(GRID_WORKER, "消费者说不投诉了，撤回投诉")
    await group.bot_replies()

    await group.say(STAFF, "/close CY-202606-0001 成功 58")
    (answer,) = await group.bot_replies()
    assert "CY-202606-0001" in answer
    assert (await the_case(group.bot)).status == "withdrawn"


async def test_unbound_merchant_waits_and_is_notified_once_bound(group: Group) -> None:
    await group.say(GRID_WORKER, COMPLAINT)
    (opened,) = await group.bot_replies()
    assert "CY-202606-0001" in opened and "/bind" in opened
    assert (await the_case(group.bot)).status == "pending"

    await bind_merchant(group)
    transcript = await group.transcript()
    assert "请于" in transcript[-1]["text"]
    assert (await the_case(group.bot)).status == "mediating"


async def test_incomplete_complaint_is_completed_by_the_reporters_next_message(
    group: Group,
) -> None:
    await bind_merchant(group)
    await group.say(GRID_WORKER, "【投诉】消费者反映在湖西路一家饺子馆吃饭被多收了58元，要求退款")
    (opened,) = await group.bot_replies()
    assert "被投诉商家名称" in opened

    await group.say(GRID_WORKER, "商家是张记饺子馆，消费者电话13812345678")
    replies = await group.bot_replies()
    assert any("已补充" in r for r in replies)
    case = await the_case(group.bot)
    assert case.merchant_name and "张记饺子馆" in case.merchant_name
    assert case.status == "mediating"
    async with group.bot.sessions() as session:
        assert len(list(await session.scalars(select(Case)))) == 1


async def test_merchant_who_never_answers_is_reminded_escalated_and_terminated(
    group: Group, clock: ManualClock
) -> None:
    clock.set(shanghai(2026, 9, 30, 10, 0))  # Wed, the day before 国庆
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT.replace("58元", "88元"))
    replies = await group.bot_replies()
    assert "10月8日（周四）前" in replies[-1]  # 10-01..10-07 are holidays

    async def sweep_at(*when: int) -> list[str]:
        clock.set(shanghai(*when))
        await group.bot.sweep_deadlines()
        await group.bot.settle()
        replies = await group.bot_replies()
        return [r for r in replies if "调休上班日" not in r]  # December calendar notice

    assert await sweep_at(2026, 10, 7, 23, 0) == []
    (reminder,) = await sweep_at(2026, 10, 8, 9, 0)
    assert "CY-202609-0001" in reminder and "10月8日" in reminder
    assert await sweep_at(2026, 10, 8, 23, 59) == []
    (escalation,) = await sweep_at(2026, 10, 9, 0, 1)
    assert "CY-202609-0001" in escalation
    assert (await group.transcript())[-1]["mention_ids"] == [STAFF.id]

    # Settlement: 10 working days after 09-30, counting Sat 10-10 (调休) -> Tue 10-20.
    (settlement_reminder,) = await sweep_at(2026, 10, 19, 9, 0)
    assert "10月20日" in settlement_reminder
    (settlement_escalation,) = await sweep_at(2026, 10, 21, 0, 1)
    assert "10月20日" in settlement_escalation

    # 45 working days after 09-30 is Tue 12-08; mediation ends once that day is over.
    assert await sweep_at(2026, 12, 8, 23, 0) == []
    (terminated,) = await sweep_at(2026, 12, 9, 0, 1)
    assert "终止调解" in terminated
    assert set((await group.transcript())[-1]["mention_ids"]) == {MERCHANT.id, GRID_WORKER.id}
    assert await sweep_at(2026, 12, 10, 0, 1) == []

    case = await the_case(group.bot, "CY-202609-0001")
    assert case.status == "failed"
    kinds = await events_of(group.bot, case.id)
    assert kinds.count("reminded") == 2 and kinds.count("escalated") == 2
    assert kinds.count("terminated") == 1


async def test_sweep_interrupted_half_way_and_restarted_sends_each_action_once(
    group: Group, clock: ManualClock, settings
) -> None:
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)
    await group.say(GRID_WORKER, "【投诉】张记饺子馆卖的饺子变质，消费者要求退款35元")
    await group.bot_replies()

    clock.set(shanghai(2026, 6, 3, 0, 1))  # both first answers are now overdue

    class Crash(Exception):
        pass

    def crash_after_first(_action: object) -> None:
        raise Crash

    from handlers.deadline_sweep import sweep_deadlines

    bot = group.bot
    with contextlib.suppress(Crash):
        await sweep_deadlines(
            bot.sessions,
            now=clock.now(),
            config=bot.handler_config,
            calendar=bot.shared.calendar,
            after_action=crash_after_first,
        )

    # A fresh process on the same database sweeps again, twice.
    restarted = BotApp(settings, clock=clock)
    await restarted.start()
    try:
        first = await restarted.sweep_deadlines()
        second = await restarted.sweep_deadlines()
    finally:
        await restarted.stop()

    assert first.actions >= 1 and second.actions == 0
    async with bot.sessions() as session:
        events = list(
            await session.scalars(select(CaseEvent).where(CaseEvent.dedupe_key.is_not(None)))
        )
        keys = [(e.case_id, e.dedupe_key) for e in events]
        assert len(keys) == len(set(keys))
        outbox_keys = list(
            await session.scalars(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.is_not(None))
            )
        )
        assert len(outbox_keys) == len(events)
    assert {case_id for case_id, _ in keys} == {1, 2}
