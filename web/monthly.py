"""One month's statistics for the web: which month a URL means, the report, its JSON.

The board, its JSON twin and the staff API all read the same `storage.reports`
figures, so a number on the display board is the number staff see in the chat. Public
output goes through `public_stats`, which carries no personal data: counts and money only,
labels masked once more in case a merchant or grid name was typed with a phone number in
it, and merchant names only when the office has switched them on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import HTTPException
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mediation.clock import Clock
from mediation.deadlines import DeadlinePolicy
from mediation.privacy import mask_text
from mediation.reports import Month, MonthlyReport, last_completed_month
from mediation.workdays import WorkingCalendar
from storage import offices
from storage.area_queries import received_by_area
from storage.report_queries import monthly_report

MONTH_PATTERN = r"^\d{4}-\d{2}$"
_MONTH_KEY = re.compile(MONTH_PATTERN)
BAD_MONTH = "月份格式不正确，应为 YYYY-MM，例如 2026-06"
FUTURE_MONTH = "该月份尚未开始，暂无数据"
UNKNOWN_OFFICE = "没有这个监管所"


class MonthError(ValueError):
    """A month in a URL that is malformed (status 422) or has not begun (status 404)."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class MonthlyData:
    """Reads a month's report for the web, with the bot's clock, calendar and policy."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Clock,
        timezone: ZoneInfo,
        calendar: Callable[[], WorkingCalendar],
        policy: DeadlinePolicy | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.timezone = timezone
        self.calendar = calendar
        self.policy = policy

    def now(self) -> datetime:
        return self.clock.now()

    def default_month(self) -> Month:
        """The month just ended: the one a 公示 covers and the chat summary posted."""
        return last_completed_month(self.now(), self.timezone)

    def current_month(self) -> Month:
        return Month.of(self.now(), self.timezone)

    def is_complete(self, month: Month) -> bool:
        return self.now() >= month.end_utc(self.timezone)

    def parse(self, text: str) -> Month:
        """A `YYYY-MM` month that has begun; MonthError otherwise."""
        month = parse_month_key(text)
        if month > self.current_month():
            raise MonthError(FUTURE_MONTH, 404)
        return month

    def parse_or_http(self, text: str) -> Month:
        try:
            return self.parse(text)
        except MonthError as error:
            raise HTTPException(status_code=error.status_code, detail=error.message) from None

    async def office_id(self, name: str | None) -> int | None:
        """The id of the office named in a URL (None: the whole district); MonthError 404
        for an office that does not exist."""
        if not name:
            return None
        async with self.sessions() as session:
            office = await offices.by_name(session, name)
        if office is None:
            raise MonthError(UNKNOWN_OFFICE, 404)
        return office.id

    async def office_names(self) -> list[str]:
        async with self.sessions() as session:
            return [office.name for office in await offices.all_offices(session)]

    async def areas(
        self, month: Month, office_id: int | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """Where the month's complaints came from (street, community), for the public."""
        async with self.sessions() as session:
            split = await received_by_area(session, month, self.timezone, office_id)
        return {"by_street": _counts(split.by_street), "by_community": _counts(split.by_community)}

    async def report(self, month: Month, office_id: int | None = None) -> MonthlyReport:
        async with self.sessions() as session:
            return await monthly_report(
                session,
                month,
                self.timezone,
                self.calendar(),
                policy=self.policy,
                now=self.now(),
                office_id=office_id,
            )


def parse_month_key(text: str) -> Month:
    """Exactly `YYYY-MM` (URLs have one spelling); MonthError (a ValueError) otherwise."""
    if not _MONTH_KEY.fullmatch(text):
        raise MonthError(BAD_MONTH, 422)
    try:
        return Month(int(text[:4]), int(text[5:]))
    except ValueError:
        raise MonthError(BAD_MONTH, 422) from None


def public_stats(
    report: MonthlyReport, *, show_merchants: bool, complete: bool, generated_at: datetime
) -> dict[str, Any]:
    """The public figures of a month (the board and /api/public/stats show the same)."""
    stats: dict[str, Any] = {
        "month": report.month.key,
        "label": report.month.label,
        "complete": complete,
        "generated_at": generated_at.isoformat(),
        "received": report.received,
        "accepted": report.accepted,
        "closed": report.closed,
        "resolved": report.resolved,
        "failed": report.failed,
        "success_rate": report.success_rate,
        "money_returned": money(report.money_returned),
        "avg_working_days_to_close": report.avg_working_days_to_close,
        "avg_rating": report.avg_rating,
        "rated": report.rated,
        "previous_received": report.previous_received,
        "last_year_received": report.last_year_received,
        "month_on_month": report.month_on_month,
        "year_on_year": report.year_on_year,
        "by_category": _counts(report.by_category),
        "by_problem": _counts(report.by_problem),
        "hot_spots": _counts(report.hot_spots),
    }
    if show_merchants:
        stats["top_merchants"] = _counts(report.top_merchants)
    return stats


def staff_stats(report: MonthlyReport, *, complete: bool, generated_at: datetime) -> dict[str, Any]:
    """Everything in the report, merchant names and typical cases included (staff only)."""
    stats = public_stats(report, show_merchants=True, complete=complete, generated_at=generated_at)
    stats["overdue"] = report.overdue
    stats["typical_cases"] = list(report.typical_cases)
    return stats


def money(amount: Decimal) -> str:
    """Yuan with two decimals, as a string so no cent is lost to floating point."""
    return f"{amount.quantize(Decimal('0.01'))}"


def _counts(rows: Sequence[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"name": mask_text(name), "count": count} for name, count in rows]
