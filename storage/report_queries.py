"""The statistics from the database: a month's report as aggregates over the report indexes.
(The calendar facts they read: `storage.calendar_facts`; the export's rows:
`storage.export_rows`.)

Month boundaries are local midnights turned into UTC instants, so every filter is a plain
range on `received_at`, `accepted_at` or `closed_at`, each the first column of a covering
index (migrations 0006 and 0007). What needs the working-day calendar (overdue, working days
to close) is kept on each case when its timeline changes (`CalendarFacts`), so a report is
a handful of aggregate queries whatever the number of cases: about 30,000 a month for a city
bureau. The facts are written by the case's changes (`store_calendar_facts`), filled in
for cases fresh from intake by the deadline sweep (`refresh_calendar_facts`), and worked out
again when staff change a day of the calendar (`refresh_calendar_facts_around`).

A report is five statements in the usual case, each reading the index entries it needs
once, as the time goes into stepping through index entries and into sorts: SQLite has no
hash aggregation, so the counts per category and problem skip through those columns'
indexes, and the counts per merchant read the month's cases already grouped by merchant
from an index on the UTC month of receipt (migration 0009).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Row,
    ScalarSelect,
    Select,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.cases import UNCOUNTED_STATUSES, CaseStatus
from mediation.deadlines import DeadlinePolicy
from mediation.reports import (
    TOP_N,
    TYPICAL_CASES,
    CaseFacts,
    Month,
    MonthlyReport,
    MonthlyTotals,
    build_monthly_report,
    report_from_totals,
    was_overdue,
    working_days_to_close,
)
from mediation.workdays import WorkingCalendar

from .calendar_facts import facts_unknown
from .models import Case, Merchant
from .types import UTCDateTime

_FACT_COLUMNS = (
    Case.number,
    Case.received_at,
    Case.accepted_at,
    Case.closed_at,
    Case.status,
    Case.category,
    Case.category_group,
    Case.problem,
    func.coalesce(Merchant.name, Case.merchant_name).label("merchant_name"),
    Case.merchant_id,
    Merchant.grid,
    Case.money_returned,
    Case.rating,
)


def counted() -> ColumnElement[bool]:
    """Not a case that is in no figure (`UNCOUNTED_STATUSES`: voided, opened by mistake)."""
    return Case.status.not_in(sorted(status.value for status in UNCOUNTED_STATUSES))


def active_in(month: Month, tz: ZoneInfo) -> ColumnElement[bool]:
    """Counted cases received before the month ended and not closed before it began.

    That is every case received, accepted or closed in the month, or open at its end.
    """
    return and_(
        Case.received_at < month.end_utc(tz),
        or_(Case.closed_at.is_(None), Case.closed_at >= month.start_utc(tz)),
        counted(),
    )


def received_in(month: Month, tz: ZoneInfo) -> ColumnElement[bool]:
    return and_(
        Case.received_at >= month.start_utc(tz), Case.received_at < month.end_utc(tz), counted()
    )


def in_grid(grid: str) -> ColumnElement[bool]:
    """Cases against registry merchants whose grid (社区/网格) contains the given words."""
    return Merchant.grid.contains(grid.strip(), autoescape=True)


async def case_facts(
    session: AsyncSession,
    month: Month,
    tz: ZoneInfo,
    calendar: WorkingCalendar,
    *,
    grid: str | None = None,
    policy: DeadlinePolicy | None = None,
    now: datetime | None = None,
    office_id: int | None = None,
) -> list[CaseFacts]:
    """The cases active in the month (see `active_in`), overdue judged at its end.

    Pass `now` for a month that has not ended yet: overdue is then judged at `now`.
    """
    as_of = month.end_utc(tz) if now is None else min(month.end_utc(tz), now)
    where = _of_office(active_in(month, tz), office_id)
    return await _load(session, where, grid, as_of, tz, calendar, policy)


async def received_facts(
    session: AsyncSession,
    month: Month,
    tz: ZoneInfo,
    calendar: WorkingCalendar,
    *,
    grid: str | None = None,
    policy: DeadlinePolicy | None = None,
    office_id: int | None = None,
) -> list[CaseFacts]:
    """Only the cases received in the month (enough for 环比 / 同比)."""
    as_of = month.end_utc(tz)
    where = _of_office(received_in(month, tz), office_id)
    return await _load(session, where, grid, as_of, tz, calendar, policy)


def _of_office(where: ColumnElement[bool], office_id: int | None) -> ColumnElement[bool]:
    return where if office_id is None else and_(where, Case.office_id == office_id)


async def monthly_report(
    session: AsyncSession,
    month: Month,
    tz: ZoneInfo,
    calendar: WorkingCalendar,
    *,
    grid: str | None = None,
    policy: DeadlinePolicy | None = None,
    now: datetime | None = None,
    office_id: int | None = None,
) -> MonthlyReport:
    """The month's report, 环比 / 同比 included, from aggregates over the report indexes.

    Overdue is judged at the month's end, or at `now` for a month that has not ended yet.
    Only cases whose calendar facts are still unknown (`facts_unknown`) are read one by one
    and judged with `calendar` and `policy`; the others carry their facts.

    One office's report (`office_id`) is the per-case computation over that office's cases
    (`mediation.reports.build_monthly_report`, the aggregates' reference): an office's
    month is a small part of the district's.
    """
    if office_id is not None:
        current = await case_facts(
            session, month, tz, calendar, grid=grid, policy=policy, now=now, office_id=office_id
        )
        previous = await received_facts(
            session, month.previous(), tz, calendar, grid=grid, policy=policy, office_id=office_id
        )
        last_year = await received_facts(
            session,
            month.same_month_last_year(),
            tz,
            calendar,
            grid=grid,
            policy=policy,
            office_id=office_id,
        )
        return build_monthly_report(month, current, previous, last_year, tz=tz)
    policy = policy or DeadlinePolicy()
    as_of = month.end_utc(tz) if now is None else min(month.end_utc(tz), now)
    scope = ReportScope(month, tz, grid)
    by_category, by_problem = await _received_by_category_and_problem(session, scope)
    by_merchant, by_grid = await _received_by_merchant(session, scope)
    month_totals = await _month_totals(session, scope, as_of)
    overdue = month_totals.overdue + month_totals.open_overdue
    working_days_total, working_days_cases = (
        month_totals.working_days_total,
        month_totals.working_days_cases,
    )
    if month_totals.unknown or month_totals.unknown_anywhere:
        late, days = await _judge_unknown(session, scope, as_of, calendar, policy)
        overdue += late
        working_days_total += sum(days)
        working_days_cases += len(days)
    totals = MonthlyTotals(
        received=sum(by_category.values()),
        accepted=month_totals.accepted,
        closed=month_totals.cases,
        resolved=month_totals.resolved,
        failed=month_totals.failed,
        money_returned=month_totals.money_returned,
        overdue=overdue,
        working_days_total=working_days_total,
        working_days_cases=working_days_cases,
        rating_total=month_totals.rating_total,
        rated=month_totals.rated,
        by_category=by_category,
        by_problem=by_problem,
        by_merchant=by_merchant,
        by_grid=by_grid,
        previous_received=month_totals.previous_received,
        last_year_received=month_totals.last_year_received,
        typical_candidates=await _typical_candidates(session, scope),
    )
    return report_from_totals(month, totals)


class ReportScope:
    """One report's filters: the month and, optionally, a grid, as statement parameters.

    The statements are built once per shape (with or without a grid) and take the month's
    boundaries as bound parameters: building one anew costs milliseconds of Python, as
    much as some of them take to run.
    """

    def __init__(self, month: Month, tz: ZoneInfo, grid: str | None) -> None:
        self.month = month
        self.tz = tz
        self.with_grid = bool(grid)
        self.grid = grid or None
        previous, last_year = month.previous(), month.same_month_last_year()
        self.params: dict[str, Any] = {
            "start": month.start_utc(tz),
            "end": month.end_utc(tz),
            "previous_start": previous.start_utc(tz),
            "previous_end": previous.end_utc(tz),
            "last_year_start": last_year.start_utc(tz),
            "last_year_end": last_year.end_utc(tz),
        }
        if grid:
            self.params["grid_pattern"] = f"%{_escape_like(grid.strip())}%"
        self.params.update(_utc_month_edges(month, tz))

    def with_as_of(self, as_of: datetime) -> dict[str, Any]:
        return {**self.params, "as_of": as_of}


def _utc_month_edges(month: Month, tz: ZoneInfo) -> dict[str, Any]:
    """The month as the UTC month of the same number (`received_month`) corrected at both
    ends: between the local and the UTC start (`head`) and between the local and the UTC
    end (`tail`), cases count once more (+1: in the local month only) or once less (-1: in
    the UTC month only). In Shanghai the local month begins 8 hours before the UTC one.
    """
    following = month.next()
    utc_start = datetime(month.year, month.month, 1, tzinfo=UTC)
    utc_end = datetime(following.year, following.month, 1, tzinfo=UTC)
    start, end = month.start_utc(tz), month.end_utc(tz)
    return {
        "received_month": f"{month.year:04d}-{month.month:02d}",
        "head_start": min(start, utc_start),
        "head_end": max(start, utc_start),
        "head_sign": 1 if start < utc_start else -1,
        "tail_start": min(end, utc_end),
        "tail_end": max(end, utc_end),
        "tail_sign": 1 if end > utc_end else -1,
    }


_LIKE_ESCAPE = "/"


def _escape_like(text: str) -> str:
    """The text as a LIKE pattern matching itself (as `contains(autoescape=True)` does)."""
    for special in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, _LIKE_ESCAPE + special)
    return text


def _in_grid(with_grid: bool) -> list[ColumnElement[bool]]:
    """[] or: against a registry merchant whose grid contains the `grid_pattern` words."""
    if not with_grid:
        return []
    in_grid = Merchant.grid.like(bindparam("grid_pattern"), escape=_LIKE_ESCAPE)
    # with the merchant indexes: one short range per merchant of the grid
    return [Case.merchant_id.in_(select(Merchant.id).where(in_grid))]


def _received(with_grid: bool, period: str = "") -> list[ColumnElement[bool]]:
    """Received in the month (or in `previous` / `last_year`), as parameters."""
    start, end = (f"{period}_start", f"{period}_end") if period else ("start", "end")
    return [
        Case.received_at >= bindparam(start, type_=UTCDateTime),
        Case.received_at < bindparam(end, type_=UTCDateTime),
        counted(),
        *_in_grid(with_grid),
    ]


def _closed(with_grid: bool) -> list[ColumnElement[bool]]:
    """Closed in the month (and so active in it)."""
    end = bindparam("end", type_=UTCDateTime)
    return [
        Case.closed_at >= bindparam("start", type_=UTCDateTime),
        Case.closed_at < end,
        Case.received_at < end,
        counted(),
        *_in_grid(with_grid),
    ]


def accepted_in_order() -> ColumnElement[bool]:
    """Accepted cases received no later than accepted and not closed before it: every case
    the bot's clock orders (the partial index `ix_cases_accepted_at`, whose condition
    this must repeat word for word for SQLite to use it)."""
    return and_(
        Case.received_at <= Case.accepted_at,
        or_(Case.closed_at.is_(None), Case.closed_at >= Case.accepted_at),
    )


def accepted_out_of_order() -> ColumnElement[bool]:
    """The other accepted cases (`ix_cases_accepted_out_of_order`): a clock set back."""
    return or_(Case.received_at > Case.accepted_at, Case.closed_at < Case.accepted_at)


async def _received_by_category_and_problem(
    session: AsyncSession, scope: ReportScope
) -> tuple[dict[str | None, int], dict[str | None, int]]:
    """(cases received in the month per category, per problem type), in one statement."""
    # a grid's few cases are found through the merchant index, a whole month's by skipping
    statement = _received_in_grid_by_statement() if scope.with_grid else _received_by_statement()
    counts: dict[str, dict[str | None, int]] = {"category": {}, "problem": {}}
    for column, value, count in (await session.execute(statement, scope.params)).all():
        if count:
            counts[column][value] = int(count)
    return counts["category"], counts["problem"]


@cache
def _received_in_grid_by_statement() -> CompoundSelect:
    def per_value(column_name: str) -> Select[Any]:
        column = getattr(Case, column_name)
        return (
            select(literal(column_name), column, func.count())
            .where(*_received(True))
            .group_by(column)
        )

    return union_all(per_value("category"), per_value("problem"))


@cache
def _received_by_statement() -> CompoundSelect:
    """Cases received in the month per category and per problem type, one index range per
    value.

    The values are found by skipping through the column's report index (each step asks
    for the next larger value), so no GROUP BY sorts the month's cases: there are a few
    dozen categories and problem types, and tens of thousands of cases a month.
    """

    def per_value(column_name: str) -> list[Select[Any]]:
        column = getattr(Case, column_name)
        present = select(func.min(column).label("value")).cte(
            f"present_{column_name}", recursive=True
        )
        previous = present.alias(f"previous_{column_name}")
        following = select(func.min(column)).where(column > previous.c.value).scalar_subquery()
        present = present.union_all(select(following).where(previous.c.value.is_not(None)))

        def count_where(match: ColumnElement[bool]) -> ScalarSelect[int]:
            received = _received(False)
            return select(func.count()).select_from(Case).where(match, *received).scalar_subquery()

        name = literal(column_name)
        return [
            select(name, present.c.value, count_where(column == present.c.value)).where(
                present.c.value.is_not(None)
            ),
            select(name, null(), count_where(column.is_(None))),
        ]

    return union_all(*per_value("category"), *per_value("problem"))


async def _received_by_merchant(
    session: AsyncSession, scope: ReportScope
) -> tuple[dict[str | None, int], dict[str | None, int]]:
    """(cases received per merchant name, at least every name tied with the TOP_N-th;
    cases received per grid). Registry merchants go by their registry name and grid,
    others by the name in the complaint; one name may be both, and then counts once.

    Only the names that can reach the top come back: a registry merchant with at least
    the TOP_N-th largest count among registry merchants (the same name's complaints without
    a merchant only add to it), and every name used by such complaints, with the registry
    merchant of that name if there is one.
    """
    # SQLite sorts a GROUP BY; its month index reads the month's cases merchant by merchant
    by_month_index = not scope.with_grid and session.get_bind().dialect.name == "sqlite"
    top, everyone = _received_by_merchant_statements(scope.with_grid, by_month_index)
    rows = (await session.execute(top, scope.params)).all()
    blank = any(kind == "registered" and not (label or "").strip() for kind, label, _ in rows)
    if blank:
        rows = (await session.execute(everyone, scope.params)).all()  # blank to Python only
    registered = {label: int(count) for kind, label, count in rows if kind == "registered"}
    merchants: dict[str | None, int] = dict(registered)
    for kind, label, count in rows:
        if kind == "unregistered":
            merchants[label] = registered.get(label, 0) + int(count)
    grids = {label: int(count) for kind, label, count in rows if kind == "grid"}
    return merchants, grids


def _received_month() -> ColumnElement[str]:
    """The UTC month of receipt, the first 7 characters of the instant SQLite stores: the
    expression of `ix_cases_received_month` (SQLite only), which this must repeat exactly."""
    return func.substr(Case.received_at, literal_column("1"), literal_column("7"), type_=String)


def _per_merchant_by_month_index() -> Select[Any]:
    """Cases received in the month per registry merchant, from `ix_cases_received_month`:
    the UTC month's cases come merchant by merchant, so only the few hours between the local
    and the UTC month's ends (`_utc_month_edges`) go through a sort, and then the sums."""
    registered = Case.merchant_id.is_not(None)
    utc_month = (
        select(Case.merchant_id, func.count().label("cases"))
        .where(
            _received_month() == bindparam("received_month", type_=String),
            registered,
            counted(),
        )
        .group_by(Case.merchant_id)
    )

    def edge(name: str) -> Select[Any]:
        return (
            select(Case.merchant_id, (func.count() * bindparam(f"{name}_sign")).label("cases"))
            .where(
                Case.received_at >= bindparam(f"{name}_start", type_=UTCDateTime),
                Case.received_at < bindparam(f"{name}_end", type_=UTCDateTime),
                registered,
                counted(),
            )
            .group_by(Case.merchant_id)
        )

    parts = union_all(utc_month, edge("head"), edge("tail")).subquery("parts")
    cases = func.sum(parts.c.cases)
    return (
        select(parts.c.merchant_id, cases.label("cases"))
        .group_by(parts.c.merchant_id)
        .having(cases > 0)
    )


