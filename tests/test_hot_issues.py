"""Hot issues: rising categories, recurring words, and bursts that alert staff at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from mediation.hot_issues import (
    HotIssueCase,
    category_spikes,
    merchant_spikes,
    monthly_series,
    rising_issues,
    top_keywords,
)
from mediation.reports import Month

JUNE = Month(2026, 6)
_numbers = count(1)


def complaint(
    received: datetime,
    *,
    category: str | None = "文化娱乐体育",
    problem: str | None = "合同",
    merchant_id: int | None = 1,
    merchant_name: str | None = "力美健身房",
    text: str = "健身房突然关门，会员卡里的预付款退不了",
    voided: bool = False,
) -> HotIssueCase:
    return HotIssueCase(
        number=f"CY-{next(_numbers):04d}",
        received_at=received,
        category=category,
        problem=problem,
        merchant_id=merchant_id,
        merchant_name=merchant_name,
        masked_text=text,
        voided=voided,
    )


def on(month: Month, day: int = 10) -> datetime:
    return datetime(month.year, month.month, day, 4, 0, tzinfo=UTC)


def test_a_category_above_its_three_month_average_is_rising() -> None:
    earlier = [complaint(on(m)) for m in (Month(2026, 3), Month(2026, 4), Month(2026, 5))]
    june = [complaint(on(JUNE)) for _ in range(4)]
    food = [complaint(on(m), category="食品", problem="质量") for m in (Month(2026, 5),) * 9]
    food += [complaint(on(JUNE), category="食品", problem="质量") for _ in range(3)]
    rising = rising_issues([*earlier, *june, *food], JUNE)
    (gym,) = rising.categories
    assert (gym.label, gym.count, gym.baseline, gym.change) == ("文化娱乐体育", 4, 1.0, 3.0)
    assert [trend.label for trend in rising.problems] == ["合同"]
    assert "文化娱乐体育 4件" in rising.text


def test_a_category_new_this_month_rises_from_nothing_once_it_reaches_the_minimum() -> None:
    june = [complaint(on(JUNE), category="旅游") for _ in range(3)]
    (trend,) = rising_issues(june, JUNE).categories
    assert trend.change is None and "前三个月无" in trend.text
    assert rising_issues(june[:2], JUNE).categories == ()


def test_months_older_than_the_baseline_and_voided_complaints_do_not_count() -> None:
    old = [complaint(on(Month(2026, 2))) for _ in range(9)]
    june = [complaint(on(JUNE)) for _ in range(3)] + [complaint(on(JUNE), voided=True)]
    (trend,) = rising_issues([*old, *june], JUNE).categories
    assert trend.count == 3 and trend.baseline == 0


def test_top_keywords_come_from_several_complaints_and_carry_no_personal_data() -> None:
    texts = [
        "王女士反映健身房突然关门，预付款退不了，电话13812345678",
        "健身房关门跑路，会员卡预付款没退",
        "李先生说健身房关门了，私教课预付款3000元",
    ]
    cases = [complaint(on(JUNE), text=text) for text in texts]
    cases.append(complaint(on(JUNE), category="食品", text="超市牛奶过期"))
    (gym, food) = top_keywords(cases, JUNE)
    words = [word for word, _ in gym.words]
    assert gym.category == "文化娱乐体育" and gym.complaints == 3
    assert set(words[:3]) == {"健身房", "关门", "预付款"}
    assert all(n >= 2 for _, n in gym.words)
    joined = "".join(words)
    assert not any(char.isdigit() for char in joined)
    assert "王女士" not in joined and "李先生" not in joined
    assert food.words == ()  # one complaint: no word is shown


def test_three_complaints_against_one_merchant_in_a_day_are_a_spike() -> None:
    now = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
    burst = [complaint(now - timedelta(hours=h)) for h in (3, 2, 1)]
    other = complaint(now, merchant_id=2, merchant_name="张记饺子馆")
    (spike,) = merchant_spikes([*burst, other], now)
    assert spike.merchant_name == "力美健身房"
    assert spike.numbers == tuple(case.number for case in burst)
    assert spike.key == f"spike:merchant:1:{burst[0].number}"
    assert "近7天被投诉 3 件" in spike.text
    assert merchant_spikes(burst[:2], now) == ()


def test_a_fourth_complaint_in_the_same_burst_keeps_the_same_alert_key() -> None:
    now = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
    burst = [complaint(now - timedelta(hours=h)) for h in (3, 2, 1)]
    (first,) = merchant_spikes(burst, now)
    (again,) = merchant_spikes([*burst, complaint(now)], now)
    assert first.key == again.key and len(again.numbers) == 4


def test_complaints_spread_over_more_than_a_week_are_no_spike() -> None:
    now = datetime(2026, 6, 20, 8, 0, tzinfo=UTC)
    spread = [complaint(now - timedelta(days=d)) for d in (0, 5, 8)]
    assert merchant_spikes(spread, now) == ()
    assert len(merchant_spikes(spread, now, days=10)) == 1
    assert merchant_spikes(spread, now, days=10, threshold=4) == ()


def test_unregistered_merchants_spike_by_name() -> None:
    now = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
    cases = [complaint(now, merchant_id=None, merchant_name="路口水果摊") for _ in range(3)]
    (spike,) = merchant_spikes(cases, now)
    assert spike.key.startswith("spike:merchant:路口水果摊:")


def test_a_category_doubling_its_weekly_count_with_five_complaints_is_a_spike() -> None:
    now = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
    this_week = [complaint(now - timedelta(days=d)) for d in (0, 1, 2, 3, 4)]
    last_week = [complaint(now - timedelta(days=d)) for d in (8, 9)]
    (spike,) = category_spikes([*this_week, *last_week], now)
    assert (spike.category, spike.count, spike.previous) == ("文化娱乐体育", 5, 2)
    assert spike.key == "spike:category:文化娱乐体育:2026-W24"
    assert "近7天 5 件" in spike.text


def test_a_category_short_of_five_or_of_doubling_is_no_spike() -> None:
    now = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
    this_week = [complaint(now - timedelta(days=d)) for d in (0, 1, 2, 3, 4)]
    last_week = [complaint(now - timedelta(days=d)) for d in (8, 9, 10)]
    assert category_spikes([*this_week, *last_week], now) == ()
    assert category_spikes(this_week[:4], now) == ()
    assert len(category_spikes(this_week[:4], now, min_count=4)) == 1


def test_the_chart_series_covers_twelve_months_and_folds_small_categories() -> None:
    cases = [complaint(on(Month(2025, 7))), complaint(on(JUNE)), complaint(on(JUNE))]
    cases += [complaint(on(JUNE), category=f"类别{n}") for n in range(3)]
    cases.append(complaint(on(Month(2025, 6))))  # thirteen months back: outside
    series = monthly_series(cases, JUNE, top=2)
    assert series.months[0] == Month(2025, 7) and series.months[-1] == JUNE
    assert len(series.months) == 12
    labels = [label for label, _ in series.series]
    assert labels == ["文化娱乐体育", "类别0", "其余类别"]
    gym = dict(series.series)["文化娱乐体育"]
    assert gym[0] == 1 and gym[-1] == 2 and sum(gym) == 3
    assert dict(series.series)["其余类别"][-1] == 2
