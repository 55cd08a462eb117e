"""Typical cases (典型案例): the write-ups kept for the board, the groups and /案例."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import TypicalCase

DRAFT = "draft"
PUBLISHED = "published"
WITHDRAWN = "withdrawn"


async def of_case(session: AsyncSession, case_id: int) -> TypicalCase | None:
    return await session.scalar(select(TypicalCase).where(TypicalCase.case_id == case_id))


async def published(
    session: AsyncSession,
    *,
    office_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[TypicalCase]:
    """Published write-ups, newest first; `since`/`until` bound the first publication."""
    query = select(TypicalCase).where(TypicalCase.state == PUBLISHED)
    if office_id is not None:
        query = query.where(TypicalCase.office_id == office_id)
    if since is not None:
        query = query.where(TypicalCase.published_at >= since)
    if until is not None:
        query = query.where(TypicalCase.published_at < until)
    query = query.order_by(TypicalCase.published_at.desc(), TypicalCase.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(await session.scalars(query))
