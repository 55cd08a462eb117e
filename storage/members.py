"""Rooms and members as the bot first meets them.

Two bot processes may meet the same room or member at the same moment, so a first sighting
is an insert that yields to a concurrent one (ON CONFLICT DO NOTHING), not an error.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.roles import Role

from .models import Member, Room
from .upsert import insert_ignore


async def ensure_room(
    session: AsyncSession, room_id: str, now: datetime, account_id: str | None = None
) -> None:
    """Record the room, and the bot account that serves it when that is known."""
    values = {"id": room_id, "name": "", "first_seen_at": now, "account_id": account_id}
    created = await insert_ignore(session, Room, values, returning=Room.id)
    if created is None and account_id is not None:
        await session.execute(
            update(Room)
            .where(Room.id == room_id)
            .where(or_(Room.account_id.is_(None), Room.account_id != account_id))
            .values(account_id=account_id)
        )


async def ensure_member(
    session: AsyncSession,
    member_id: str,
    display_name: str,
    now: datetime,
    admins: Collection[str] = (),
) -> Member:
    """The member, created on first sight; admins from the settings are always admins."""
    member = await session.get(Member, member_id)
    if member is None:
        values = {
            "id": member_id,
            "display_name": display_name[:200],
            "role": Role.UNKNOWN,
            "merchant_id": None,
            "first_seen_at": now,
        }
        await insert_ignore(session, Member, values, returning=Member.id)
        member = await session.get(Member, member_id)
        assert member is not None
    if display_name and member.display_name != display_name[:200]:
        member.display_name = display_name[:200]
    if member_id in admins and member.role != Role.ADMIN:
        member.role = Role.ADMIN
    return member