@cache
def _received_by_merchant_statements(
    with_grid: bool, by_month_index: bool = False
) -> tuple[CompoundSelect, CompoundSelect]:
    """(per grid, the registry merchants that can reach the top and the names of complaints
    without a merchant; the same with every registry merchant)."""
    if by_month_index:
        per_merchant = _per_merchant_by_month_index().subquery("per_merchant")
    else:
        per_merchant = (
            select(Case.merchant_id, func.count().label("cases"))
            .where(*_received(with_grid), Case.merchant_id.is_not(None))
            .group_by(Case.merchant_id)
            .subquery("per_merchant")
        )
    registered = (
        select(Merchant.name.label("name"), Merchant.grid.label("grid"), per_merchant.c.cases)
        .join(per_merchant, per_merchant.c.merchant_id == Merchant.id)
        .cte("registered")
    )
    not_blank = func.trim(registered.c.name) != ""
    threshold = (
        select(registered.c.cases)
        .where(not_blank)
        .order_by(registered.c.cases.desc())
        .limit(1)
        .offset(TOP_N - 1)
        .scalar_subquery()
    )
    by_grid = select(literal("grid"), registered.c.grid, func.sum(registered.c.cases)).group_by(
        registered.c.grid
    )
    all_registered = select(literal("registered"), registered.c.name, registered.c.cases)
    # coalesce: fewer than TOP_N names, and every one of them is in the top
    top = all_registered.where(not_blank, registered.c.cases >= func.coalesce(threshold, 0))
    if with_grid:  # complaints without a registry merchant are in no grid
        return union_all(by_grid, top), union_all(by_grid, all_registered)
    unregistered = (
        select(Case.merchant_name.label("name"), func.count().label("cases"))
        # one range of the merchant index: the month's cases without a registry merchant
        .where(*_received(False), Case.merchant_id.is_(None))
        .where(Case.merchant_name.is_not(None))
        .group_by(Case.merchant_name)
        .cte("unregistered")
    )
    unregistered_names = select(literal("unregistered"), unregistered.c.name, unregistered.c.cases)
    same_names = all_registered.where(registered.c.name.in_(select(unregistered.c.name)))
    return (
        union_all(by_grid, top, same_names, unregistered_names),
        union_all(by_grid, all_registered, unregistered_names),
    )


