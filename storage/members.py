"""Rooms and members as the bot first meets them.

Two bot processes may meet the same room or member at the same moment, so a first sighting
is an insert that yields to a concurrent one (ON CONFLICT DO NOTHING, or DO UPDATE for a
member, whose row comes back either way), not an error.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.roles import Role

from .models import Member, Room, RoomMember
from .upsert import dialect_insert, insert_ignore


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
    """The member, created on first sight, with the latest display name; admins from the
    settings are always admins. One statement: INSERT … ON CONFLICT DO UPDATE … RETURNING."""
    name = display_name[:200]
    is_admin = member_id in admins
    statement = dialect_insert(session, Member).values(
        id=member_id,
        display_name=name,
        role=Role.ADMIN if is_admin else Role.UNKNOWN,
        merchant_id=None,
        first_seen_at=now,
    )
    changes = {"display_name": statement.excluded.display_name if name else Member.display_name}
    if is_admin:
        changes["role"] = statement.excluded.role
    statement = statement.on_conflict_do_update(index_elements=[Member.id], set_=changes)
    return await session.scalar(
        statement.returning(Member), execution_options={"populate_existing": True}
    )


async def merchant_member_ids(session: AsyncSession, merchant_id: int | None) -> list[str]:
    """The group members bound to a registry merchant, by id."""
    if merchant_id is None:
        return []
    rows = await session.scalars(
        select(Member.id).where(Member.merchant_id == merchant_id).order_by(Member.id)
    )
    return list(rows)


async def display_names(session: AsyncSession, member_ids: Collection[str]) -> dict[str, str]:
    if not member_ids:
        return {}
    rows = await session.execute(
        select(Member.id, Member.display_name).where(Member.id.in_(member_ids))
    )
    return {member_id: name for member_id, name in rows.all()}


async def room_ids(session: AsyncSession) -> list[str]:
    """Every room the bot has seen, by id."""
    return list(await session.scalars(select(Room.id).order_by(Room.id)))


async def staff_ids(session: AsyncSession, office_id: int | None = None) -> list[str]:
    """Members with the staff or admin role, by id; with `office_id`, only that office's
    staff and the admins (admins from the settings may be missing until they first speak:
    callers add `HandlerConfig.admins`)."""
    statement = select(Member.id).where(Member.role.in_([Role.STAFF, Role.ADMIN]))
    if office_id is not None:
        statement = statement.where(or_(Member.role == Role.ADMIN, Member.office_id == office_id))
    return list(await session.scalars(statement.order_by(Member.id)))


async def record_room_member(
    session: AsyncSession, room_id: str, member_id: str, now: datetime
) -> None:
    """The member is in the group (seen posting there, or @-mentioned there)."""
    values = {"room_id": room_id, "member_id": member_id, "first_seen_at": now}
    await insert_ignore(session, RoomMember, values, returning=RoomMember.room_id)


async def rooms_of(session: AsyncSession, member_ids: Collection[str]) -> list[str]:
    """The groups any of these members is known to be in, oldest sighting first."""
    if not member_ids:
        return []
    rows = await session.execute(
        select(RoomMember.room_id, RoomMember.first_seen_at)
        .where(RoomMember.member_id.in_(member_ids))
        .order_by(RoomMember.first_seen_at, RoomMember.room_id)
    )
    return list(dict.fromkeys(room_id for room_id, _ in rows.all()))
