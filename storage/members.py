"""Rooms and members as the bot first meets them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from mediation.roles import Role

from .models import Member, Room


async def ensure_room(session: AsyncSession, room_id: str, now: datetime) -> Room:
    room = await session.get(Room, room_id)
    if room is None:
        room = Room(id=room_id, name="", first_seen_at=now)
        session.add(room)
        await session.flush()
    return room


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
        member = Member(
            id=member_id, display_name=display_name[:200], role=Role.UNKNOWN, first_seen_at=now
        )
        session.add(member)
    elif display_name and member.display_name != display_name:
        member.display_name = display_name[:200]
    if member_id in admins and member.role != Role.ADMIN:
        member.role = Role.ADMIN
    await session.flush()
    return member