@dataclass(frozen=True)
class _MonthTotals:
    """What the month's cases add up to, besides the splits by category, problem and
    merchant: the cases closed in it, the overdue among those open at its end, the cases
    accepted in it, and the cases received in the month before and a year before."""

    cases: int  # closed in the month
    resolved: int
    failed: int
    money_returned: Decimal
    rating_total: int
    rated: int
    working_days_total: int
    working_days_cases: int
    overdue: int  # among the closed
    unknown: int  # closed cases whose calendar facts are unknown
    open_overdue: int  # among the cases open at the month's end
    unknown_anywhere: int  # cases whose calendar facts are unknown, of any month
    accepted: int
    previous_received: int
    last_year_received: int


async def _month_totals(session: AsyncSession, scope: ReportScope, as_of: datetime) -> _MonthTotals:
    """The month's totals in one statement: one pass over the closed index for the cases
    closed in the month, and a count over one index range for each of the others."""
    statement = _month_totals_statement(scope.with_grid)
    row = (await session.execute(statement, scope.with_as_of(as_of))).one()
    (cases, resolved_cases, failed_cases, money, paid, ratings, rated, days, known, late) = row[:10]
    still_open, closed_after, unknown_anywhere, accepted, accepted_else = row[10:15]
    previous, last_year = row[15:]
    return _MonthTotals(
        cases=int(cases),
        resolved=int(resolved_cases),
        failed=int(failed_cases),
        # as the cases' own Decimals add up: Decimal(0) unless some money was returned
        money_returned=Decimal(int(money)).scaleb(-2) if paid else Decimal(0),
        rating_total=int(ratings or 0),
        rated=int(rated),
        working_days_total=int(days or 0),
        working_days_cases=int(known),
        overdue=int(late),
        unknown=int(cases) - int(known),
        open_overdue=int(still_open) + int(closed_after),
        unknown_anywhere=int(unknown_anywhere),
        accepted=int(accepted) + int(accepted_else),
        previous_received=int(previous),
        last_year_received=int(last_year),
    )


