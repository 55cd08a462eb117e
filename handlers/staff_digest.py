"""The daily staff digest: on working days, at a set time, what is stuck.

One message per recipient and day, counts first: cases awaiting acceptance, merchants past
their first-answer date, deadlines within two working days, and the messages the detector
was unsure of that nobody registered. It goes to the staff room if one is configured (the
whole district), else by private message to each staff member (their office's cases and
groups) and administrator (the whole district). "Once" is kept by the outbox's
dedupe key (`digest:<day>:<room>`), so a second run, a restart or a second process queues
nothing more; a bot started after the digest's time sends that day's at start-up.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mediation import templates
from mediation.cases import CaseStatus
from mediation.workdays import WorkingCalendar
from storage import case_queries, digest_queries, outbox

from .case_actions import deadlines_of
from .context import DIRECT_ROOM_PREFIX, HandlerConfig

DIGEST_TIME = time(8, 30)
DUE_SOON_WORKING_DAYS = 2


def digest_dedupe_key(day: date, room_id: str) -> str:
    return f"digest:{day.isoformat()}:{room_id}"


def previous_working_day(day: date, calendar: WorkingCalendar) -> date:
    day -= timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


async def post_staff_digest(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    config: HandlerConfig,
    calendar: WorkingCalendar,
    at: time = DIGEST_TIME,
    staff_room: str = "",
) -> int:
    """Queue today's digest to every recipient that has not had it; how many were queued.

    Nothing on a day off, nor before `at` (local time)."""
    tz = config.timezone
    local = now.astimezone(tz)
    today = local.date()
    if not calendar.is_working_day(today) or local.time() < at:
        return 0
    since = datetime.combine(previous_working_day(today, calendar), time(0), tzinfo=tz)
    async with sessions.begin() as session:
        if staff_room:
            rooms: list[tuple[str, int | None]] = [(staff_room, None)]
        else:
            rooms = [
                (DIRECT_ROOM_PREFIX + member_id, office_id)
                for member_id, office_id in await digest_queries.recipients(
                    session, config.admins
                )
            ]
        texts: dict[int | None, str] = {}
        queued = 0
        for room_id, office_id in rooms:
            if office_id not in texts:
                texts[office_id] = await _digest_text(
                    session, today, since, config, calendar, office_id
                )
            row = await outbox.enqueue(
                session,
                room_id=room_id,
                text=texts[office_id],
                now=now,
                dedupe_key=digest_dedupe_key(today, room_id),
            )
            queued += row is not None
    return queued


async def _digest_text(
    session: AsyncSession,
    today: date,
    since: datetime,
    config: HandlerConfig,
    calendar: WorkingCalendar,
    office_id: int | None,
) -> str:
    """The digest of one office's cases and groups (None: the whole district)."""
    due_limit = calendar.add_working_days(today, DUE_SOON_WORKING_DAYS)
    pending = unanswered = 0
    due_soon: list[str] = []
    for case in await case_queries.open_cases(session, office_id=office_id):
        deadlines = deadlines_of(case, calendar, config.deadline_policy, config.timezone)
        status = CaseStatus(case.status)
        if status is CaseStatus.PENDING:
            pending += 1
            due = deadlines.acceptance_by
        else:
            due = deadlines.settlement_by
            first_answer = deadlines.first_answer_by
            if (
                status is CaseStatus.MEDIATING
                and case.merchant_replied_at is None
                and first_answer is not None
                and first_answer < today
            ):
                unanswered += 1
        if due is not None and today <= due <= due_limit:
            due_soon.append(case.number)
    unsure = await digest_queries.unsure_unregistered(session, since, office_id)
    return templates.staff_digest(
        today, pending=pending, unanswered=unanswered, due_soon=due_soon, unsure=unsure
    )
