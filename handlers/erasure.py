"""Erasing a consumer's personal data: after the retention period, or on request.

What goes: the raw phone and ID-card numbers kept for staff (`cases.contacts`), the raw
complaint text (replaced by its masked form) and the raw text of the inbox messages that
made up the case. What stays: everything the statistics need (dates, category, merchant,
amounts, outcome, rating) and the audit trail, which never held raw numbers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mediation.cases import Actor, EventKind
from mediation.privacy import mask_text
from storage import case_queries, cases
from storage.models import Case


async def erase_personal_data(
    session: AsyncSession, case: Case, *, now: datetime, reason: str
) -> bool:
    """Erase in the caller's transaction; False when it was erased before."""
    if case.personal_data_erased_at is not None:
        return False
    messages = await case_queries.source_messages(session, case)
    for message in messages:
        message.text = mask_text(message.text)
    case.contacts = []
    case.raw_text = case.masked_text
    case.personal_data_erased_at = now
    cases.record_event(
        session,
        case,
        EventKind.PERSONAL_DATA_ERASED,
        actor=Actor.SYSTEM,
        at=now,
        data={"reason": reason},
    )
    return True


async def erase_expired(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime, retention: timedelta
) -> int:
    """Erase every case closed longer ago than the retention period."""
    async with sessions.begin() as session:
        due = await case_queries.closed_before_not_erased(session, now - retention, limit=500)
        erased = 0
        for case in due:
            erased += await erase_personal_data(session, case, now=now, reason="retention")
    return erased