@cache
def _month_totals_statement(with_grid: bool) -> Select[Any]:
    """The closed cases' aggregates (the conditional ones as FILTER clauses, a little
    cheaper per case than sums of CASE) with the other counts as scalar subqueries, each
    one range of an index.

    Open at the month's end: overdue among the cases still open and among those closed
    after the month, each one range of the closed index. A case is received before it goes
    overdue, so `overdue_at <= as_of` (never after the month's end) already says it was
    received in time to be open at the end. The number of cases whose facts are unknown is
    counted anywhere: the partial index answers it, `_judge_unknown` sorts them out.
    """
    resolved = Case.status == CaseStatus.RESOLVED.value
    failed = Case.status == CaseStatus.FAILED.value
    cents = cast(func.round(Case.money_returned * 100), BigInteger)  # exact on SQLite's REAL
    start, end = bindparam("start", type_=UTCDateTime), bindparam("end", type_=UTCDateTime)
    overdue = Case.overdue_at <= bindparam("as_of", type_=UTCDateTime)

    def count(*where: ColumnElement[bool]) -> ScalarSelect[int]:
        return select(func.count()).select_from(Case).where(*where).scalar_subquery()

    grid = _in_grid(with_grid)
    # accepted in the month and active in it, as the report counts them
    active = [Case.received_at < end, or_(Case.closed_at.is_(None), Case.closed_at >= start)]
    in_month = [Case.accepted_at >= start, Case.accepted_at < end, counted()]
    if with_grid:  # one short range of the merchant index per merchant of the grid
        accepted = [count(*in_month, *active, *grid), literal(0)]
    else:  # every case whose timeline is in order is active; the others (normally none) are
        # checked one by one
        accepted = [
            count(accepted_in_order(), *in_month),
            count(accepted_out_of_order(), *in_month, *active),
        ]
    return select(
        func.count(),
        func.count().filter(resolved),
        func.count().filter(failed),
        func.sum(cents).filter(resolved),
        func.count().filter(and_(resolved, Case.money_returned != 0)),
        func.sum(Case.rating),
        func.count(Case.rating),
        func.sum(Case.working_days_to_close),
        func.count(Case.working_days_to_close),
        func.count().filter(overdue),
        count(Case.closed_at.is_(None), overdue, *grid),
        count(Case.closed_at >= end, overdue, counted(), *grid),
        count(facts_unknown(), counted()),
        *accepted,
        count(*_received(with_grid, "previous")),
        count(*_received(with_grid, "last_year")),
    ).where(*_closed(with_grid))


