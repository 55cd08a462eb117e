"""Complaint intake: duplicates are linked, not opened twice; nuisance reports get a pointer."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Case, CaseEvent

from .conversation import CONSUMER, GRID_WORKER, Group

COMPLAINT = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678"


async def case_count(group: Group) -> int:
    async with group.bot.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Case)) or 0)


async def test_the_same_complaint_posted_again_is_linked_to_the_open_case(group: Group) -> None:
    await group.say(GRID_WORKER, COMPLAINT)
    await group.say(CONSUMER, COMPLAINT.replace("【投诉】", "") + "，请尽快处理")
    replies = await group.bot_replies()

    assert await case_count(group) == 1
    assert "已并入" in replies[-1] and "CY-202606-0001" in replies[-1]
    async with group.bot.sessions() as session:
        kinds = list(await session.scalars(select(CaseEvent.kind)))
    assert kinds.count("duplicate_linked") == 1


async def test_two_consumers_of_one_merchant_get_two_cases(group: Group) -> None:
    await group.say(GRID_WORKER, COMPLAINT)
    await group.say(GRID_WORKER, COMPLAINT.replace("13812345678", "13987654321"))

    assert await case_count(group) == 2


async def test_a_noise_report_opens_no_case_and_points_to_the_hotline(group: Group) -> None:
    await group.say(GRID_WORKER, "湖西路烧烤店晚上油烟太大，噪音扰民，居民反映好几次了")

    replies = await group.bot_replies()
    assert await case_count(group) == 0
    assert len(replies) == 1 and "12345" in replies[0]
