"""The monthly public summary (月度消费投诉情况公示): posted once to every group.

The office publishes the month just ended (in local time) on the 1st. "Once" is kept by the
database, not by the scheduler: each group's summary is a `monthly_summaries` row, unique
per (room, month), written in the same transaction as the outbox row that carries the text
and the chart. A second trigger, a restart, or a second process finds the row taken and
posts nothing; a bot that was down at the scheduled time posts on start-up, once, because
the start-up run looks for rooms still without the month's row. Only rooms the bot was
already in when the month ended get it: a group joined later starts with the next month.

The summary is district-wide figures with no personal data: counts, rates, money returned
and case numbers. Merchant names appear only when `summary_show_merchants` is on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mediation import templates
from mediation import templates as say
from mediation.reports import Month, MonthlyReport, last_completed_month
from mediation.workdays import WorkingCalendar
from storage import offices, outbox, summaries
from storage.report_queries import monthly_report

from .context import HandlerConfig
from .hot_issue_report import summary_additions

log = logging.getLogger(__name__)

SUMMARY_DAY = 1  # day of the month the summary of the month before is posted
SUMMARY_TIME = time(9, 0)  # local time of day


def publishing_time(now: datetime, tz: ZoneInfo, day: int, at: time) -> datetime:
    """When this month's summary (of last month) is due: `day` at `at`, local time."""
    local = now.astimezone(tz)
    day = min(max(day, 1), 28)
    return datetime.combine(local.date().replace(day=day), at, tzinfo=tz)


def summary_dedupe_key(room_id: str, month: Month) -> str:
    return f"summary:{room_id}:{month.key}"


async def post_monthly_summaries(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    config: HandlerConfig,
    calendar: WorkingCalendar,
    charts_dir: Path,
    publish_day: int = SUMMARY_DAY,
    publish_time: time = SUMMARY_TIME,
) -> int:
    """Queue the summary of the month just ended for every room without one; return how many.

    Safe to call at any time and any number of times (the cron job and every start-up call
    it): it posts nothing before this month's publishing time (`publish_day` at
    `publish_time`, local) and only ever posts a month's summary to a room once.
    """
    if now < publishing_time(now, config.timezone, publish_day, publish_time):
        return 0
    month = last_completed_month(now, config.timezone)
    async with sessions() as session:
        waiting = await summaries.rooms_without_summary(
            session, month.key, month.end_utc(config.timezone)
        )
        if not waiting:
            return 0
        known = await offices.all_offices(session)
        # with several offices each group gets its own office's figures
        room_office = await offices.offices_of_rooms(session, waiting) if len(known) > 1 else {}
        names = {office.id: office.name for office in known}
        editions: dict[int | None, tuple[str, Path]] = {}
        show_merchants = config.summary_show_merchants
        for office_id in sorted({room_office.get(room_id) for room_id in waiting}, key=str):
            report = await monthly_report(
                session,
                month,
                config.timezone,
                calendar,
                policy=config.deadline_policy,
                office_id=office_id,
            )
            text = templates.monthly_summary(report, show_merchants=config.summary_show_merchants)
            if office_id is not None:
                text += "\n" + say.office_summary_note(names.get(office_id, ""))
            # hot issues and the month's typical cases (issue 21)
            text += "\n\n" + await summary_additions(
                session, month, config.timezone, office_id, show_merchants=show_merchants
            )
            suffix = f"-{office_id}" if office_id is not None else ""
            chart = await asyncio.to_thread(_write_chart, report, charts_dir, suffix)
            editions[office_id] = (text, chart)
    posted = 0
    for room_id in waiting:
        text, chart = editions[room_office.get(room_id)]
        if await _post(sessions, room_id, month, text, chart, now):
            posted += 1
    if posted:
        log.info("monthly summary %s queued for %d room(s)", month.key, posted)
    return posted


async def _post(
    sessions: async_sessionmaker[AsyncSession],
    room_id: str,
    month: Month,
    text: str,
    chart: Path,
    now: datetime,
) -> bool:
    """Record the summary and queue its message together; False if the room already had it."""
    try:
        async with sessions.begin() as session:
            if not await summaries.record_summary(session, room_id, month.key, now):
                return False
            queued = await outbox.enqueue(
                session,
                room_id=room_id,
                text=text,
                now=now,
                image_path=str(chart),
                dedupe_key=summary_dedupe_key(room_id, month),
            )
            if queued is None:  # an outbox row without its record: keep the record, post nothing
                log.warning("summary %s for %s was already queued", month.key, room_id)
                return False
    except IntegrityError:
        log.info("summary %s for %s taken by another process", month.key, room_id)
        return False
    return True


def _write_chart(report: MonthlyReport, charts_dir: Path, suffix: str = "") -> Path:
    """The month's category chart, written once per month and office (`suffix`)."""
    # imported here: matplotlib takes a second or two to load and is needed once a month
    from mediation.charts import category_bar_chart

    png = category_bar_chart(templates.category_chart_title(report.month.label), report.by_category)
    charts_dir.mkdir(parents=True, exist_ok=True)
    path = charts_dir / f"summary-{report.month.key}{suffix}.png"
    partial = path.with_name(f"{path.name}.{secrets.token_hex(6)}.part")  # one per writer
    partial.write_bytes(png)
    os.replace(partial, path)
    return path