_TYPICAL_LOOKAHEAD = 8  # amounts read past the last typical case, to see its ties
# the largest amounts of all time looked at for the month's: about 1 in 36 of them are in
# a given month of three years of cases, and a month that finds too few takes the month's
# range instead, which is then short
_TYPICAL_LARGEST_OF_ALL = 3_000


async def _typical_candidates(
    session: AsyncSession, scope: ReportScope
) -> list[tuple[str, Decimal | None]]:
    """Resolved cases closed in the month with at least the TYPICAL_CASES-th largest money.

    The largest amounts and their row ids come first from the resolved cases' money index,
    largest first across all months, keeping the month's: a few thousand index entries
    instead of the month's range. When that finds too few (a month with few cases, a
    grid), or amounts of 0 (a resolved case without an amount counts as 0 and would tie),
    one pass over the month's range of the closed index finds them. Either way a few are
    read past the last typical case so its ties are seen; only when even those are all
    tied with it does a further pass read every tied case (the tie goes by case number,
    which is not in the index).
    """
    wanted = TYPICAL_CASES + _TYPICAL_LOOKAHEAD
    largest_of_all, largest, tied = _typical_statements(scope.with_grid)
    top: list[Row[Any]] = []
    if largest_of_all is not None:
        top = list((await session.execute(largest_of_all, scope.params)).all())
    if len(top) < wanted or top[-1].money <= 0:
        top = list((await session.execute(largest, scope.params)).all())
    floor = top[TYPICAL_CASES - 1].money if len(top) >= TYPICAL_CASES else None
    if len(top) == wanted and top[-1].money == floor:
        rows = await session.execute(tied, {**scope.params, "floor": floor})
    else:
        ids = [row.id for row in top if floor is None or row.money >= floor]
        rows = await session.execute(
            select(Case.number, Case.money_returned).where(Case.id.in_(ids))
        )
    return [(number, amount) for number, amount in rows.all()]


