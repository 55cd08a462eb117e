"""Per-merchant public disclosure (消费投诉信息公示) and the 放心消费 review flag.

The national 12315 platform publishes, per merchant, how many complaints it had and how it
handled them. We do the same for the district, under rules that keep it fair to merchants
and safe for consumers:

- only registered merchants (the survey registry) appear; a name someone typed into a
  complaint is never published;
- a merchant appears only with at least `min_complaints` counted complaints in the window
  (default 3): one or two complaints say little and would single out a shop;
- a complaint counts once the merchant has had its chance: it is closed, or the merchant's
  first-answer deadline has passed. A complaint still inside that deadline, and a voided
  one (opened by mistake, merged as a duplicate), never counts;
- figures only: no case number, text, consumer or amount.

Interface:

- `DisclosureCase`: the plain facts of one case (the caller loads them; no personal data).
- `disclose_merchants(cases, *, as_of, months=12, min_complaints=3, committed_only=False,
  tz) -> Disclosure`: cases received in the `months` months before `as_of` (from the same
  local day `months` months earlier, 00:00, to `as_of`), counted as above, one
  `MerchantDisclosure` per merchant reaching the threshold, most complaints first.
  `committed_only` keeps the 放心消费 committed merchants (the board's programme list; pass
  `min_complaints=0` to show every committed merchant that had a counted complaint — those
  with none are the registry's to list).
- `merchants_to_review(cases, month, *, threshold=3, tz) -> tuple[ReviewFlag, ...]`: the
  committed merchants with more than `threshold` complaints received in `month` (voided
  ones left out), for staff to review. Nothing is revoked here or anywhere automatically;
  `ReviewFlag.key` is a stable key to tell staff once per merchant and month, `.text` the
  message.

Figures: `success_rate` is resolved / (resolved + failed) among counted closed cases, as in
`mediation.reports`; `avg_working_days_to_close` the mean over counted closed cases (one
decimal); `answered_in_time_share` the share of counted cases with a first-answer deadline
whose merchant answered by its end (a case answered late or not at all counts against it).
Ratios have four decimals, None when nothing was there to divide.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from mediation import templates as say
from mediation.cases import CaseStatus
from mediation.reports import Month

DEFAULT_MONTHS = 12
DEFAULT_MIN_COMPLAINTS = 3
DEFAULT_REVIEW_THRESHOLD = 3
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class DisclosureCase:
    """What disclosure needs of one case. `status` is the outcome once the case is closed."""

    number: str  # staff-facing only (review flags); never disclosed
    merchant_id: int | None
    merchant_name: str | None  # the registered name when `registered`
    registered: bool
    committed: bool  # the merchant's current 放心消费 commitment
    status: CaseStatus
    received_at: datetime
    closed_at: datetime | None
    first_answer_due: datetime | None  # the instant the merchant's first-answer deadline ends
    first_answered_at: datetime | None
    working_days_to_close: int | None
    voided: bool = False


@dataclass(frozen=True)
class MerchantDisclosure:
    merchant_id: int
    name: str
    complaints: int
    resolved: int
    failed: int
    success_rate: float | None  # 调解成功率, 0..1
    avg_working_days_to_close: float | None
    answer_deadlines: int  # counted cases that had a first-answer deadline
    answered_in_time: int
    answered_in_time_share: float | None
    committed: bool  # the 放心消费 badge


@dataclass(frozen=True)
class Disclosure:
    window_start: datetime  # inclusive, UTC
    window_end: datetime  # `as_of`, UTC
    months: int
    min_complaints: int
    merchants: tuple[MerchantDisclosure, ...]


@dataclass(frozen=True)
class ReviewFlag:
    merchant_id: int
    name: str
    month: Month
    complaints: int
    numbers: tuple[str, ...]  # staff-only: the month's case numbers, oldest first

    @property
    def key(self) -> str:
        return f"fangxin-review:{self.merchant_id}:{self.month.key}"

    @property
    def text(self) -> str:
        """The staff message (private: it names case numbers)."""
        return say.fangxin_review(self.name, self.month.label, self.complaints, list(self.numbers))


def window_start(as_of: datetime, months: int, tz: ZoneInfo = SHANGHAI) -> datetime:
    """00:00 local on the same day `months` months before `as_of` (clamped to month end)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    local = _aware(as_of).astimezone(tz).date()
    index = local.year * 12 + (local.month - 1) - months
    year, month = divmod(index, 12)
    day = min(local.day, calendar.monthrange(year, month + 1)[1])
    return datetime(year, month + 1, day, tzinfo=tz).astimezone(UTC)


