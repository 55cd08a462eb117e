"""Offices (监管所) at work: which office a group belongs to, `/office`, and what a staff
member may act on.

A group belongs to one office (`/office 湖西所`, admins, in the group); its cases are that
office's and carry its prefix. Staff have an office (`/role @某 工作人员 湖西所`) and see and
act on that office's cases only; admins see every case. With one office all this is
invisible: everything is in office 1.
"""

from __future__ import annotations

from mediation import templates as say
from mediation.offices import DEFAULT_PREFIX
from storage import offices

from .context import HandlerContext
from .registry import ADMIN_ONLY, CommandCall, UsageError, on_command


async def room_office(ctx: HandlerContext) -> tuple[int, str]:
    """(office id, case-number prefix) of the message's group; the default office for a
    group not recorded yet."""
    office = await offices.of_room(ctx.session, ctx.message.room_id)
    if office is None:
        office = await offices.by_id(ctx.session, offices.DEFAULT_OFFICE_ID)
    if office is None:
        return offices.DEFAULT_OFFICE_ID, DEFAULT_PREFIX
    return office.id, office.prefix


@on_command("office", aliases=("所属",), roles=ADMIN_ONLY, usage=say.USAGE_OFFICE)
async def cmd_office(ctx: HandlerContext, call: CommandCall) -> None:
    """`/office [名称]`: the group's office, or assign the group to an office."""
    if len(call.args) > 1 or ctx.message.is_direct or ctx.message.room_id.startswith("dm:"):
        raise UsageError
    known = await offices.all_offices(ctx.session)
    names = [office.name for office in known]
    if not call.args:
        office_id, _ = await room_office(ctx)
        current = next((office.name for office in known if office.id == office_id), "")
        await ctx.reply(say.office_of_group(current, names))
        return
    office = await offices.by_name(ctx.session, call.args[0])
    if office is None:
        await ctx.reply(say.unknown_office(call.args[0][:50], names))
        return
    await offices.assign_room(ctx.session, ctx.message.room_id, office.id)
    await ctx.reply(say.office_assigned(office.name, office.prefix))
