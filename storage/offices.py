"""The offices table, kept in line with `TIAOJIE_OFFICES`, and who belongs to which office.

`sync_offices` runs at start-up: the first configured office is row 1 (the default office,
which everything from before offices existed belongs to), the others keep their row by
name. An office dropped from the settings keeps its row, so its cases keep their office.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.offices import Office as OfficeSetting

from .models import Office, Room

DEFAULT_OFFICE_ID = 1


async def sync_offices(session: AsyncSession, configured: Sequence[OfficeSetting]) -> None:
    rows = {row.id: row for row in await session.scalars(select(Office))}
    by_name = {row.name: row for row in rows.values()}
    wanted: dict[int, OfficeSetting] = {DEFAULT_OFFICE_ID: configured[0]}
    for office in configured[1:]:
        row = by_name.get(office.name)
        if row is not None and row.id != DEFAULT_OFFICE_ID:
            wanted[row.id] = office
    changed = [
        row
        for row_id, row in rows.items()
        if row_id in wanted and OfficeSetting(row.name, row.prefix) != wanted[row_id]
    ]
    # names and prefixes are unique: free the changed rows' values first
    for row in changed:
        row.name, row.prefix = f"~{row.id}", f"~{row.id}"[:4]
    # an office no longer configured gives up a name or prefix a configured one wants
    taken = {office.name for office in wanted.values()} | {o.name for o in configured}
    prefixes = {office.prefix for office in configured}
    for row in rows.values():
        if row.id not in wanted and (row.name in taken or row.prefix in prefixes):
            row.name, row.prefix = f"{row.name}（停用{row.id}）"[:50], f"Z{row.id}"[:4]
    await session.flush()
    for row in changed:
        row.name, row.prefix = wanted[row.id].name, wanted[row.id].prefix
    if DEFAULT_OFFICE_ID not in rows:
        first = configured[0]
        session.add(Office(id=DEFAULT_OFFICE_ID, name=first.name, prefix=first.prefix))
    for office in configured[1:]:
        if office not in wanted.values():
            session.add(Office(name=office.name, prefix=office.prefix))
    await session.flush()


async def all_offices(session: AsyncSession) -> list[Office]:
    return list(await session.scalars(select(Office).order_by(Office.id)))


async def by_name(session: AsyncSession, name: str) -> Office | None:
    return await session.scalar(select(Office).where(Office.name == name))


async def by_id(session: AsyncSession, office_id: int) -> Office | None:
    return await session.get(Office, office_id)


async def of_room(session: AsyncSession, room_id: str) -> Office | None:
    """The room's office (None for a room not seen yet)."""
    return await session.scalar(
        select(Office).join(Room, Room.office_id == Office.id).where(Room.id == room_id)
    )


async def assign_room(session: AsyncSession, room_id: str, office_id: int) -> None:
    await session.execute(update(Room).where(Room.id == room_id).values(office_id=office_id))


async def offices_of_rooms(session: AsyncSession, room_ids: Sequence[str]) -> dict[str, int]:
    """Each room's office id (rooms not seen yet are left out)."""
    if not room_ids:
        return {}
    rows = await session.execute(select(Room.id, Room.office_id).where(Room.id.in_(list(room_ids))))
    return {room_id: office_id for room_id, office_id in rows.all()}
