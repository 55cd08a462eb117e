"""Staff commands typed into the group (`/help`, …)."""

from __future__ import annotations

from mediation import templates

from .context import HandlerContext

HELP_TEXT = "可用指令：\n/help 查看帮助"


async def handle_command(ctx: HandlerContext) -> None:
    words = ctx.message.text.strip().lstrip("/／").split()
    name = words[0].lower() if words else ""
    if name in ("help", "帮助"):
        await ctx.reply(HELP_TEXT)
        return
    await ctx.reply(templates.unknown_command("/" + name[:20]))
