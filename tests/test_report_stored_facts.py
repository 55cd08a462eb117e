"""The calendar facts each case carries, written by the real flows, and the report read off
them: through the sandbox group, the router, the database and the deadline sweep, with the
clock moved instead of slept.

Each report here is also computed the way it was before the facts were stored (every case
of the month loaded and judged with the calendar), and the two must agree figure for figure.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import BotApp
from mediation.clock import ManualClock
from mediation.deadlines import DeadlinePolicy
from mediation.reports import (
    CalendarFactsCalculator,
    Month,
    MonthlyReport,
    build_monthly_report,
)
from storage import calendar as calendar_store
from storage import reports
from storage.models import Case

from .conversation import GRID_WORKER, MERCHANT, STAFF, Group
from .report_seed import seed_month

SHANGHAI = ZoneInfo("Asia/Shanghai")
COMPLAINT = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，消费者电话13812345678"


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


async def bind_merchant(group: Group) -> None:
    await group.say(STAFF, "/bind @张记饺子馆老板 张记饺子馆", mentions=(MERCHANT,))
    await group.bot_replies()


async def the_case(bot: BotApp, number: str) -> Case:
    async with bot.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        return case


async def report_both_ways(
    bot: BotApp, month: Month, *, now: datetime | None = None
) -> tuple[MonthlyReport, MonthlyReport]:
    """(the report from the stored facts, the report from every case judged one by one)."""
    calendar, policy = bot.shared.calendar, bot.handler_config.deadline_policy
    async with bot.sessions() as session:
        stored = await reports.monthly_report(
            session, month, SHANGHAI, calendar, policy=policy, now=now
        )
        current = await reports.case_facts(
            session, month, SHANGHAI, calendar, policy=policy, now=now
        )
        previous = await reports.received_facts(
            session, month.previous(), SHANGHAI, calendar, policy=policy
        )
        last_year = await reports.received_facts(
            session, month.same_month_last_year(), SHANGHAI, calendar, policy=policy
        )
    return stored, build_monthly_report(month, current, previous, last_year, tz=SHANGHAI)


async def settle_case(group: Group, clock: ManualClock, when: datetime) -> None:
    clock.set(when)
    await group.say(MERCHANT, "同意退还58元")
    await group.say(GRID_WORKER, "确认")
    await group.bot_replies()


async def test_case_settled_across_national_day_counts_two_working_days_and_is_not_overdue(
    group: Group, clock: ManualClock
) -> None:
    clock.set(shanghai(2026, 9, 30, 10, 0))  # Wed, the day before 国庆
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)
    accepted = await the_case(group.bot, "CY-202609-0001")
    assert accepted.status == "mediating"
    assert accepted.overdue_at == shanghai(2026, 10, 21, 0)  # settlement due Tue 10-20
    assert accepted.working_days_to_close is None

    await settle_case(group, clock, shanghai(2026, 10, 9, 16, 0))  # 10-01..10-07 are holidays

    closed = await the_case(group.bot, "CY-202609-0001")
    assert closed.status == "resolved"
    assert closed.working_days_to_close == 2  # Thu 10-08 and Fri 10-09
    assert closed.overdue_at is None
    stored, judged = await report_both_ways(group.bot, Month(2026, 10))
    assert stored == judged
    assert stored.closed == 1 and stored.overdue == 0
    assert stored.avg_working_days_to_close == 2.0


async def test_case_closed_after_its_settlement_deadline_is_overdue_from_the_day_after_it(
    group: Group, clock: ManualClock
) -> None:
    clock.set(shanghai(2026, 9, 30, 10, 0))
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)

    await settle_case(group, clock, shanghai(2026, 10, 22, 11, 0))  # two days late

    case = await the_case(group.bot, "CY-202609-0001")
    assert case.status == "resolved"
    assert case.overdue_at == shanghai(2026, 10, 21, 0)
    # 10-08, 10-09, Sat 10-10 (调休上班), 10-12..10-16, 10-19..10-22
    assert case.working_days_to_close == 12
    stored, judged = await report_both_ways(group.bot, Month(2026, 10))
    assert stored == judged
    assert stored.overdue == 1 and stored.avg_working_days_to_close == 12.0
    september, judged_september = await report_both_ways(group.bot, Month(2026, 9))
    assert september == judged_september
    assert september.overdue == 0  # open at the end of September, not overdue yet


async def test_sweep_fills_in_the_facts_of_a_case_waiting_for_acceptance(
    group: Group, clock: ManualClock
) -> None:
    await group.say(GRID_WORKER, COMPLAINT)  # no merchant bound: the case waits, 待受理
    fresh = await the_case(group.bot, "CY-202606-0001")
    assert fresh.status == "pending"
    assert (fresh.overdue_at, fresh.working_days_to_close) == (None, None)  # unknown
    clock.set(shanghai(2026, 6, 15, 9, 0))
    unknown, judged = await report_both_ways(group.bot, Month(2026, 6), now=clock.now())
    assert unknown == judged and unknown.overdue == 1  # judged without stored facts

    await group.bot.sweep_deadlines()

    swept = await the_case(group.bot, "CY-202606-0001")
    # received Mon 06-01: the seventh working day after it is Wed 06-10
    assert swept.overdue_at == shanghai(2026, 6, 11, 0)
    stored, judged = await report_both_ways(group.bot, Month(2026, 6), now=clock.now())
    assert stored == judged == unknown


async def test_case_closed_by_staff_command_is_reported_right_before_and_after_the_sweep(
    group: Group, clock: ManualClock
) -> None:
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)
    clock.set(shanghai(2026, 6, 22, 10, 0))  # 06-19 is the Dragon Boat Festival
    await group.say(STAFF, "/close CY-202606-0001 失败")
    await group.bot_replies()
    assert (await the_case(group.bot, "CY-202606-0001")).status == "failed"
    before, judged = await report_both_ways(group.bot, Month(2026, 6), now=clock.now())
    assert before == judged

    await group.bot.sweep_deadlines()

    case = await the_case(group.bot, "CY-202606-0001")
    # 06-02..06-05, 06-08..06-12, 06-15..06-18, 06-22; settlement was due Mon 06-15
    assert case.working_days_to_close == 14
    assert case.overdue_at == shanghai(2026, 6, 16, 0)
    after, _ = await report_both_ways(group.bot, Month(2026, 6), now=clock.now())
    assert after == before
    assert after.overdue == 1 and after.avg_working_days_to_close == 14.0


async def test_sweep_moves_an_open_cases_deadline_when_staff_add_a_holiday(
    group: Group, clock: ManualClock
) -> None:
    await group.say(GRID_WORKER, COMPLAINT)  # pending, acceptance due Wed 06-10
    await group.bot.sweep_deadlines()
    assert (await the_case(group.bot, "CY-202606-0001")).overdue_at == shanghai(2026, 6, 11, 0)

    await group.say(STAFF, "/calendar 2026-06-03 放假 临时停工")
    await group.bot.sweep_deadlines()

    moved = await the_case(group.bot, "CY-202606-0001")
    assert moved.overdue_at == shanghai(2026, 6, 12, 0)
    clock.set(shanghai(2026, 6, 11, 12, 0))
    stored, judged = await report_both_ways(group.bot, Month(2026, 6), now=clock.now())
    assert stored == judged and stored.overdue == 0


async def test_making_a_past_day_a_holiday_works_out_again_the_cases_open_that_day(
    group: Group, clock: ManualClock
) -> None:
    clock.set(shanghai(2026, 9, 30, 10, 0))
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)
    await settle_case(group, clock, shanghai(2026, 10, 9, 16, 0))
    assert (await the_case(group.bot, "CY-202609-0001")).working_days_to_close == 2

    async with group.bot.sessions.begin() as session:
        await calendar_store.set_override(session, date(2026, 10, 9), False, "补记的停工日")
        changed = await reports.refresh_calendar_facts_around(
            session, date(2026, 10, 9), DeadlinePolicy(), SHANGHAI
        )
    await group.bot.reload_calendar()

    assert changed == 1
    assert (await the_case(group.bot, "CY-202609-0001")).working_days_to_close == 1
    stored, judged = await report_both_ways(group.bot, Month(2026, 10))
    assert stored == judged and stored.avg_working_days_to_close == 1.0


async def test_seeded_month_reports_the_same_from_stored_facts_as_from_the_calendar(
    bot: BotApp,
) -> None:
    await seed_month(bot.sessions)  # written straight into the tables: facts unknown
    june = Month(2026, 6)
    calendar, policy = bot.shared.calendar, bot.handler_config.deadline_policy

    async def june_reports() -> list[MonthlyReport]:
        async with bot.sessions() as session:
            return [
                await reports.monthly_report(
                    session, june, SHANGHAI, calendar, grid=grid, policy=policy
                )
                for grid in (None, "湖西")
            ]

    judged = await june_reports()
    async with bot.sessions.begin() as session:
        calculator = CalendarFactsCalculator(calendar, policy, SHANGHAI)
        await reports.refresh_calendar_facts(session, calculator, where=Case.id.is_not(None))
    async with bot.sessions() as session:
        assert await session.scalar(select(Case.id).where(reports.facts_unknown())) is None

    assert await june_reports() == judged
    assert judged[0].overdue == 2 and judged[0].avg_working_days_to_close == 4.6
