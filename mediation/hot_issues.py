"""Hot issues (热点问题): what is rising, what people complain about, and sudden spikes.

The office watches the data to act early: a kind of complaint that grows month on month, the
words that recur in a category, and bursts that call for a visit at once (a gym closing its
doors brings many complaints in a week). Everything here is computed from plain complaint
facts (`HotIssueCase`, voided complaints ignored); texts are masked and reduced to content
words (`mediation.keywords`), so no digit, id, phone or form of address can become a
keyword, and a word must occur in at least `min_complaints` complaints to be shown.

Interface (months in local time, see `mediation.reports.Month`):

- `rising_issues(cases, month, *, min_count=3, tz) -> RisingIssues`: categories and
  problem types whose count in `month` exceeds the average of the three months before it
  (and reaches `min_count`), largest increase first. `Trend.change` is the relative rise,
  None when the three months had none.
- `top_keywords(cases, month, *, per_category=5, min_complaints=2, tokenize, drop) ->
  tuple[CategoryKeywords, ...]`: per category (most complaints first), the words found in
  most of its complaints of the month (counted once per complaint).
- `merchant_spikes(cases, as_of, *, days=7, threshold=3) -> tuple[MerchantSpike, ...]`:
  merchants with at least `threshold` complaints received in the `days` days up to `as_of`.
  `key` names the burst by its first complaint, so alerting with it as a dedupe key tells
  staff once per burst (the bot can call this whenever a complaint is opened).
- `category_spikes(cases, as_of, *, min_count=5, factor=2.0) -> tuple[CategorySpike, ...]`:
  categories whose last 7 days hold at least `min_count` complaints and at least `factor`
  times the 7 days before; `key` is per category and local ISO week.
- `monthly_series(cases, last_month, *, months=12, top=8, tz) -> CategorySeries`: counts
  received per month and category for the chart, the `top` largest categories over the
  period kept and the rest summed as 其余类别.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from mediation import templates as say
from mediation.keywords import Tokenize, content_words, jieba_words
from mediation.reports import UNCLASSIFIED, Month

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASELINE_MONTHS = 3


@dataclass(frozen=True)
class HotIssueCase:
    number: str
    received_at: datetime
    category: str | None
    problem: str | None
    merchant_id: int | None
    merchant_name: str | None
    masked_text: str
    voided: bool = False


@dataclass(frozen=True)
class Trend:
    label: str
    count: int
    baseline: float  # mean of the three months before, one decimal
    change: float | None  # (count - baseline) / baseline, four decimals; None if baseline 0

    @property
    def text(self) -> str:
        return say.trend_item(self.label, self.count, self.baseline, self.change)


@dataclass(frozen=True)
class RisingIssues:
    month: Month
    categories: tuple[Trend, ...]
    problems: tuple[Trend, ...]

    @property
    def text(self) -> str:
        return say.rising_issues(
            [trend.text for trend in self.categories], [trend.text for trend in self.problems]
        )


@dataclass(frozen=True)
class CategoryKeywords:
    category: str
    complaints: int
    words: tuple[tuple[str, int], ...]  # word, complaints containing it

    @property
    def text(self) -> str:
        return say.category_keywords(self.category, [word for word, _ in self.words])


@dataclass(frozen=True)
class MerchantSpike:
    merchant_id: int | None
    merchant_name: str
    numbers: tuple[str, ...]  # oldest first
    days: int

    @property
    def key(self) -> str:
        who = self.merchant_id if self.merchant_id is not None else self.merchant_name
        return f"spike:merchant:{who}:{self.numbers[0]}"

    @property
    def text(self) -> str:
        return say.merchant_spike_alert(
            self.merchant_name, len(self.numbers), self.days, list(self.numbers)
        )


@dataclass(frozen=True)
class CategorySpike:
    category: str
    count: int  # the last 7 days
    previous: int  # the 7 days before
    week: str  # local ISO week of `as_of`, e.g. 2026-W23

    @property
    def key(self) -> str:
        return f"spike:category:{self.category}:{self.week}"

    @property
    def text(self) -> str:
        return say.category_spike_alert(self.category, self.count, self.previous)


@dataclass(frozen=True)
class CategorySeries:
    months: tuple[Month, ...]  # oldest first
    series: tuple[tuple[str, tuple[int, ...]], ...]  # category, counts per month


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _live(cases: Iterable[HotIssueCase]) -> list[HotIssueCase]:
    return [case for case in cases if not case.voided]


def _trends(current: Counter[str], before: Counter[str], min_count: int) -> tuple[Trend, ...]:
    trends = []
    for label, count in current.items():
        baseline = before[label] / BASELINE_MONTHS
        if count < min_count or count <= baseline:
            continue
        change = round((count - baseline) / baseline, 4) if baseline else None
        trends.append(Trend(label, count, round(baseline, 1), change))
    trends.sort(key=lambda trend: (-(trend.count - trend.baseline), trend.label))
    return tuple(trends)


def rising_issues(
    cases: Iterable[HotIssueCase], month: Month, *, min_count: int = 3, tz: ZoneInfo = SHANGHAI
) -> RisingIssues:
    earlier = [month.previous()]
    for _ in range(BASELINE_MONTHS - 1):
        earlier.append(earlier[-1].previous())
    start, end = earlier[-1].start_utc(tz), month.start_utc(tz)
    # (this month, the three months before) for categories and for problem types
    categories: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
    problems: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
    for case in _live(cases):
        received = _aware(case.received_at)
        if month.contains(received, tz):
            side = 0
        elif start <= received < end:
            side = 1
        else:
            continue
        if case.category:
            categories[side][case.category] += 1
        if case.problem:
            problems[side][case.problem] += 1
    return RisingIssues(month, _trends(*categories, min_count), _trends(*problems, min_count))


def top_keywords(
    cases: Iterable[HotIssueCase],
    month: Month,
    *,
    per_category: int = 5,
    min_complaints: int = 2,
    tokenize: Tokenize = jieba_words,
    drop: Iterable[str] = (),
    tz: ZoneInfo = SHANGHAI,
) -> tuple[CategoryKeywords, ...]:
    dropped = frozenset(drop)
    words: dict[str, Counter[str]] = defaultdict(Counter)
    complaints: Counter[str] = Counter()
    for case in _live(cases):
        if not case.category or not month.contains(case.received_at, tz):
            continue
        complaints[case.category] += 1
        words[case.category].update(
            set(content_words(case.masked_text, tokenize=tokenize, drop=dropped))
        )
    result = []
    for category, total in sorted(complaints.items(), key=lambda item: (-item[1], item[0])):
        ranked = sorted(words[category].items(), key=lambda item: (-item[1], item[0]))
        kept = tuple((word, n) for word, n in ranked if n >= min_complaints)[:per_category]
        result.append(CategoryKeywords(category, total, kept))
    return tuple(result)


def merchant_spikes(
    cases: Iterable[HotIssueCase], as_of: datetime, *, days: int = 7, threshold: int = 3
) -> tuple[MerchantSpike, ...]:
    as_of = _aware(as_of)
    since = as_of - timedelta(days=days)
    by_merchant: dict[int | str, list[HotIssueCase]] = defaultdict(list)
    for case in _live(cases):
        received = _aware(case.received_at)
        if not since < received <= as_of:
            continue
        if case.merchant_id is not None:
            by_merchant[case.merchant_id].append(case)
        elif case.merchant_name and case.merchant_name.strip():
            by_merchant[case.merchant_name.strip()].append(case)
    spikes = []
    for merchant_cases in by_merchant.values():
        if len(merchant_cases) < threshold:
            continue
        ordered = sorted(merchant_cases, key=lambda case: (_aware(case.received_at), case.number))
        latest = ordered[-1]
        spikes.append(
            MerchantSpike(
                merchant_id=latest.merchant_id,
                merchant_name=(latest.merchant_name or "").strip(),
                numbers=tuple(case.number for case in ordered),
                days=days,
            )
        )
    spikes.sort(key=lambda spike: (-len(spike.numbers), spike.merchant_name))
    return tuple(spikes)


def category_spikes(
    cases: Iterable[HotIssueCase],
    as_of: datetime,
    *,
    min_count: int = 5,
    factor: float = 2.0,
    tz: ZoneInfo = SHANGHAI,
) -> tuple[CategorySpike, ...]:
    as_of = _aware(as_of)
    week_ago, fortnight_ago = as_of - timedelta(days=7), as_of - timedelta(days=14)
    recent: Counter[str] = Counter()
    before: Counter[str] = Counter()
    for case in _live(cases):
        received = _aware(case.received_at)
        if not case.category:
            continue
        if week_ago < received <= as_of:
            recent[case.category] += 1
        elif fortnight_ago < received <= week_ago:
            before[case.category] += 1
    year, week, _ = as_of.astimezone(tz).isocalendar()
    spikes = [
        CategorySpike(category, count, before[category], f"{year}-W{week:02d}")
        for category, count in recent.items()
        if count >= min_count and count >= factor * before[category]
    ]
    spikes.sort(key=lambda spike: (-spike.count, spike.category))
    return tuple(spikes)


def monthly_series(
    cases: Iterable[HotIssueCase],
    last_month: Month,
    *,
    months: int = 12,
    top: int = 8,
    tz: ZoneInfo = SHANGHAI,
) -> CategorySeries:
    periods = [last_month]
    while len(periods) < months:
        periods.append(periods[-1].previous())
    periods.reverse()
    index = {period: position for position, period in enumerate(periods)}
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(periods))
    for case in _live(cases):
        period = Month.of(case.received_at, tz)
        if period in index:
            counts[case.category or UNCLASSIFIED][index[period]] += 1
    ranked = sorted(counts.items(), key=lambda item: (-sum(item[1]), item[0]))
    series: list[tuple[str, tuple[int, ...]]] = [
        (label, tuple(values)) for label, values in ranked[:top]
    ]
    if len(ranked) > top:
        rest = [sum(values) for values in zip(*(values for _, values in ranked[top:]), strict=True)]
        series.append((say.OTHER_CATEGORIES, tuple(rest)))
    return CategorySeries(tuple(periods), tuple(series))
