"""What the daily staff digest asks besides the open cases (`case_queries.open_cases`): the
staff to tell (with their office), and the messages the detector was unsure of that opened
no case."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.roles import Role

from .models import Case, InboxMessage, Member, Room

# The route the detector gives a message it is not sure is a complaint (issue 16, not in
# the pipeline yet): read as a plain string so the digest counts them once it is.
ROUTE_UNSURE = "unsure"


async def recipients(
    session: AsyncSession, admins: Collection[str]
) -> list[tuple[str, int | None]]:
    """(member id, office) of every staff member, and (id, None: the whole district) of the
    administrators, those of the settings too even before they wrote; sorted by id."""
    rows = await session.execute(
        select(Member.id, Member.role, Member.office_id).where(
            Member.role.in_([Role.STAFF.value, Role.ADMIN.value])
        )
    )
    offices: dict[str, int | None] = {member_id: None for member_id in admins}
    for member_id, role, office_id in rows.all():
        if member_id not in offices:
            offices[member_id] = office_id if role == Role.STAFF.value else None
    return sorted(offices.items())


async def unsure_unregistered(
    session: AsyncSession, since: datetime, office_id: int | None = None
) -> int:
    """Messages received since `since` (in one office's groups, if given) that the detector
    was unsure of and that opened no case."""
    opened = select(Case.id).where(Case.source_message_id == InboxMessage.message_id)
    statement = (
        select(func.count())
        .select_from(InboxMessage)
        .where(
            InboxMessage.route == ROUTE_UNSURE,
            InboxMessage.received_at >= since,
            ~opened.exists(),
        )
    )
    if office_id is not None:
        statement = statement.join(Room, Room.id == InboxMessage.room_id).where(
            Room.office_id == office_id
        )
    return int(await session.scalar(statement) or 0)