@cache
def _typical_statements(
    with_grid: bool,
) -> tuple[Select[Any] | None, Select[Any], Select[Any]]:
    """(the month's largest amounts among the largest of all time, or None for a grid;
    the largest amounts of the month's range; every case of the month from `floor` up),
    each with the case ids."""
    wanted = TYPICAL_CASES + _TYPICAL_LOOKAHEAD
    # coalesce: no index matches it, so SQLite without statistics does not take
    # `status = 'resolved'` for narrower than a month's range and read the whole table
    resolved = [*_closed(with_grid), func.coalesce(Case.status, "") == CaseStatus.RESOLVED.value]
    money = func.coalesce(Case.money_returned, 0)
    largest = select(Case.id, money.label("money")).where(*resolved).order_by(money.desc())
    tied = select(Case.number, Case.money_returned).where(*resolved, money >= bindparam("floor"))
    if with_grid:
        return None, largest.limit(wanted), tied
    # ix_cases_status_money, read backwards; NULLs (no amount) are left to the month's range
    of_all = (
        select(Case.id, Case.money_returned.label("money"), Case.closed_at, Case.received_at)
        .where(Case.status == CaseStatus.RESOLVED.value, Case.money_returned.is_not(None))
        .order_by(Case.money_returned.desc())
        .limit(_TYPICAL_LARGEST_OF_ALL)
        .subquery("largest_of_all")
    )
    end = bindparam("end", type_=UTCDateTime)
    largest_of_all = (
        select(of_all.c.id, of_all.c.money)
        .where(
            of_all.c.closed_at >= bindparam("start", type_=UTCDateTime),
            of_all.c.closed_at < end,
            of_all.c.received_at < end,
        )
        .order_by(of_all.c.money.desc())
        .limit(wanted)
    )
    return largest_of_all, largest.limit(wanted), tied


