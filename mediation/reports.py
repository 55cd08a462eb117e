"""Monthly statistics (月度消费投诉情况) computed from what the cases record.

The office reports each calendar month in local time (Asia/Shanghai): a complaint received
at 23:30 on 30 June in Shanghai belongs to June even though it is already 1 July in no time
zone that matters here, and one received at 00:10 on 1 July belongs to July. Nothing is
counted in parallel counters: the figures are read off each case's own timestamps and
status (`CaseFacts`), so the chat, the board, the export and the summary always agree.

What each figure counts (`build_monthly_report`):

- received: cases whose `received_at` falls in the month.
- accepted: cases whose `accepted_at` falls in the month (受理, whenever received).
- closed: cases whose `closed_at` falls in the month, whatever the outcome (调解成功,
  调解失败, 撤回, 不予受理).
- resolved / failed: of those closed in the month, the ones closed 调解成功 / 调解失败.
- success_rate: resolved / (resolved + failed) — mediation success among the cases whose
  mediation reached an outcome in the month; withdrawn and refused cases are not mediated
  outcomes and are left out. None when no case reached an outcome.
- money_returned (挽回经济损失): the sum of `money_returned` over cases resolved in the month.
- overdue (超期): cases that had missed a handling deadline (`was_overdue`) among the cases
  closed in the month and the cases still open at the end of the month. A case left open
  and overdue for several months is counted in each of them: it is a standing figure.
  Because a case, once overdue, stays overdue, each case has one instant it became overdue
  (`CalendarFacts.overdue_at`); the database keeps it, so overdue is a comparison there.
- avg_working_days_to_close: mean working days (Chinese calendar) from receipt to closing,
  over the cases closed in the month; None when none closed.
- avg_rating (满意度): mean 1–5 rating over the cases closed in the month that were rated.
- by_category / by_problem / top_merchants / hot_spots: cases received in the month, split
  by 12315 category, by problem type, by merchant and by grid (网格), largest first.
- previous_received (环比) and last_year_received (同比): cases received in the previous
  month and in the same month a year earlier; month_on_month / year_on_year are the relative
  changes of `received` against them, None when the base is zero.
- typical_cases: up to three case numbers resolved in the month, largest money returned
  first (numbers only: a public summary carries no personal data).

A case closed, reopened and closed again counts where its latest closing falls.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from mediation.cases import UNCOUNTED_STATUSES, CaseStatus
from mediation.deadlines import CaseTimes, DeadlinePolicy, case_deadlines
from mediation.workdays import WorkingCalendar

UNCLASSIFIED = "未分类"
TOP_N = 5
TYPICAL_CASES = 3

_MONTH_PATTERN = re.compile(r"^(\d{4})\s*(?:-|/|\.|年)\s*(\d{1,2})\s*月?$")
_THIS_MONTH = frozenset({"本月", "这个月", "当月"})
_LAST_MONTH = frozenset({"上月", "上个月"})
MONTH_WORDS = _THIS_MONTH | _LAST_MONTH  # the words `parse_month` reads besides dates


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month; its boundaries are midnights in a local time zone."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"no month {self.month}")
        if not 1 <= self.year <= 9998:
            raise ValueError(f"year {self.year} out of range")

    @classmethod
    def of(cls, instant: datetime, tz: ZoneInfo) -> Month:
        """The month an instant falls in, in local time (naive instants are UTC)."""
        local = _aware(instant).astimezone(tz)
        return cls(local.year, local.month)

    @classmethod
    def of_day(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def previous(self) -> Month:
        if self.month == 1:
            return Month(self.year - 1, 12)
        return Month(self.year, self.month - 1)

    def next(self) -> Month:
        if self.month == 12:
            return Month(self.year + 1, 1)
        return Month(self.year, self.month + 1)

    def same_month_last_year(self) -> Month:
        return Month(self.year - 1, self.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def start_utc(self, tz: ZoneInfo) -> datetime:
        """00:00 local on the 1st, as a UTC instant (inclusive)."""
        return datetime.combine(self.first_day, time(0), tzinfo=tz).astimezone(UTC)

    def end_utc(self, tz: ZoneInfo) -> datetime:
        """00:00 local on the 1st of the next month, as a UTC instant (exclusive)."""
        return self.next().start_utc(tz)

    def contains(self, instant: datetime | None, tz: ZoneInfo) -> bool:
        if instant is None:
            return False
        return self.start_utc(tz) <= _aware(instant) < self.end_utc(tz)

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def key(self) -> str:
        """`YYYY-MM`, as in URLs, dedupe keys and file names."""
        return f"{self.year:04d}-{self.month:02d}"

    def __str__(self) -> str:
        return self.key


def parse_month(text: str, today: date) -> Month:
    """`2026-06`, `2026-6`, `2026/06`, `2026年6月`, `本月` or `上月`; ValueError otherwise."""
    word = text.strip()
    if word in _THIS_MONTH:
        return Month.of_day(today)
    if word in _LAST_MONTH:
        return Month.of_day(today).previous()
    match = _MONTH_PATTERN.fullmatch(word)
    if match is None:
        raise ValueError(f"not a month: {text!r}")
    return Month(int(match.group(1)), int(match.group(2)))


def last_completed_month(now: datetime, tz: ZoneInfo) -> Month:
    """The month that has most recently ended in local time (the one a summary covers)."""
    return Month.of(now, tz).previous()


@dataclass(frozen=True)
class CaseFacts:
    """What the statistics need to know about one case (no personal data)."""

    number: str
    received_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None
    status: CaseStatus
    category: str | None
    category_group: str | None
    problem: str | None
    merchant_name: str | None
    merchant_id: int | None
    grid: str | None
    money_returned: Decimal | None
    rating: int | None
    overdue: bool  # `was_overdue` at the end of the month the facts were loaded for
    working_days_to_close: int | None


@dataclass(frozen=True)
class MonthlyReport:
    """The figures of one month; see the module docstring for what each one counts."""

    month: Month
    received: int
    accepted: int
    closed: int
    resolved: int
    failed: int
    success_rate: float | None  # 0..1, rounded to 4 places
    money_returned: Decimal
    overdue: int
    avg_working_days_to_close: float | None  # rounded to 1 place
    avg_rating: float | None  # rounded to 1 place
    rated: int
    by_category: list[tuple[str, int]]
    by_problem: list[tuple[str, int]]
    top_merchants: list[tuple[str, int]]
    hot_spots: list[tuple[str, int]]
    previous_received: int
    last_year_received: int
    month_on_month: float | None  # 环比: (received - previous) / previous, 4 places
    year_on_year: float | None  # 同比: (received - last year) / last year, 4 places
    typical_cases: list[str]


def build_monthly_report(
    month: Month,
    current: Sequence[CaseFacts],
    previous: Sequence[CaseFacts],
    last_year: Sequence[CaseFacts],
    *,
    tz: ZoneInfo | None = None,
) -> MonthlyReport:
    """Compute the month's figures.

    `current` holds the cases active in the month (received, accepted or closed in it, or
    open at its end), `previous` / `last_year` at least the cases received in those months;
    each list is filtered here by timestamp, so passing more cases changes nothing. A case
    merged into another or voided (`UNCOUNTED_STATUSES`) is in no figure.
    """
    tz = tz or ZoneInfo("Asia/Shanghai")
    current, previous, last_year = (
        [f for f in facts if f.status not in UNCOUNTED_STATUSES]
        for facts in (current, previous, last_year)
    )
    end = month.end_utc(tz)
    received = [f for f in current if month.contains(f.received_at, tz)]
    accepted = [f for f in current if month.contains(f.accepted_at, tz)]
    closed = [f for f in current if month.contains(f.closed_at, tz)]
    resolved = [f for f in closed if f.status is CaseStatus.RESOLVED]
    failed = [f for f in closed if f.status is CaseStatus.FAILED]
    open_at_end = [
        f
        for f in current
        if _aware(f.received_at) < end and (f.closed_at is None or _aware(f.closed_at) >= end)
    ]
    overdue = sum(1 for f in (*closed, *open_at_end) if f.overdue)
    days = [f.working_days_to_close for f in closed if f.working_days_to_close is not None]
    ratings = [f.rating for f in closed if f.rating is not None]
    previous_received = sum(1 for f in previous if month.previous().contains(f.received_at, tz))
    last_year_received = sum(
        1 for f in last_year if month.same_month_last_year().contains(f.received_at, tz)
    )
    typical = sorted(resolved, key=lambda f: (-(f.money_returned or Decimal(0)), f.number))
    return MonthlyReport(
        month=month,
        received=len(received),
        accepted=len(accepted),
        closed=len(closed),
        resolved=len(resolved),
        failed=len(failed),
        success_rate=_ratio(len(resolved), len(resolved) + len(failed)),
        money_returned=sum((f.money_returned or Decimal(0) for f in resolved), Decimal(0)),
        overdue=overdue,
        avg_working_days_to_close=_mean(days),
        avg_rating=_mean(ratings),
        rated=len(ratings),
        by_category=_ranked(f.category for f in received),
        by_problem=_ranked(f.problem for f in received),
        top_merchants=_ranked((f.merchant_name for f in received), keep_unknown=False)[:TOP_N],
        hot_spots=_ranked((f.grid for f in received), keep_unknown=False)[:TOP_N],
        previous_received=previous_received,
        last_year_received=last_year_received,
        month_on_month=_change(len(received), previous_received),
        year_on_year=_change(len(received), last_year_received),
        typical_cases=[f.number for f in typical[:TYPICAL_CASES]],
    )


@dataclass(frozen=True)
class MonthlyTotals:
    """A month's figures as the database adds them up; `report_from_totals` ranks and rates.

    The counts follow the module docstring. `by_merchant` must hold at least every name
    tied with the TOP_N-th largest count; labels may repeat the None / blank spellings
    that the report folds together. `typical_candidates` holds at least the resolved cases
    tied with the TYPICAL_CASES-th largest money returned.
    """

    received: int
    accepted: int
    closed: int
    resolved: int
    failed: int
    money_returned: Decimal
    overdue: int
    working_days_total: int
    working_days_cases: int
    rating_total: int
    rated: int
    by_category: Mapping[str | None, int]
    by_problem: Mapping[str | None, int]
    by_merchant: Mapping[str | None, int]
    by_grid: Mapping[str | None, int]
    previous_received: int
    last_year_received: int
    typical_candidates: Sequence[tuple[str, Decimal | None]]


def report_from_totals(month: Month, totals: MonthlyTotals) -> MonthlyReport:
    """The same report `build_monthly_report` computes, from totals instead of cases."""
    typical = sorted(
        totals.typical_candidates, key=lambda case: (-(case[1] or Decimal(0)), case[0])
    )
    return MonthlyReport(
        month=month,
        received=totals.received,
        accepted=totals.accepted,
        closed=totals.closed,
        resolved=totals.resolved,
        failed=totals.failed,
        success_rate=_ratio(totals.resolved, totals.resolved + totals.failed),
        money_returned=totals.money_returned,
        overdue=totals.overdue,
        avg_working_days_to_close=_mean_of_total(
            totals.working_days_total, totals.working_days_cases
        ),
        avg_rating=_mean_of_total(totals.rating_total, totals.rated),
        rated=totals.rated,
        by_category=_ranked_counts(totals.by_category),
        by_problem=_ranked_counts(totals.by_problem),
        top_merchants=_ranked_counts(totals.by_merchant, keep_unknown=False)[:TOP_N],
        hot_spots=_ranked_counts(totals.by_grid, keep_unknown=False)[:TOP_N],
        previous_received=totals.previous_received,
        last_year_received=totals.last_year_received,
        month_on_month=_change(totals.received, totals.previous_received),
        year_on_year=_change(totals.received, totals.last_year_received),
        typical_cases=[number for number, _ in typical[:TYPICAL_CASES]],
    )


@dataclass(frozen=True)
class CalendarFacts:
    """What the working-day calendar says about one case, kept on the case row.

    `overdue_at`: the instant the case missed a handling deadline (see `was_overdue`), or
    None when it met both. A case that is still open has the instant it will miss one if
    nothing happens first; the next change of the case computes it again. Since missing a
    deadline is for good, `was_overdue(as_of)` is `overdue_at <= as_of` for every `as_of`.

    `working_days_to_close`: `working_days_to_close`, None while the case is open.
    """

    overdue_at: datetime | None
    working_days_to_close: int | None

    def overdue_by(self, as_of: datetime) -> bool:
        """`was_overdue(as_of)`, from the facts alone."""
        return self.overdue_at is not None and self.overdue_at <= as_of


class CalendarFactsCalculator:
    """`CalendarFacts` of many cases: the calendar is asked once per local day, not per case.

    Holds one calendar and policy; make a new one when either changes.
    """

    def __init__(self, calendar: WorkingCalendar, policy: DeadlinePolicy, tz: ZoneInfo) -> None:
        self.calendar = calendar
        self.policy = policy
        self.tz = tz
        self._acceptance_missed: dict[date, datetime] = {}
        self._settlement_missed: dict[date, datetime] = {}
        self._working_days: dict[tuple[date, date], int] = {}

    def facts(
        self, received_at: datetime, accepted_at: datetime | None, closed_at: datetime | None
    ) -> CalendarFacts:
        received = _aware(received_at)
        accepted = _aware(accepted_at) if accepted_at is not None else None
        closed = _aware(closed_at) if closed_at is not None else None
        missed: list[datetime] = []
        acceptance = self._missed_at(self._acceptance_missed, received, self.policy.acceptance_days)
        decided = accepted or closed
        if decided is None or decided >= acceptance:
            missed.append(acceptance)
        if accepted is not None:
            settlement = self._missed_at(
                self._settlement_missed, accepted, self.policy.settlement_days
            )
            if closed is None or closed >= settlement:
                missed.append(settlement)
        overdue_at = min(missed).astimezone(UTC) if missed else None
        return CalendarFacts(overdue_at, self._days_to_close(received, closed))

    def _missed_at(self, known: dict[date, datetime], start: datetime, days: int) -> datetime:
        """When a target of `days` working days after `start` is missed (as `case_deadlines`)."""
        day = start.astimezone(self.tz).date()
        missed = known.get(day)
        if missed is None:
            missed = known[day] = _end_of_day(self.calendar.add_working_days(day, days), self.tz)
        return missed

    def _days_to_close(self, received: datetime, closed: datetime | None) -> int | None:
        if closed is None:
            return None
        days = (received.astimezone(self.tz).date(), closed.astimezone(self.tz).date())
        count = self._working_days.get(days)
        if count is None:
            count = self._working_days[days] = self.calendar.working_days_between(*days)
        return count


def was_overdue(
    *,
    received_at: datetime,
    accepted_at: datetime | None,
    closed_at: datetime | None,
    as_of: datetime,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy,
    tz: ZoneInfo,
) -> bool:
    """Whether the case had missed a handling deadline by `as_of`.

    The deadlines are the two the deadline sweep escalates to staff: deciding acceptance
    within `acceptance_days` working days of receipt (a refusal or withdrawal decides too),
    and closing within `settlement_days` working days of acceptance. Each is missed once
    its last day has ended in local time. A case decided or closed late stays overdue; a
    closing after `as_of` is treated as not yet happened.
    """
    as_of = _aware(as_of)
    accepted = _until(accepted_at, as_of)
    closed = _until(closed_at, as_of)
    times = CaseTimes(
        status=CaseStatus.PENDING,
        received_at=_aware(received_at),
        accepted_at=accepted,
        merchant_replied_at=None,
        done_keys=frozenset(),
    )
    deadlines = case_deadlines(times, calendar, policy, tz)
    decided = accepted or closed
    if (decided or as_of) >= _end_of_day(deadlines.acceptance_by, tz):
        return True
    if accepted is None or deadlines.settlement_by is None:
        return False
    return (closed or as_of) >= _end_of_day(deadlines.settlement_by, tz)


def working_days_to_close(
    received_at: datetime, closed_at: datetime | None, calendar: WorkingCalendar, tz: ZoneInfo
) -> int | None:
    """Working days from the local day of receipt to the local day of closing (0: same day)."""
    if closed_at is None:
        return None
    received = _aware(received_at).astimezone(tz).date()
    closed = _aware(closed_at).astimezone(tz).date()
    return calendar.working_days_between(received, closed)


def _until(instant: datetime | None, as_of: datetime) -> datetime | None:
    if instant is None:
        return None
    instant = _aware(instant)
    return instant if instant <= as_of else None


def _end_of_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _change(now: int, before: int) -> float | None:
    return round((now - before) / before, 4) if before else None


def _mean(values: Sequence[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _mean_of_total(total: int, count: int) -> float | None:
    return round(total / count, 1) if count else None


def _ranked_counts(
    counts: Mapping[str | None, int], *, keep_unknown: bool = True
) -> list[tuple[str, int]]:
    """`_ranked` of labels already counted."""
    merged: Counter[str] = Counter()
    for label, count in counts.items():
        if count and (keep_unknown or (label and label.strip())):
            merged[label or UNCLASSIFIED] += count
    return sorted(merged.items(), key=lambda item: (-item[1], item[0]))


def _ranked(labels: Iterable[str | None], *, keep_unknown: bool = True) -> list[tuple[str, int]]:
    """Counts per label, largest first, ties by label; None becomes 未分类 (or is dropped)."""
    counts = Counter(
        label or UNCLASSIFIED for label in labels if keep_unknown or (label and label.strip())
    )
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
