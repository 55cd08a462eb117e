"""Only the reporter (or staff) settles a case: confirm, reject, withdraw, rate (issue 17.1).

A merchant naming a case number, or sending /withdraw, is refused in a short sentence and the
attempt is in the case's audit trail."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from mediation.clock import ManualClock
from storage.models import CaseEvent

from .conversation import GRID_WORKER, MERCHANT, Group, Person
from .test_mediation_conversations import COMPLAINT, bind_merchant, the_case

PASSER_BY = Person("member-zhao", "赵大爷")


async def refusals(group: Group, case_id: int) -> list[tuple[str | None, dict[str, object]]]:
    async with group.bot.sessions() as session:
        rows = await session.scalars(
            select(CaseEvent).where(
                CaseEvent.case_id == case_id, CaseEvent.kind == "action_refused"
            )
        )
        return [(row.actor_id, dict(row.data)) for row in rows]


async def test_the_merchant_cannot_confirm_its_own_offer_by_naming_the_case(group: Group) -> None:
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)
    await group.say(MERCHANT, "同意退还10元")
    await group.bot_replies()

    await group.say(MERCHANT, "CY-202606-0001 确认")
    (refused,) = await group.bot_replies()
    assert "投诉人" in refused and "确认" in refused
    case = await the_case(group.bot)
    assert case.status == "merchant_replied" and case.money_returned is None
    attempts = await refusals(group, case.id)
    assert [(actor, data["action"]) for actor, data in attempts] == [(MERCHANT.id, "confirm")]


async def test_the_merchant_cannot_withdraw_by_text_or_command(
    group: Group, clock: ManualClock
) -> None:
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)
    await group.bot_replies()

    await group.say(MERCHANT, "CY-202606-0001 撤回投诉")
    (refused,) = await group.bot_replies()
    assert "投诉人" in refused
    clock.advance(timedelta(minutes=1))  # a refusal is said once a minute (still recorded)
    await group.say(MERCHANT, "/withdraw CY-202606-0001")
    (refused,) = await group.bot_replies()
    assert "投诉人" in refused
    case = await the_case(group.bot)
    assert case.status == "mediating"
    attempts = await refusals(group, case.id)
    assert [(actor, data["action"]) for actor, data in attempts] == [
        (MERCHANT.id, "withdraw"),
        (MERCHANT.id, "withdraw"),
    ]


async def test_no_one_else_rejects_or_rates_for_the_consumer(
    group: Group, clock: ManualClock
) -> None:
    await bind_merchant(group)
    await group.say(GRID_WORKER, COMPLAINT)
    await group.say(MERCHANT, "同意退还58元")
    await group.bot_replies()
    await group.say(PASSER_BY, "CY-202606-0001 不接受")
    (refused,) = await group.bot_replies()
    assert "投诉人" in refused
    await group.say(GRID_WORKER, "确认")
    await group.bot_replies()
    clock.advance(timedelta(minutes=1))
    await group.say(MERCHANT, "CY-202606-0001 5分")
    (refused,) = await group.bot_replies()
    assert "投诉人" in refused
    case = await the_case(group.bot)
    assert case.rating is None and case.status == "resolved"
    attempts = [(actor, data["action"]) for actor, data in await refusals(group, case.id)]
    assert attempts == [(PASSER_BY.id, "reject"), (MERCHANT.id, "rate")]