def is_counted(case: DisclosureCase, as_of: datetime) -> bool:
    """Closed by `as_of`, or past the merchant's first-answer deadline; never voided."""
    if case.voided:
        return False
    closed = case.closed_at is not None and _aware(case.closed_at) <= as_of
    deadline_passed = case.first_answer_due is not None and _aware(case.first_answer_due) <= as_of
    return closed or deadline_passed


def disclose_merchants(
    cases: Iterable[DisclosureCase],
    *,
    as_of: datetime,
    months: int = DEFAULT_MONTHS,
    min_complaints: int = DEFAULT_MIN_COMPLAINTS,
    committed_only: bool = False,
    tz: ZoneInfo = SHANGHAI,
) -> Disclosure:
    as_of = _aware(as_of)
    start = window_start(as_of, months, tz)
    by_merchant: dict[int, list[DisclosureCase]] = defaultdict(list)
    for case in cases:
        if case.merchant_id is None or not case.registered or not case.merchant_name:
            continue
        if not start <= _aware(case.received_at) < as_of or not is_counted(case, as_of):
            continue
        by_merchant[case.merchant_id].append(case)
    disclosed = [
        _figures(merchant_id, merchant_cases, as_of)
        for merchant_id, merchant_cases in by_merchant.items()
        if len(merchant_cases) >= max(min_complaints, 1)
    ]
    if committed_only:
        disclosed = [merchant for merchant in disclosed if merchant.committed]
    disclosed.sort(key=lambda merchant: (-merchant.complaints, merchant.name))
    return Disclosure(start, as_of.astimezone(UTC), months, min_complaints, tuple(disclosed))


def _figures(
    merchant_id: int, cases: Sequence[DisclosureCase], as_of: datetime
) -> MerchantDisclosure:
    latest = max(cases, key=lambda case: _aware(case.received_at))
    closed = [
        case for case in cases if case.closed_at is not None and _aware(case.closed_at) <= as_of
    ]
    resolved = sum(1 for case in closed if case.status is CaseStatus.RESOLVED)
    failed = sum(1 for case in closed if case.status is CaseStatus.FAILED)
    days = [case.working_days_to_close for case in closed if case.working_days_to_close is not None]
    with_deadline = [case for case in cases if case.first_answer_due is not None]
    in_time = sum(1 for case in with_deadline if _answered_in_time(case, as_of))
    return MerchantDisclosure(
        merchant_id=merchant_id,
        name=latest.merchant_name or "",
        complaints=len(cases),
        resolved=resolved,
        failed=failed,
        success_rate=_ratio(resolved, resolved + failed),
        avg_working_days_to_close=round(sum(days) / len(days), 1) if days else None,
        answer_deadlines=len(with_deadline),
        answered_in_time=in_time,
        answered_in_time_share=_ratio(in_time, len(with_deadline)),
        committed=latest.committed,
    )


def _answered_in_time(case: DisclosureCase, as_of: datetime) -> bool:
    if case.first_answered_at is None or case.first_answer_due is None:
        return False
    answered = _aware(case.first_answered_at)
    return answered <= as_of and answered < _aware(case.first_answer_due)


def merchants_to_review(
    cases: Iterable[DisclosureCase],
    month: Month,
    *,
    threshold: int = DEFAULT_REVIEW_THRESHOLD,
    tz: ZoneInfo = SHANGHAI,
) -> tuple[ReviewFlag, ...]:
    """Committed merchants with more than `threshold` complaints received in `month`."""
    by_merchant: dict[int, list[DisclosureCase]] = defaultdict(list)
    for case in cases:
        if case.merchant_id is None or not case.registered or not case.committed:
            continue
        if case.voided or not month.contains(case.received_at, tz):
            continue
        by_merchant[case.merchant_id].append(case)
    flags = []
    for merchant_id, merchant_cases in by_merchant.items():
        if len(merchant_cases) <= threshold:
            continue
        ordered = sorted(merchant_cases, key=lambda case: (_aware(case.received_at), case.number))
        flags.append(
            ReviewFlag(
                merchant_id=merchant_id,
                name=ordered[-1].merchant_name or "",
                month=month,
                complaints=len(ordered),
                numbers=tuple(case.number for case in ordered),
            )
        )
    flags.sort(key=lambda flag: (-flag.complaints, flag.name))
    return tuple(flags)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
