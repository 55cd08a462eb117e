"""The survey registry at work in the group: a complaint naming an alias opens a case under
the registered name and takes its street, community and grid; a complaint against a merchant
that is not trading (or whose licence has expired) alerts each staff member privately, once
per case; `/stats` splits by street and community; `/merchant 名称` shows the entry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import BotApp
from handlers.registry_import import import_registry
from mediation.clock import ManualClock
from mediation.registry import read_rows
from storage.models import Case, OutboxMessage

from .conversation import GRID_WORKER, MERCHANT, STAFF, Group, Person

STAFF_MEMBER = Person("staff-zhou", "监管所周科员")
HEADER = ["名称", "别名", "街道", "社区", "网格", "经营状态", "证照", "许可证有效期至",
          "放心消费承诺", "承诺日期"]  # fmt: skip
REGISTRY = [
    ["张记饺子馆", "老张饺子", "湖西街道", "湖西社区", "湖西一网格", "在营",
     "营业执照；食品经营许可证", "2027-03-31", "是", "2026-05-01"],
    ["李氏美发", "", "湖西街道", "金湖社区", "金湖二网格", "歇业", "营业执照", "", "否", ""],
    ["好又多超市", "", "南湖街道", "东湖社区", "东湖一网格", "在营", "食品经营许可证",
     "2026-05-31", "否", ""],
    ["王家面馆", "", "南湖街道", "东湖社区", "东湖二网格", "在营", "食品经营许可证",
     "2026-06-20", "否", ""],
]  # fmt: skip


async def registry(bot: BotApp) -> None:
    async with bot.sessions.begin() as session:
        outcome = await import_registry(session, read_rows(HEADER, REGISTRY), now=bot.clock.now())
    assert outcome.written


async def cases(bot: BotApp) -> list[Case]:
    async with bot.sessions() as session:
        return list(await session.scalars(select(Case).order_by(Case.id)))


async def private_messages(bot: BotApp) -> list[tuple[str, str]]:
    async with bot.sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.room_id, OutboxMessage.text)
            .where(OutboxMessage.room_id.like("dm:%"))
            .order_by(OutboxMessage.id)
        )
        return [(room, text) for room, text in rows.all()]


async def test_an_alias_opens_the_case_under_the_registered_name_with_its_area(
    bot: BotApp, group: Group
) -> None:
    await registry(bot)

    await group.say(GRID_WORKER, "【投诉】老张饺子多收消费者58元，要求退款，电话13812345678")

    (case,) = await cases(bot)
    assert case.merchant_id is not None  # the registered name is the parser's part
    assert (case.street, case.community, case.grid) == ("湖西街道", "湖西社区", "湖西一网格")
    assert await private_messages(bot) == []  # 在营, licence valid: no lead


async def test_a_complaint_against_a_closed_merchant_alerts_every_staff_member_once(
    bot: BotApp, group: Group
) -> None:
    await registry(bot)
    await group.say(STAFF, f"/role @{STAFF_MEMBER.name} 工作人员", mentions=(STAFF_MEMBER,))
    await group.say(STAFF_MEMBER, "收到")

    await group.say(GRID_WORKER, "【投诉】李氏美发办卡后不给剪发，要求退款300元，电话13812345678")
    (case,) = await cases(bot)
    await group.say(STAFF, f"/bind @{MERCHANT.name} 李氏美发", mentions=(MERCHANT,))
    await group.say(GRID_WORKER, "【投诉】李氏美发办卡后不给剪发，要求退款300元，电话13812345678")

    alerts = await private_messages(bot)
    expected = (
        f"【线索提示】投诉 {case.number} 的被投诉方「李氏美发」档案中经营状态为「歇业」，"
        "可能存在无照或超期经营，请工作人员核查。"
    )
    assert sorted(alerts) == [("dm:staff-wang", expected), ("dm:staff-zhou", expected)]
    group_text = "\n".join(await group.bot_replies())
    assert "线索提示" not in group_text  # never in the group, where merchants sit


async def test_an_expired_licence_is_a_lead_too(bot: BotApp, group: Group) -> None:
    await registry(bot)

    await group.say(GRID_WORKER, "【投诉】好又多超市卖过期牛奶，要求退款20元，电话13812345678")

    ((room, text),) = await private_messages(bot)
    assert room == "dm:staff-wang"
    assert "许可证已于2026年5月31日到期" in text


async def test_stats_split_by_street_and_community(bot: BotApp, group: Group) -> None:
    await registry(bot)
    await group.say(GRID_WORKER, "【投诉】老张饺子多收消费者58元，要求退款，电话13812345678")
    await group.say(GRID_WORKER, "【投诉】李氏美发办卡后不给剪发，要求退款300元，电话13912345678")
    await group.say(GRID_WORKER, "【投诉】好又多超市卖过期牛奶，要求退款20元，电话13712345678")
    await group.bot_replies()

    await group.say(STAFF, "/stats")

    (reply,) = await group.bot_replies()
    assert reply.splitlines()[-2:] == [
        "按街道：湖西街道 2件、南湖街道 1件",
        "按社区：东湖社区 1件、湖西社区 1件、金湖社区 1件",
    ]


async def test_merchant_by_name_shows_the_registry_entry_and_its_cases(
    bot: BotApp, group: Group
) -> None:
    await registry(bot)
    await group.say(GRID_WORKER, "【投诉】李氏美发办卡后不给剪发，要求退款300元，电话13812345678")
    (case,) = await cases(bot)
    await group.bot_replies()

    await group.say(STAFF, "/商家 李氏美发")

    (reply,) = await group.bot_replies()
    today = bot.clock.now().date()
    assert reply.splitlines()[-6:] == [
        "街道/社区：湖西街道、金湖社区",
        "经营状态：歇业（注意：档案中经营状态为「歇业」）",
        "证照：营业执照",
        "放心消费：未承诺",
        "最近的投诉：",
        f"{case.number}【待受理】{today.month}月{today.day}日登记",
    ]
    await group.say(STAFF, "/merchant 张记饺子馆")
    (zhang,) = await group.bot_replies()
    assert "证照：营业执照、食品经营许可证（有效期至2027年3月31日）" in zhang
    assert "放心消费：已承诺（2026年5月1日）" in zhang


async def test_a_committed_merchant_over_the_threshold_is_flagged_once_per_month(
    bot: BotApp, group: Group
) -> None:
    await registry(bot)
    for phone in ("13812345671", "13812345672", "13812345673", "13812345674"):
        await group.say(GRID_WORKER, f"【投诉】老张饺子多收消费者58元，要求退款，电话{phone}")
    numbers = [case.number for case in await cases(bot)]

    await bot.sweep_deadlines()
    await bot.sweep_deadlines()  # a second sweep queues nothing again

    flags = [text for room, text in await private_messages(bot) if "放心消费复核" in text]
    assert flags == [
        f"【放心消费复核】承诺单位「张记饺子馆」2026年6月被投诉 4 件（{'、'.join(numbers)}），"
        "超过复核标准，请工作人员复核其承诺情况。是否撤销由工作人员决定，系统不会自动处理。"
    ]  # the one staff member known (the admin)
    assert "放心消费复核" not in "\n".join(await group.bot_replies())


async def test_licences_ending_within_30_days_are_in_the_daily_digest(
    bot: BotApp, group: Group, clock: ManualClock
) -> None:
    await registry(bot)

    await bot.sweep_deadlines()
    await bot.sweep_deadlines()
    clock.advance(timedelta(days=1))
    await bot.sweep_deadlines()

    digests = [text for _, text in await private_messages(bot) if "许可证到期" in text]
    assert digests == ["30天内许可证到期的商家：\n王家面馆：6月20日到期"] * 2  # one a day
