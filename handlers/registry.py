"""Declaring a command once: its name, Chinese aliases, who may run it, its usage line and
its handler stand together (in the spirit of NoneBot2's `on_command`):

    @on_command("close", aliases=("结案",), roles=STAFF, usage=templates.USAGE_CLOSE)
    async def cmd_close(ctx, call): ...

`/help` (only what the asker may run), the permission check and the usage reply to a
malformed command are all read from these declarations; there is no other table to keep
in step. Who may move a case is a domain rule (`mediation.lifecycle`), checked after the
command has been let in.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from mediation import templates
from mediation.lifecycle import IllegalTransition
from mediation.quotes import split_quote
from mediation.roles import Role

from .context import HandlerContext

log = logging.getLogger(__name__)

ANYONE = frozenset(Role)
STAFF = frozenset({Role.ADMIN, Role.STAFF})
ADMIN_ONLY = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class CommandCall:
    name: str
    args: list[str]  # words after the command, @mentions removed
    mention_ids: list[str]


class UsageError(Exception):
    """The arguments do not fit; the bot answers with the command's usage line."""


Handler = Callable[[HandlerContext, CommandCall], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    name: str
    aliases: tuple[str, ...]
    roles: frozenset[Role]
    usage: str  # a line of mediation.templates, shown by /help and after a malformed call
    handler: Handler

    def may_run(self, role: Role) -> bool:
        return role in self.roles


class CommandRegistry:
    """The declared commands, in declaration order (the order `/help` lists them in)."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._by_word: dict[str, Command] = {}

    def on_command(
        self,
        name: str,
        *,
        aliases: tuple[str, ...] = (),
        roles: frozenset[Role],
        usage: str,
    ) -> Callable[[Handler], Handler]:
        """Declare the decorated function as the handler of `/name` and its aliases."""

        def declare(handler: Handler) -> Handler:
            self.add(Command(name, aliases, roles, usage, handler))
            return handler

        return declare

    def add(self, command: Command) -> None:
        for word in (command.name, *command.aliases):
            if word in self._by_word:
                raise ValueError(f"/{word} is declared twice")
        self._commands[command.name] = command
        for word in (command.name, *command.aliases):
            self._by_word[word] = command

    def remove(self, name: str) -> None:
        command = self._commands.pop(name)
        for word in (command.name, *command.aliases):
            del self._by_word[word]

    def find(self, word: str) -> Command | None:
        """The command a name or alias stands for."""
        return self._by_word.get(word)

    def usable_by(self, role: Role) -> list[Command]:
        return [command for command in self if command.may_run(role)]

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands.values())

    def __getitem__(self, name: str) -> Command:
        return self._commands[name]


COMMANDS = CommandRegistry()
on_command = COMMANDS.on_command


def parse_command(text: str, mention_ids: list[str]) -> CommandCall:
    words = split_quote(text).text.lstrip("/／").split()  # a quoted message stays out
    word = words[0].lower() if words else ""
    command = COMMANDS.find(word)
    args = [word for word in words[1:] if not word.startswith(("@", "＠"))]
    return CommandCall(name=command.name if command else word, args=args, mention_ids=mention_ids)


async def handle_command(ctx: HandlerContext) -> None:
    """Run the command a message names, if the sender may; answer whatever happens."""
    call = parse_command(ctx.message.text, list(ctx.message.mention_ids))
    command = COMMANDS.find(call.name)
    if command is None:
        if ctx.first_time(f"unknown:{call.name[:20]}"):
            await ctx.reply(templates.unknown_command("/" + call.name[:20]))
        return
    if not command.may_run(ctx.role):
        log.info("denied /%s to %s (%s)", call.name, ctx.sender.id, ctx.role.value)
        if ctx.first_time(f"denied:{call.name}"):
            await ctx.reply(templates.permission_denied(call.name))
        return
    try:
        await command.handler(ctx, call)
    except UsageError:
        await ctx.reply(templates.usage(command.usage))
    except IllegalTransition as refusal:
        if not refusal.wrong_actor or ctx.first_time(f"refused:{refusal.action.value}"):
            await ctx.reply(refusal.message)


@on_command("help", aliases=("帮助",), roles=ANYONE, usage=templates.USAGE_HELP)
async def cmd_help(ctx: HandlerContext, call: CommandCall) -> None:
    """Every command the asker may run, with its usage line (once a minute per asker)."""
    if not ctx.first_time("help"):
        return
    await ctx.reply(templates.help_text([c.usage for c in COMMANDS.usable_by(ctx.role)]))
