"""Offices (监管所) at work: which office a group belongs to, `/office`, and what a staff
member may act on.

A group belongs to one office (`/office 湖西所`, admins, in the group); its cases are that
office's and carry its prefix. Staff have an office (`/role @某 工作人员 湖西所`) and see and
act on that office's cases only; admins see every case. With one office all this is
invisible: everything is in office 1.
"""

from __future__ import annotations

from mediation import programme_templates as say
from mediation.offices import DEFAULT_PREFIX
from storage import offices, reference

from .context import HandlerContext
from .registry import ADMIN_ONLY, CommandCall, UsageError, on_command


async def room_office(ctx: HandlerContext) -> tuple[int, str]:
    """(office id, case-number prefix) of the message's group; the default office for a
    group not recorded yet. Kept per process (`SharedState.room_offices`) and forgotten when
    any process moves a group (the `offices` reference version)."""
    room_id = ctx.message.room_id
    known = ctx.shared.room_offices.get(room_id)
    if known is not None:
        return known
    # asked without flushing: a batch's new cases are inserted together before its commit
    with ctx.session.no_autoflush:
        office = await offices.of_room(ctx.session, room_id)
        if office is None:
            default = await offices.by_id(ctx.session, offices.DEFAULT_OFFICE_ID)
            return offices.DEFAULT_OFFICE_ID, default.prefix if default else DEFAULT_PREFIX
    ctx.shared.room_offices[room_id] = (office.id, office.prefix)
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
    await reference.bump(ctx.session, {"offices"})  # every process forgets its group offices
    ctx.reload.add("offices")
    await ctx.reply(say.office_assigned(office.name, office.prefix))
