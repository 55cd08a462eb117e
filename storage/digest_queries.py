"""What the daily staff digest asks: the open cases with their timeline, the staff to tell,
and the messages the detector was unsure of that opened no case."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.cases import OPEN_STATUSES
from mediation.roles import Role

from .models import Case, InboxMessage, Member

# The route the detector gives a message it is not sure is a complaint (issue 16, not in
# the pipeline yet): read as a plain string so the digest counts them once it is.
ROUTE_UNSURE = "unsure"


async def open_cases(session: AsyncSession) -> list[Case]:
    """Every open case, oldest first."""
    rows = await session.scalars(
        select(Case)
        .where(Case.status.in_([status.value for status in OPEN_STATUSES]))
        .order_by(Case.received_at, Case.id)
    )
    return list(rows)


async def staff_ids(session: AsyncSession, admins: Collection[str]) -> list[str]:
    """Staff members and administrators (those of the settings too, even before they
    wrote), sorted."""
    rows = await session.scalars(
        select(Member.id).where(Member.role.in_([Role.STAFF.value, Role.ADMIN.value]))
    )
    return sorted(set(rows) | set(admins))


async def unsure_unregistered(session: AsyncSession, since: datetime) -> int:
    """Messages received since `since` that the detector was unsure of and that opened no
    case."""
    opened = select(Case.id).where(Case.source_message_id == InboxMessage.message_id)
    count = await session.scalar(
        select(func.count())
        .select_from(InboxMessage)
        .where(
            InboxMessage.route == ROUTE_UNSURE,
            InboxMessage.received_at >= since,
            ~opened.exists(),
        )
    )
    return int(count or 0)
