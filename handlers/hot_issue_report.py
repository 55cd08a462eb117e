"""What the monthly summary, the board and the meeting pack say about hot issues and
typical cases (issue 21): the month's rising categories and problem types against the three
months before, its top keywords per category (from masked texts, merchant names dropped
unless they may be shown), and the typical cases first published in the month."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from mediation import templates as say
from mediation.hot_issues import (
    BASELINE_MONTHS,
    CategoryKeywords,
    CategorySeries,
    RisingIssues,
    Trend,
    monthly_series,
    rising_issues,
    top_keywords,
)
from mediation.keywords import content_words
from mediation.reports import Month
from storage import learning_queries, typical_cases
from storage.models import TypicalCase


@dataclass(frozen=True)
class HotIssues:
    rising: RisingIssues
    keywords: tuple[CategoryKeywords, ...]

    @property
    def text(self) -> str:
        return say.summary_hot_issues(
            self.rising.text, [item.text for item in self.keywords if item.words]
        )


async def hot_issues(
    session: AsyncSession,
    month: Month,
    tz: ZoneInfo,
    office_id: int | None = None,
    *,
    show_merchants: bool = False,
) -> HotIssues:
    first = month
    for _ in range(BASELINE_MONTHS):
        first = first.previous()
    cases = await learning_queries.hot_issue_cases(
        session, first.start_utc(tz), month.end_utc(tz), office_id
    )
    names = () if show_merchants else {case.merchant_name for case in cases if case.merchant_name}
    drop = {*names, *(word for name in names for word in content_words(name))}
    # jieba over a month of texts: off the event loop the bot shares
    keywords = await asyncio.to_thread(top_keywords, cases, month, drop=drop, tz=tz)
    return HotIssues(rising_issues(cases, month, tz=tz), keywords)


async def typical_cases_of_month(
    session: AsyncSession, month: Month, tz: ZoneInfo, office_id: int | None = None
) -> list[TypicalCase]:
    """Typical cases first published in `month` and still published (the summary of that
    month carries them: each once)."""
    return await typical_cases.published(
        session, office_id=office_id, since=month.start_utc(tz), until=month.end_utc(tz)
    )


async def summary_additions(
    session: AsyncSession,
    month: Month,
    tz: ZoneInfo,
    office_id: int | None = None,
    *,
    show_merchants: bool = False,
) -> str:
    """The hot issues and the month's typical cases, appended to a monthly summary."""
    issues = await hot_issues(session, month, tz, office_id, show_merchants=show_merchants)
    parts = [issues.text]
    published = await typical_cases_of_month(session, month, tz, office_id)
    if published:
        parts.append(say.summary_typical_cases([row.text for row in reversed(published)]))
    return "\n\n".join(parts)


TREND_MONTHS = 12


async def category_trend(
    session: AsyncSession, month: Month, tz: ZoneInfo, office_id: int | None = None
) -> CategorySeries:
    """Complaints per category in the twelve months up to `month`."""
    first = month
    for _ in range(TREND_MONTHS - 1):
        first = first.previous()
    cases = await learning_queries.hot_issue_cases(
        session, first.start_utc(tz), month.end_utc(tz), office_id
    )
    return monthly_series(cases, month, months=TREND_MONTHS, tz=tz)


def trend_chart(series: CategorySeries) -> bytes:
    """The twelve-month chart as PNG bytes (matplotlib: call it in a thread)."""
    from mediation.charts import monthly_trend_chart

    labels = [say.trend_month_label(month.year, month.month) for month in series.months]
    return monthly_trend_chart(
        say.trend_chart_title(series.months[-1].label), labels, series.series
    )


def hot_issues_json(issues: HotIssues) -> dict[str, object]:
    """The hot issues for the public board and its JSON (no personal data: counts and
    content words of masked texts)."""

    def trends(items: tuple[Trend, ...]) -> list[dict[str, object]]:
        return [
            {
                "label": item.label,
                "count": item.count,
                "baseline": item.baseline,
                "change": item.change,
                "text": item.text,
            }
            for item in items
        ]

    return {
        "rising_categories": trends(issues.rising.categories),
        "rising_problems": trends(issues.rising.problems),
        "rising_text": issues.rising.text,
        "keywords": [
            {
                "category": item.category,
                "complaints": item.complaints,
                "words": [word for word, _ in item.words],
                "text": item.text,
            }
            for item in issues.keywords
            if item.words
        ],
    }
