"""Commands are declared once (`handlers/registry.py`): `/help`, the permission refusal and
the usage reply to a malformed command all come from the declaration."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from handlers.commands import COMMANDS
from handlers.registry import STAFF as STAFF_ROLES
from handlers.registry import CommandCall, UsageError, on_command
from mediation import templates
from mediation.roles import Role

from .conversation import CONSUMER, GRID_WORKER, STAFF, Group

PING_USAGE = "/ping [次数] —— 测试指令"


@pytest.fixture
def ping() -> Iterator[None]:
    """A command declared the way every command is, for the length of one test."""

    @on_command("ping", aliases=("碰一下",), roles=STAFF_ROLES, usage=PING_USAGE)
    async def cmd_ping(ctx, call: CommandCall) -> None:  # type: ignore[no-untyped-def]
        if call.args:
            raise UsageError
        await ctx.reply("pong")

    try:
        yield
    finally:
        COMMANDS.remove("ping")


async def test_a_declared_command_runs_for_its_roles_by_name_and_alias(
    group: Group, ping: None
) -> None:
    await group.say(STAFF, "/ping")
    await group.say(STAFF, "/碰一下")
    assert await group.bot_replies() == ["pong", "pong"]


async def test_a_declared_command_is_refused_to_other_roles(group: Group, ping: None) -> None:
    await group.say(GRID_WORKER, "/ping")
    await group.say(CONSUMER, "/碰一下")
    assert await group.bot_replies() == [templates.permission_denied("ping")] * 2


async def test_a_malformed_call_gets_the_declared_usage_line(group: Group, ping: None) -> None:
    await group.say(STAFF, "/ping 3")
    assert await group.bot_replies() == [templates.usage(PING_USAGE)]


async def test_help_lists_a_declared_command_only_to_its_roles(group: Group, ping: None) -> None:
    await group.say(STAFF, "/help")
    (for_staff,) = await group.bot_replies()
    await group.say(CONSUMER, "/help")
    (for_consumer,) = await group.bot_replies()
    assert PING_USAGE in for_staff.splitlines()
    assert PING_USAGE not in for_consumer


async def test_help_is_the_usage_lines_of_what_the_asker_may_run(group: Group) -> None:
    await group.say(CONSUMER, "/help")
    (for_consumer,) = await group.bot_replies()
    usable = [command for command in COMMANDS if Role.UNKNOWN in command.roles]
    assert for_consumer == templates.help_text([command.usage for command in usable])
    assert {command.name for command in usable} == {"help", "case", "withdraw", "不是投诉"}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("case", "/case"),
        ("withdraw", "/撤回"),
        ("accept", "/accept 12"),
        ("refuse", "/refuse CY-202606-0001"),
        ("close", "/结案 CY-202606-0001 也许"),
        ("reopen", "/reopen"),
        ("assign", "/assign CY-202606-0001"),
        ("role", "/role 工作人员"),
        ("bind", "/bind 张记饺子馆"),
        ("calendar", "/calendar 2027-02-06 随便"),
        ("outbox", "/outbox 全部"),
        ("stats", "/stats 2026-06 湖西 多余"),
        ("cases", "/cases 全部"),
        ("export", "/导出 2026-06 多余"),
        ("merchant", "/merchant list 湖西 东湖"),
    ],
)
async def test_every_malformed_command_gets_its_own_usage_line(
    group: Group, name: str, text: str
) -> None:
    await group.say(STAFF, text)
    assert await group.bot_replies() == [templates.usage(COMMANDS[name].usage)]


def test_a_name_or_alias_cannot_be_declared_twice() -> None:
    async def handler(ctx, call):  # type: ignore[no-untyped-def]
        return None

    with pytest.raises(ValueError, match="declared twice"):
        on_command("结案", roles=STAFF_ROLES, usage="")(handler)
    assert COMMANDS.find("结案") is COMMANDS["close"]
