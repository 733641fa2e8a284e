"""Forecasts on synthetic series whose right answer is known by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from costtui.analytics.forecast import (
    burn_rate,
    daily_rates,
    forecast_period,
    month_forecast,
    projected_series,
    runout,
)
from costtui.models import QuotaSnapshot, UsageEvent
from costtui.store import Store

D = Decimal


def weekly(start: date, days: int, weekday: str, weekend: str) -> dict[date, Decimal]:
    return {
        start + timedelta(days=i): D(weekend if (start + timedelta(days=i)).weekday() >= 5 else weekday)
        for i in range(days)
    }


def test_steady_weekday_weekend_rhythm_forecasts_exactly() -> None:
    # 4 weeks of $10 weekdays and $2 weekends, no noise: the forecast is exact and the range empty.
    history = weekly(date(2026, 11, 2), 28, "10", "2")  # Mon 2 Nov .. Sun 29 Nov
    now = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday, midnight: all of today is to come
    f = forecast_period(history, D(0), date(2026, 11, 30), date(2026, 12, 6), now)
    # Mon..Fri = 5 x 10, Sat+Sun = 2 x 2
    assert f.expected == D(54)
    assert f.low == f.high == D(54)
    assert f.remaining_days == 7


def test_weekend_aware_beats_a_plain_average() -> None:
    history = weekly(date(2026, 11, 2), 28, "10", "0")
    plain = sum(history.values()) / len(history)
    # From Saturday morning to Sunday night: two weekend days left, nothing more is expected.
    now = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
    f = forecast_period(history, D(50), date(2026, 11, 23), date(2026, 11, 29), now)
    assert f.expected == D(50)
    assert D(50) + plain * 2 > f.expected + 14  # a plain average would have added ~$14


def test_partial_today_counts_only_the_hours_left() -> None:
    history = weekly(date(2026, 11, 2), 28, "24", "24")
    now = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)  # 6 hours of the day left
    f = forecast_period(history, D(100), date(2026, 11, 1), date(2026, 11, 30), now)
    assert f.expected == D(106)
    assert f.remaining_days == D("0.25")


def test_range_widens_with_noise_and_contains_the_expectation() -> None:
    history = {date(2026, 11, 2) + timedelta(days=i): D(8 if i % 2 else 12) for i in range(28)}
    now = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    f = forecast_period(history, D(0), date(2026, 12, 1), date(2026, 12, 31), now)
    assert f.low < f.expected < f.high
    assert f.low >= 0
    # Rates are the means by kind; both kinds average $10 here.
    assert abs(f.expected - D(310)) < D("0.5")


def test_no_history_forecasts_what_is_spent() -> None:
    f = forecast_period({}, D(5), date(2026, 12, 1), date(2026, 12, 31), datetime(2026, 12, 3, tzinfo=UTC))
    assert (f.expected, f.low, f.high) == (D(5), D(5), D(5))
    assert not f.has_history


def test_few_weekend_days_borrow_the_overall_rate() -> None:
    history = weekly(date(2026, 11, 2), 5, "10", "99")  # Mon..Fri only
    rates = daily_rates(history)
    assert rates.weekend == rates.weekday == D(10)


def test_projected_series_continues_after_today() -> None:
    history = weekly(date(2026, 11, 2), 28, "10", "2")
    now = datetime(2026, 12, 29, 12, tzinfo=UTC)  # Tuesday
    f = forecast_period(history, D(0), date(2026, 12, 1), date(2026, 12, 31), now)
    assert projected_series(f, now.date()) == [(date(2026, 12, 30), D(10)), (date(2026, 12, 31), D(10))]


def test_burn_rate_per_day_and_hour() -> None:
    rate = burn_rate({date(2026, 1, 1): D(24), date(2026, 1, 2): D(48)})
    assert rate.per_day == D(36)
    assert rate.per_hour == D("1.5")
    assert burn_rate({}).per_day == 0


def snap(hours: int, remaining: str, **kw: object) -> QuotaSnapshot:
    return QuotaSnapshot(
        provider="deepseek",
        account="main",
        kind="balance",
        remaining=D(remaining),
        taken_at=datetime(2026, 12, 1, tzinfo=UTC) + timedelta(hours=hours),
        **kw,  # type: ignore[arg-type]
    )


def test_balance_runs_out_at_its_falling_rate() -> None:
    # $100 -> $90 in 10 hours: $1/hour, so $90 lasts 90 more hours.
    r = runout([snap(0, "100"), snap(5, "95"), snap(10, "90")])
    assert r is not None
    assert r.per_hour == 1
    assert r.hours == 90
    assert r.at == datetime(2026, 12, 1, 10, tzinfo=UTC) + timedelta(hours=90)


def test_a_top_up_starts_a_new_run_and_flat_balances_never_run_out() -> None:
    r = runout([snap(0, "10"), snap(1, "5"), snap(2, "200"), snap(4, "196")])
    assert r is not None and r.per_hour == 2 and r.hours == 98
    assert runout([snap(0, "50"), snap(3, "50")]) is None
    assert runout([snap(0, "50")]) is None


def test_quota_that_resets_before_running_out_says_so() -> None:
    reset = datetime(2026, 12, 1, 12, tzinfo=UTC)
    history = [
        QuotaSnapshot(
            provider="openai",
            account="a",
            kind="spend_limit",
            used=D(used),
            limit=D(100),
            resets_at=reset,
            taken_at=datetime(2026, 12, 1, tzinfo=UTC) + timedelta(hours=h),
        )
        for h, used in ((0, "10"), (2, "20"))
    ]
    r = runout(history)
    assert r is not None and r.hours == 16 and r.resets_first


def test_month_forecast_from_the_store(tmp_path: Path) -> None:
    store = Store(tmp_path / "f.db")
    events = []
    for i in range(28):
        day = date(2026, 11, 3) + timedelta(days=i)  # Tue 3 Nov .. Mon 30 Nov
        cost = "2" if day.weekday() >= 5 else "10"
        events.append(
            UsageEvent(
                event_id=f"e{i}",
                ts=datetime(day.year, day.month, day.day, 1, tzinfo=UTC),
                provider="openai",
                model="gpt-4o",
                input_tokens=1,
                output_tokens=1,
                cost_usd=D(cost),
            )
        )
    store.record(events)
    now = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    f = month_forecast(store, now)
    # December 2026: 23 weekdays and 8 weekend days.
    assert f.to_date == 0
    assert f.expected == D(23 * 10 + 8 * 2)
    assert f.as_json()["month_end"] == "246"


def test_quota_runouts_from_the_store(tmp_path: Path) -> None:
    from costtui.analytics.forecast import quota_runouts, runouts_json

    store = Store(tmp_path / "q.db")
    store.billing.record_quotas([snap(0, "100"), snap(10, "90")])
    store.billing.record_quotas(
        [
            QuotaSnapshot(
                provider="openai",
                account="a",
                kind="rate_limit.requests",
                remaining=D(r),
                limit=D(500),
                unit="requests/min",
                taken_at=datetime(2026, 12, 1, h, tzinfo=UTC),
            )
            for h, r in ((0, "400"), (1, "300"))
        ]
    )
    pairs = quota_runouts(store, datetime(2026, 12, 1, 11, tzinfo=UTC))
    assert [(s.kind, r.hours) for s, r in pairs] == [("balance", 90)]
    [row] = runouts_json(pairs)
    assert row["remaining"] == "90" and row["runs_out_at"].startswith("2026-12-05T04:00")
