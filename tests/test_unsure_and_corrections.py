"""The detector's "not sure" and the corrections that teach it (issue 16, items 2 and 3).

The band comes from a parser stub: a real ComplaintParser whose band is forced to "unsure"
for the texts listed here (everything else is the shipped model's reading), so these tests do
not depend on the model's exact scores.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from bot.settings import Settings
from mediation.clock import ManualClock
from mediation.parsing import ComplaintParser, ParsedMessage
from storage.models import Case, CaseEvent, DetectorCorrection, InboxMessage

from .conversation import CONSUMER, GRID_WORKER, MERCHANT, STAFF, Group

UNSURE = "湖西路张记饺子馆那边多收了我58块钱，想让他们退"
UNSURE_TOO = "美容院办的卡不给退，三千多呢"
ASK = "这条是否需要登记为消费投诉？回复「登记」即可，不是请忽略。"


class UnsureParser(ComplaintParser):
    """The real parser, with the band forced to "unsure" for the listed texts."""

    def __init__(self, unsure: set[str], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.unsure = unsure

    def parse(self, text: str) -> ParsedMessage:
        parsed = super().parse(text)
        if text.strip() in self.unsure:
            return replace(parsed, band="unsure", is_complaint=False)
        return parsed


@pytest.fixture
def parser(settings: Settings) -> ComplaintParser:
    return UnsureParser({UNSURE, UNSURE_TOO}, cache_dir=settings.data_dir / "cache")


async def all_cases(group: Group) -> list[Case]:
    async with group.bot.sessions() as session:
        return list(await session.scalars(select(Case).order_by(Case.id)))


async def routes(group: Group) -> list[str | None]:
    async with group.bot.sessions() as session:
        return list(await session.scalars(select(InboxMessage.route).order_by(InboxMessage.id)))


async def corrections(group: Group) -> list[DetectorCorrection]:
    async with group.bot.sessions() as session:
        return list(
            await session.scalars(select(DetectorCorrection).order_by(DetectorCorrection.id))
        )


async def test_an_unsure_message_gets_one_question_and_opens_nothing(
    group: Group, clock: ManualClock
) -> None:
    await group.say(CONSUMER, UNSURE)
    assert await group.bot_replies() == [ASK]
    last = (await group.transcript())[-1]
    assert last["mention_ids"] == [CONSUMER.id]
    await group.say(CONSUMER, UNSURE_TOO)  # within ten minutes: stored, not asked about
    assert await group.bot_replies() == []
    clock.advance(timedelta(minutes=11))
    await group.say(CONSUMER, UNSURE_TOO)
    assert await group.bot_replies() == [ASK]
    assert await all_cases(group) == []
    assert await routes(group) == ["unsure", "unsure", "unsure"]


async def test_dengji_from_the_sender_opens_the_case_from_their_message(
    group: Group, clock: ManualClock
) -> None:
    await group.say(CONSUMER, UNSURE)
    await group.bot_replies()
    clock.advance(timedelta(hours=2))
    await group.say(CONSUMER, "登记")
    replies = await group.bot_replies()
    [case] = await all_cases(group)
    assert case.raw_text == UNSURE and case.reporter_id == CONSUMER.id
    assert case.number in replies[0]
    [correction] = await corrections(group)
    assert (correction.label, correction.source, correction.case_id) == (1, "reply", case.id)
    await group.say(CONSUMER, "登记")  # registered already: nothing opens twice
    assert len(await all_cases(group)) == 1


async def test_dengji_from_someone_else_or_too_late_opens_nothing(
    group: Group, clock: ManualClock
) -> None:
    await group.say(CONSUMER, UNSURE)
    await group.say(GRID_WORKER, "登记")  # not the sender: chatter
    assert await all_cases(group) == []
    clock.advance(timedelta(hours=25))
    await group.say(CONSUMER, "登记")
    assert await all_cases(group) == []


async def test_staff_register_alone_takes_the_latest_unsure_message(group: Group) -> None:
    await group.say(STAFF, "/登记")
    assert "没有待登记" in (await group.bot_replies())[-1]
    await group.say(CONSUMER, UNSURE)
    await group.say(STAFF, "/登记")
    [case] = await all_cases(group)
    assert case.raw_text == UNSURE and case.reporter_id == CONSUMER.id
    [correction] = await corrections(group)
    assert (correction.label, correction.source, correction.actor_id) == (1, "command", STAFF.id)


async def test_grid_worker_registers_a_quoted_message_without_the_quoted_name(
    group: Group,
) -> None:
    await group.say(STAFF, f"/role @{GRID_WORKER.name} 网格员", mentions=(GRID_WORKER,))
    quote = f"「{CONSUMER.name}：{UNSURE_TOO}」\n- - - - - - - - - - - - - - -\n/登记 在人民路"
    await group.say(GRID_WORKER, quote)
    [case] = await all_cases(group)
    assert case.raw_text == f"{UNSURE_TOO}\n在人民路"
    assert CONSUMER.name not in case.raw_text and case.reporter_id == GRID_WORKER.id


async def test_others_may_not_register(group: Group) -> None:
    await group.say(CONSUMER, "/登记 湖西路张记饺子馆多收58元要求退款")
    assert await all_cases(group) == []


COMPLAINT = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678"


async def test_void_by_the_reporter_in_time_and_refusals(group: Group, clock: ManualClock) -> None:
    await group.say(GRID_WORKER, COMPLAINT)
    await group.say(GRID_WORKER, COMPLAINT.replace("13812345678", "13987654321"))
    first, second = await all_cases(group)
    await group.bot_replies()
    await group.say(CONSUMER, f"/不是投诉 {first.number}")  # not the reporter
    assert "无权" in (await group.bot_replies())[-1]
    await group.say(GRID_WORKER, f"/不是投诉 {first.number}")
    assert "已作废" in (await group.bot_replies())[-1]
    clock.advance(timedelta(minutes=11))
    await group.say(GRID_WORKER, f"/不是投诉 {second.number}")  # too late for the reporter
    assert "只有工作人员" in (await group.bot_replies())[-1]
    await group.say(STAFF, f"/不是投诉 {second.number}")
    assert [case.status for case in await all_cases(group)] == ["voided", "voided"]
    async with group.bot.sessions() as session:
        voided = list(
            await session.scalars(select(CaseEvent.actor_id).where(CaseEvent.kind == "voided"))
        )
    assert voided == [GRID_WORKER.id, STAFF.id]
    assert [c.label for c in await corrections(group)] == [0, 0]


async def june_figures(group: Group, http: httpx.AsyncClient) -> tuple[object, ...]:
    """(monthly report, the same for the office, area split, public stats) for June."""
    from zoneinfo import ZoneInfo

    from mediation.reports import Month
    from mediation.workdays import WorkingCalendar
    from storage.area_queries import received_by_area
    from storage.export_rows import export_rows
    from storage.report_queries import monthly_report

    tz, month = ZoneInfo("Asia/Shanghai"), Month(2026, 6)
    async with group.bot.sessions() as session:
        report = await monthly_report(session, month, tz, WorkingCalendar())
        office = await monthly_report(session, month, tz, WorkingCalendar(), office_id=1)
        areas = await received_by_area(session, month, tz)
        rows = await export_rows(session, month, tz)
    public = (await http.get("/api/public/stats", params={"month": "2026-06"})).json()
    return (
        (report.received, report.accepted, report.closed, [n for _, n in report.by_category]),
        (office.received, office.closed),
        sum(n for _, n in areas.by_street),
        len(rows),
        public["received"],
    )


async def test_a_voided_case_leaves_every_figure_and_keeps_its_trail(
    group: Group, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    await group.say(GRID_WORKER, COMPLAINT)
    await group.say(GRID_WORKER, "【投诉】人民路永辉超市卖过期牛奶，要求退一赔三，电话13987654321")
    first, _ = await all_cases(group)
    clock.set(datetime(2026, 7, 2, 2, 0, tzinfo=UTC))
    before = await june_figures(group, http)
    assert before[0][0] == 2 and before[-1] == 2
    clock.set(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    await group.say(STAFF, f"/不是投诉 {first.number}")
    clock.set(datetime(2026, 7, 2, 2, 0, tzinfo=UTC))
    after = await june_figures(group, http)
    assert after[0][0] == 1 and after[1][0] == 1 and after[-1] == 1 and after[3] == 1
    assert sum(after[0][3]) == sum(before[0][3]) - 1
    async with group.bot.sessions() as session:
        kinds = list(
            await session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == first.id))
        )
    assert kinds[0] == "opened" and kinds[-1] == "voided"


async def test_a_notified_merchant_is_told_the_case_was_voided(group: Group) -> None:
    await group.say(STAFF, "/bind @张记饺子馆老板 张记饺子馆", mentions=(MERCHANT,))
    await group.say(GRID_WORKER, COMPLAINT)
    [case] = await all_cases(group)
    assert case.status == "mediating"
    await group.bot_replies()
    await group.say(STAFF, f"/不是投诉 {case.number}")
    replies = await group.bot_replies()
    assert "已作废" in replies[0] and "无需处理" in replies[1]
    assert (await group.transcript())[-1]["mention_ids"] == [MERCHANT.id]