async def _judge_unknown(
    session: AsyncSession,
    scope: ReportScope,
    as_of: datetime,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy,
) -> tuple[int, list[int]]:
    """(overdue, working days to close of those closed in the month) among the month's
    cases whose calendar facts are unknown, judged here with the calendar.

    The unknown cases are few (fresh from intake, or closed by a command, until the next
    sweep), so all of them are read through their partial index and sorted out here.
    """
    unknown = await session.execute(
        select(Case.received_at, Case.accepted_at, Case.closed_at, Case.merchant_id).where(
            facts_unknown(), counted()
        )
    )
    grid_merchants: set[int] | None = None
    if scope.with_grid:
        in_grid = Merchant.grid.like(bindparam("grid_pattern"), escape=_LIKE_ESCAPE)
        found = await session.scalars(select(Merchant.id).where(in_grid), scope.params)
        grid_merchants = set(found)
    start, end = scope.params["start"], scope.params["end"]
    overdue = 0
    days: list[int] = []
    for received_at, accepted_at, closed_at, merchant_id in unknown.all():
        if not (received_at < end and (closed_at is None or closed_at >= start)):
            continue  # not active in the month (`active_in`)
        if grid_merchants is not None and merchant_id not in grid_merchants:
            continue
        overdue += was_overdue(
            received_at=received_at,
            accepted_at=accepted_at,
            closed_at=closed_at,
            as_of=as_of,
            calendar=calendar,
            policy=policy,
            tz=scope.tz,
        )
        if scope.month.contains(closed_at, scope.tz):
            days.append(working_days_to_close(received_at, closed_at, calendar, scope.tz) or 0)
    return overdue, days


async def _load(
    session: AsyncSession,
    where: ColumnElement[bool],
    grid: str | None,
    as_of: datetime,
    tz: ZoneInfo,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy | None,
) -> list[CaseFacts]:
    statement = (
        select(*_FACT_COLUMNS)
        .outerjoin(Merchant, Merchant.id == Case.merchant_id)
        .where(where)
        .order_by(Case.received_at, Case.id)
    )
    if grid:
        statement = statement.where(in_grid(grid))
    rows = (await session.execute(statement)).all()
    return facts_of(rows, as_of=as_of, tz=tz, calendar=calendar, policy=policy)


def facts_of(
    rows: Sequence[Row[tuple[object, ...]]],
    *,
    as_of: datetime,
    tz: ZoneInfo,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy | None = None,
) -> list[CaseFacts]:
    policy = policy or DeadlinePolicy()
    return [
        CaseFacts(
            number=row.number,
            received_at=row.received_at,
            accepted_at=row.accepted_at,
            closed_at=row.closed_at,
            status=CaseStatus(row.status),
            category=row.category,
            category_group=row.category_group,
            problem=row.problem,
            merchant_name=row.merchant_name,
            merchant_id=row.merchant_id,
            grid=row.grid,
            money_returned=row.money_returned,
            rating=row.rating,
            overdue=was_overdue(
                received_at=row.received_at,
                accepted_at=row.accepted_at,
                closed_at=row.closed_at,
                as_of=as_of,
                calendar=calendar,
                policy=policy,
                tz=tz,
            ),
            working_days_to_close=working_days_to_close(
                row.received_at, row.closed_at, calendar, tz
            ),
        )
        for row in rows
    ]
