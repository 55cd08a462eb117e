"""Registry alerts for staff, run with the deadline sweep, each told once:

- the 放心消费 review flag (`mediation.disclosure.merchants_to_review`): a committed merchant
  with more complaints this month than `TIAOJIE_FANGXIN_REVIEW_THRESHOLD`, once per merchant
  and month (the flag's key). Staff decide; nothing is revoked automatically.
- the daily digest of licences that end within 30 days (`mediation.registry.
  licences_expiring`), once per day from 09:00 local.

Both go to each staff member privately (they name case numbers and merchants' licences), as
`handlers.case_merchant.tell_staff_privately` sends them; the outbox dedupe key makes a
second sweep, or a second process, queue nothing.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mediation import templates as say
from mediation.disclosure import merchants_to_review
from mediation.registry import licences_expiring
from mediation.reports import Month
from mediation.workdays import WorkingCalendar
from storage.disclosure_queries import disclosure_cases

from .case_merchant import tell_staff_privately
from .context import HandlerConfig
from .registry_import import registry_entries

DIGEST_FROM = time(9, 0)
EXPIRY_WARNING_DAYS = 30


async def send_registry_alerts(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    config: HandlerConfig,
    calendar: WorkingCalendar,
    review_threshold: int,
) -> int:
    """Queue what is due; how many private messages were queued."""
    tz = config.timezone
    local = now.astimezone(tz)
    month = Month.of(now, tz)
    queued = 0
    async with sessions.begin() as session:
        cases = await disclosure_cases(
            session,
            month.start_utc(tz),
            calendar=calendar,
            policy=config.deadline_policy,
            tz=tz,
        )
        for flag in merchants_to_review(cases, month, threshold=review_threshold, tz=tz):
            queued += await tell_staff_privately(
                session, flag.text, admins=config.admins, now=now, dedupe_key=flag.key
            )
        if local.time() >= DIGEST_FROM:
            entries = [entry for _, entry in await registry_entries(session)]
            expiring = licences_expiring(entries, local.date(), EXPIRY_WARNING_DAYS)
            text = say.licences_expiring(
                [(e.name, e.licence_valid_until) for e in expiring if e.licence_valid_until]
            )
            if text:
                queued += await tell_staff_privately(
                    session,
                    text,
                    admins=config.admins,
                    now=now,
                    dedupe_key=f"licences-expiring:{local.date().isoformat()}",
                )
    return queued
