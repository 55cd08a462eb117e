"""The statistics from the database: a month's report as aggregates over the report indexes.

Month boundaries are local midnights turned into UTC instants, so every filter is a plain
range on `received_at`, `accepted_at` or `closed_at`, each the first column of a covering
index (migrations 0006 and 0007). What needs the working-day calendar (overdue, working days
to close) is kept on each case when its timeline changes (`CalendarFacts`), so a report is
a handful of aggregate queries whatever the number of cases: about 30,000 a month for a city
bureau. The facts are written by the case's changes (`store_calendar_facts`), filled in
for cases fresh from intake by the deadline sweep (`refresh_calendar_facts`), and worked out
again when staff change a day of the calendar (`refresh_calendar_facts_around`).

`case_facts` still loads cases one by one, with the calendar, for the staff export.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
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
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from mediation.cases import OPEN_STATUSES, CaseStatus
from mediation.deadlines import DeadlinePolicy
from mediation.reports import (
    TOP_N,
    TYPICAL_CASES,
    CalendarFactsCalculator,
    CaseFacts,
    Month,
    MonthlyReport,
    MonthlyTotals,
    report_from_totals,
    was_overdue,
    working_days_to_close,
)
from mediation.workdays import WorkingCalendar

from .calendar import load_overrides
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


def active_in(month: Month, tz: ZoneInfo) -> ColumnElement[bool]:
    """Cases received before the month ended and not closed before it began.

    That is every case received, accepted or closed in the month, or open at its end.
    """
    return and_(
        Case.received_at < month.end_utc(tz),
        or_(Case.closed_at.is_(None), Case.closed_at >= month.start_utc(tz)),
    )


def received_in(month: Month, tz: ZoneInfo) -> ColumnElement[bool]:
    return and_(Case.received_at >= month.start_utc(tz), Case.received_at < month.end_utc(tz))


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
) -> list[CaseFacts]:
    """The cases active in the month (see `active_in`), overdue judged at its end.

    Pass `now` for a month that has not ended yet: overdue is then judged at `now`.
    """
    as_of = month.end_utc(tz) if now is None else min(month.end_utc(tz), now)
    return await _load(session, active_in(month, tz), grid, as_of, tz, calendar, policy)


async def received_facts(
    session: AsyncSession,
    month: Month,
    tz: ZoneInfo,
    calendar: WorkingCalendar,
    *,
    grid: str | None = None,
    policy: DeadlinePolicy | None = None,
) -> list[CaseFacts]:
    """Only the cases received in the month (enough for 环比 / 同比)."""
    as_of = month.end_utc(tz)
    return await _load(session, received_in(month, tz), grid, as_of, tz, calendar, policy)


async def monthly_report(
    session: AsyncSession,
    month: Month,
    tz: ZoneInfo,
    calendar: WorkingCalendar,
    *,
    grid: str | None = None,
    policy: DeadlinePolicy | None = None,
    now: datetime | None = None,
) -> MonthlyReport:
    """The month's report, 环比 / 同比 included, from aggregates over the report indexes.

    Overdue is judged at the month's end, or at `now` for a month that has not ended yet.
    Only cases whose calendar facts are still unknown (`facts_unknown`) are read one by one
    and judged with `calendar` and `policy`; the others carry their facts.
    """
    policy = policy or DeadlinePolicy()
    as_of = month.end_utc(tz) if now is None else min(month.end_utc(tz), now)
    scope = ReportScope(month, tz, grid)
    by_category = await _received_by(session, scope, "category")
    by_problem = await _received_by(session, scope, "problem")
    by_merchant, by_grid = await _received_by_merchant(session, scope)
    closed = await _closed_totals(session, scope, as_of)
    open_overdue, unknown_anywhere = await _open_at_end_totals(session, scope, as_of)
    accepted, previous, last_year = await _other_counts(session, scope)
    overdue = closed.overdue + open_overdue
    working_days_total, working_days_cases = closed.working_days_total, closed.working_days_cases
    if closed.unknown or unknown_anywhere:
        late, days = await _judge_unknown(session, scope, as_of, calendar, policy)
        overdue += late
        working_days_total += sum(days)
        working_days_cases += len(days)
    totals = MonthlyTotals(
        received=sum(by_category.values()),
        accepted=accepted,
        closed=closed.cases,
        resolved=closed.resolved,
        failed=closed.failed,
        money_returned=closed.money_returned,
        overdue=overdue,
        working_days_total=working_days_total,
        working_days_cases=working_days_cases,
        rating_total=closed.rating_total,
        rated=closed.rated,
        by_category=by_category,
        by_problem=by_problem,
        by_merchant=by_merchant,
        by_grid=by_grid,
        previous_received=previous,
        last_year_received=last_year,
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

    def with_as_of(self, as_of: datetime) -> dict[str, Any]:
        return {**self.params, "as_of": as_of}


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
        *_in_grid(with_grid),
    ]


def _closed(with_grid: bool) -> list[ColumnElement[bool]]:
    """Closed in the month (and so active in it)."""
    end = bindparam("end", type_=UTCDateTime)
    return [
        Case.closed_at >= bindparam("start", type_=UTCDateTime),
        Case.closed_at < end,
        Case.received_at < end,
        *_in_grid(with_grid),
    ]


def facts_unknown() -> ColumnElement[bool]:
    """Cases whose calendar facts are not worked out yet (see `storage.models.Case`)."""
    return and_(Case.overdue_at.is_(None), Case.working_days_to_close.is_(None))


def _overdue_by_as_of() -> ColumnElement[int]:
    return case((Case.overdue_at <= bindparam("as_of", type_=UTCDateTime), 1), else_=0)


async def _received_by(
    session: AsyncSession, scope: ReportScope, column: str
) -> dict[str | None, int]:
    if scope.with_grid:  # a grid's few cases, found through the merchant index
        statement: Select[Any] | CompoundSelect = _received_in_grid_by_statement(column)
    else:
        statement = _received_by_statement(column)
    rows = await session.execute(statement, scope.params)
    return {value: int(count) for value, count in rows.all() if count}


@cache
def _received_in_grid_by_statement(column_name: str) -> Select[Any]:
    column = getattr(Case, column_name)
    return select(column, func.count()).where(*_received(True)).group_by(column)


@cache
def _received_by_statement(column_name: str) -> CompoundSelect:
    """Cases received in the month per value of a column, one index range per value.

    The values are found by skipping through the column's report index (each step asks
    for the next larger value), so no GROUP BY sorts the month's cases: there are a few
    dozen categories and problem types, and tens of thousands of cases a month.
    """
    column = getattr(Case, column_name)
    present = select(func.min(column).label("value")).cte("present", recursive=True)
    previous = present.alias("previous")
    following = select(func.min(column)).where(column > previous.c.value).scalar_subquery()
    present = present.union_all(select(following).where(previous.c.value.is_not(None)))

    def count_where(match: ColumnElement[bool]) -> ScalarSelect[int]:
        received = _received(False)
        return select(func.count()).select_from(Case).where(match, *received).scalar_subquery()

    return union_all(
        select(present.c.value, count_where(column == present.c.value)).where(
            present.c.value.is_not(None)
        ),
        select(null(), count_where(column.is_(None))),
    )


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
    top, everyone = _received_by_merchant_statements(scope.with_grid)
    rows = (await session.execute(top, scope.params)).all()
    if any(kind == "registered" and not (label or "").strip() for kind, label, _ in rows):
        rows = (await session.execute(everyone, scope.params)).all()  # blank to Python only
    registered = {label: int(count) for kind, label, count in rows if kind == "registered"}
    merchants: dict[str | None, int] = dict(registered)
    for kind, label, count in rows:
        if kind == "unregistered":
            merchants[label] = registered.get(label, 0) + int(count)
    grids = {label: int(count) for kind, label, count in rows if kind == "grid"}
    return merchants, grids


@cache
def _received_by_merchant_statements(with_grid: bool) -> tuple[CompoundSelect, CompoundSelect]:
    """(per grid, the registry merchants that can reach the top and the names of complaints
    without a merchant; the same with every registry merchant)."""
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
class _ClosedTotals:
    cases: int
    resolved: int
    failed: int
    money_returned: Decimal
    rating_total: int
    rated: int
    working_days_total: int
    working_days_cases: int
    overdue: int
    unknown: int  # closed cases whose calendar facts are unknown


async def _closed_totals(
    session: AsyncSession, scope: ReportScope, as_of: datetime
) -> _ClosedTotals:
    """What the cases closed in the month add up to, in one pass over the closed index."""
    statement = _closed_totals_statement(scope.with_grid)
    row = (await session.execute(statement, scope.with_as_of(as_of))).one()
    cases, resolved_cases, failed_cases, money, paid, ratings, rated, days, known, late = row
    return _ClosedTotals(
        cases=int(cases),
        resolved=int(resolved_cases or 0),
        failed=int(failed_cases or 0),
        # as the cases' own Decimals add up: Decimal(0) unless some money was returned
        money_returned=Decimal(int(money)).scaleb(-2) if paid else Decimal(0),
        rating_total=int(ratings or 0),
        rated=int(rated),
        working_days_total=int(days or 0),
        working_days_cases=int(known),
        overdue=int(late or 0),
        unknown=int(cases) - int(known),
    )


@cache
def _closed_totals_statement(with_grid: bool) -> Select[Any]:
    resolved = Case.status == CaseStatus.RESOLVED.value
    failed = Case.status == CaseStatus.FAILED.value
    cents = cast(func.round(Case.money_returned * 100), BigInteger)  # exact on SQLite's REAL
    return select(
        func.count(),
        func.sum(case((resolved, 1), else_=0)),
        func.sum(case((failed, 1), else_=0)),
        func.sum(case((resolved, cents), else_=None)),
        func.count(case((and_(resolved, Case.money_returned != 0), 1), else_=None)),
        func.sum(Case.rating),
        func.count(Case.rating),
        func.sum(Case.working_days_to_close),
        func.count(Case.working_days_to_close),
        func.sum(_overdue_by_as_of()),
    ).where(*_closed(with_grid))


async def _open_at_end_totals(
    session: AsyncSession, scope: ReportScope, as_of: datetime
) -> tuple[int, int]:
    """(overdue among the cases open at the month's end, cases with unknown facts)."""
    statement = _open_at_end_statement(scope.with_grid)
    row = (await session.execute(statement, scope.with_as_of(as_of))).one()
    return int(row[0]) + int(row[1]), int(row[2])


@cache
def _open_at_end_statement(with_grid: bool) -> Select[Any]:
    """Overdue among the cases still open and among those closed after the month, each one
    range of the closed index, and the number of cases whose facts are unknown. A case is
    received before it goes overdue, so `overdue_at <= as_of` (never after the month's
    end) already says it was received in time to be open at the end."""
    end = bindparam("end", type_=UTCDateTime)
    overdue = Case.overdue_at <= bindparam("as_of", type_=UTCDateTime)

    def count(*where: ColumnElement[bool]) -> ScalarSelect[int]:
        where = (*where, *_in_grid(with_grid))
        return select(func.count()).select_from(Case).where(*where).scalar_subquery()

    unknown = select(func.count()).select_from(Case).where(facts_unknown()).scalar_subquery()
    return select(
        count(Case.closed_at.is_(None), overdue),
        count(Case.closed_at >= end, overdue),
        unknown,  # anywhere: the partial index answers it, `_judge_unknown` sorts them out
    )


async def _other_counts(session: AsyncSession, scope: ReportScope) -> tuple[int, int, int]:
    """(accepted in the month, received the month before, received a year before)."""
    row = (await session.execute(_other_counts_statement(scope.with_grid), scope.params)).one()
    return int(row[0]), int(row[1]), int(row[2])


@cache
def _other_counts_statement(with_grid: bool) -> Select[Any]:
    def count(*where: ColumnElement[bool]) -> ScalarSelect[int]:
        return select(func.count()).select_from(Case).where(*where).scalar_subquery()

    start, end = bindparam("start", type_=UTCDateTime), bindparam("end", type_=UTCDateTime)
    accepted = count(
        Case.accepted_at >= start,
        Case.accepted_at < end,
        Case.received_at < end,  # active in the month, as the report counts it
        or_(Case.closed_at.is_(None), Case.closed_at >= start),
        *_in_grid(with_grid),
    )
    previous = count(*_received(with_grid, "previous"))
    last_year = count(*_received(with_grid, "last_year"))
    return select(accepted, previous, last_year)


_TYPICAL_LOOKAHEAD = 8  # amounts read past the last typical case, to see its ties


async def _typical_candidates(
    session: AsyncSession, scope: ReportScope
) -> list[tuple[str, Decimal | None]]:
    """Resolved cases closed in the month with at least the TYPICAL_CASES-th largest money.

    One pass over the closed index finds the largest amounts and their row ids, a few past
    the last typical case so its ties are seen; only when even those are all tied with it
    does a second pass read every tied case (the tie goes by case number, which is not in
    the index).
    """
    largest, tied = _typical_statements(scope.with_grid)
    top = (await session.execute(largest, scope.params)).all()
    floor = top[TYPICAL_CASES - 1].money if len(top) >= TYPICAL_CASES else None
    if len(top) == TYPICAL_CASES + _TYPICAL_LOOKAHEAD and top[-1].money == floor:
        rows = await session.execute(tied, {**scope.params, "floor": floor})
    else:
        ids = [row.id for row in top if floor is None or row.money >= floor]
        rows = await session.execute(
            select(Case.number, Case.money_returned).where(Case.id.in_(ids))
        )
    return [(number, amount) for number, amount in rows.all()]


@cache
def _typical_statements(with_grid: bool) -> tuple[Select[Any], Select[Any]]:
    """(the largest amounts with their ids, every case from `floor` up)."""
    # coalesce: no index matches it, so SQLite without statistics does not take
    # `status = 'resolved'` for narrower than a month's range and read the whole table
    resolved = [*_closed(with_grid), func.coalesce(Case.status, "") == CaseStatus.RESOLVED.value]
    money = func.coalesce(Case.money_returned, 0)
    largest = (
        select(Case.id, money.label("money"))
        .where(*resolved)
        .order_by(money.desc())
        .limit(TYPICAL_CASES + _TYPICAL_LOOKAHEAD)
    )
    tied = select(Case.number, Case.money_returned).where(*resolved, money >= bindparam("floor"))
    return largest, tied


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
            facts_unknown()
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


def store_calendar_facts(case: Case, calculator: CalendarFactsCalculator) -> None:
    """Write the case's calendar facts on its row, in the caller's transaction."""
    facts = calculator.facts(case.received_at, case.accepted_at, case.closed_at)
    case.overdue_at = facts.overdue_at
    case.working_days_to_close = facts.working_days_to_close


def forget_calendar_facts(case: Case) -> None:
    """Mark the case's facts unknown: the report judges it itself until the sweep fills them."""
    case.overdue_at = None
    case.working_days_to_close = None


async def refresh_calendar_facts(
    session: AsyncSession,
    calculator: CalendarFactsCalculator,
    *,
    open_cases: bool = True,
    where: ColumnElement[bool] | None = None,
) -> int:
    """Work out again the facts of the cases whose facts are unknown and, with `open_cases`,
    of the open ones (or of the cases `where` picks); write the ones that changed and
    return how many did.

    Open cases are the ones a change of calendar or deadline settings can still move; the
    deadline sweep asks for them with each new calendar, so such a change reaches them
    within a sweep. Reading them all costs about a second per 30,000 open cases.
    """
    columns = (
        Case.id,
        Case.received_at,
        Case.accepted_at,
        Case.closed_at,
        Case.overdue_at,
        Case.working_days_to_close,
    )
    if where is not None:
        picks = [where]
    elif open_cases:
        picks = [facts_unknown(), Case.status.in_([status.value for status in OPEN_STATUSES])]
    else:
        picks = [facts_unknown()]
    rows: dict[int, Row[Any]] = {}
    for pick in picks:
        for row in (await session.execute(select(*columns).where(pick))).all():
            rows[row.id] = row
    changes = []
    for case_id in sorted(rows):  # one order for every process: no deadlock between sweeps
        row = rows[case_id]
        facts = calculator.facts(row.received_at, row.accepted_at, row.closed_at)
        if (row.overdue_at, row.working_days_to_close) != (
            facts.overdue_at,
            facts.working_days_to_close,
        ):
            changes.append(
                {
                    "id": case_id,
                    "overdue_at": facts.overdue_at,
                    "working_days_to_close": facts.working_days_to_close,
                }
            )
    if changes:
        await session.execute(update(Case), changes)
    return len(changes)


async def refresh_calendar_facts_around(
    session: AsyncSession, day: date, policy: DeadlinePolicy, tz: ZoneInfo
) -> int:
    """After staff have made `day` a holiday or a working day (`storage.calendar`): work
    out again, with the overrides as they now stand in `session`, the facts of every case
    the day can change, and return how many changed.

    Those are the cases received before the day and not closed before it: a deadline the
    day moves stays on the day or after it, so a case decided and closed earlier met or
    missed its deadlines as before, and one received on the day or later never counts it.
    """
    holidays, working_days = await load_overrides(session)
    calculator = CalendarFactsCalculator(WorkingCalendar(holidays, working_days), policy, tz)
    start = datetime.combine(day, time(0), tzinfo=tz)
    return await refresh_calendar_facts(
        session,
        calculator,
        where=and_(
            Case.received_at < start, or_(Case.closed_at.is_(None), Case.closed_at >= start)
        ),
    )


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


async def open_cases(
    session: AsyncSession,
    *,
    reporter_id: str | None = None,
    merchant_id: int | None = None,
    assignee_id: str | None = None,
) -> list[Case]:
    """Open cases, oldest first, narrowed by reporter / merchant / assignee when given."""
    statement = (
        select(Case)
        .where(Case.status.in_([status.value for status in OPEN_STATUSES]))
        .order_by(Case.received_at, Case.id)
    )
    if reporter_id is not None:
        statement = statement.where(Case.reporter_id == reporter_id)
    if merchant_id is not None:
        statement = statement.where(Case.merchant_id == merchant_id)
    if assignee_id is not None:
        statement = statement.where(Case.assignee_id == assignee_id)
    return list(await session.scalars(statement))


async def cases_active_in(
    session: AsyncSession, month: Month, tz: ZoneInfo
) -> list[tuple[Case, str | None]]:
    """Full case rows active in the month with their registry grid (for staff exports)."""
    rows = await session.execute(
        select(Case, Merchant.grid)
        .outerjoin(Merchant, Merchant.id == Case.merchant_id)
        .where(active_in(month, tz))
        .order_by(Case.received_at, Case.id)
    )
    return [(case, grid) for case, grid in rows.all()]
