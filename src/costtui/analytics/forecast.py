"""Where spend is heading: period-end forecasts with a range, burn rates, and when a balance or a
quota runs out.

The functions at the top are pure (daily series in, Decimal money out) so they can be tested on
synthetic series with known answers; :func:`month_forecast` reads the store's daily rollups.

The rule, in words: usage has a weekly rhythm (people work on weekdays; batch jobs may run on
weekends), so a plain average over the last weeks under-forecasts a month that has more weekdays
left than it had so far, and over-forecasts one that ends on a long weekend. Each remaining day is
forecast at the average of recent days *of its kind* (weekday or weekend). The range is that
forecast plus or minus 1.28 standard deviations of the sum of the remaining days (an 80% band if
days are independent), so it narrows as the period runs out and widens with erratic spend.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from costtui.models import QuotaSnapshot, decimal_str

if TYPE_CHECKING:
    from costtui.store import EventStore

LOOKBACK_DAYS = 28
"""Complete days before today that the daily rates are taken from (four of each weekday)."""
MIN_DAYS_OF_KIND = 3
"""Fewer days of one kind than this and that kind borrows the rate of all recent days."""
Z_80 = Decimal("1.2816")
"""The normal quantile of an 80% two-sided band."""
ZERO = Decimal(0)


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


@dataclass(frozen=True)
class DailyRates:
    """Mean and spread of recent daily cost, for weekdays and for weekend days."""

    weekday: Decimal
    weekend: Decimal
    weekday_sd: Decimal
    weekend_sd: Decimal
    days: int
    """How many days of history the rates come from (0: no history, every rate is 0)."""

    def for_day(self, day: date) -> tuple[Decimal, Decimal]:
        """(mean, standard deviation) of the cost of a day of ``day``'s kind."""
        return (self.weekend, self.weekend_sd) if is_weekend(day) else (self.weekday, self.weekday_sd)


def _mean_sd(values: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    if not values:
        return ZERO, ZERO
    mean = sum(values, ZERO) / len(values)
    if len(values) < 2:
        return mean, ZERO
    var = sum(((v - mean) ** 2 for v in values), ZERO) / (len(values) - 1)
    return mean, var.sqrt()


def daily_rates(history: Mapping[date, Decimal]) -> DailyRates:
    """Weekday-aware rates from complete days of history (pass only days that could have had
    usage: a day before the first record is not a day of zero spend)."""
    weekdays = [v for d, v in history.items() if not is_weekend(d)]
    weekends = [v for d, v in history.items() if is_weekend(d)]
    every = list(history.values())
    all_mean, all_sd = _mean_sd(every)
    wd_mean, wd_sd = _mean_sd(weekdays) if len(weekdays) >= MIN_DAYS_OF_KIND else (all_mean, all_sd)
    we_mean, we_sd = _mean_sd(weekends) if len(weekends) >= MIN_DAYS_OF_KIND else (all_mean, all_sd)
    return DailyRates(wd_mean, we_mean, wd_sd, we_sd, len(every))


@dataclass(frozen=True)
class Forecast:
    """Spend over a period so far and where it ends, with a range."""

    start: date
    end: date
    """The last day of the period (inclusive)."""
    to_date: Decimal
    """Spend from ``start`` up to now (today included, partial)."""
    expected: Decimal
    low: Decimal
    high: Decimal
    rates: DailyRates
    remaining_days: Decimal
    """Days left in the period, counting the rest of today as a fraction."""

    @property
    def has_history(self) -> bool:
        return self.rates.days > 0

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "month_to_date": decimal_str(self.to_date),
            "month_end": decimal_str(self.expected),
            "low": decimal_str(self.low),
            "high": decimal_str(self.high),
            "history_days": self.rates.days,
        }


def day_fraction_left(now: datetime) -> Decimal:
    """The part of the current UTC day still to come (1 at midnight, 0 just before the next)."""
    now = now.astimezone(UTC)
    elapsed = now.hour * 3600 + now.minute * 60 + now.second
    return Decimal(86_400 - elapsed) / 86_400


def forecast_period(
    history: Mapping[date, Decimal], to_date: Decimal, start: date, end: date, now: datetime
) -> Forecast:
    """Forecast spend over [start, end] at ``now``.

    ``history`` is recent complete days' cost (see :func:`daily_rates`); ``to_date`` what was
    spent in the period so far. The rest of today counts as the unspent fraction of a day of
    today's kind; each later day as one day of its kind.
    """
    today = now.astimezone(UTC).date()
    rates = daily_rates(history)
    mean_sum, var_sum, days_left = ZERO, ZERO, ZERO
    if today <= end:
        part = day_fraction_left(now) if today >= start else Decimal(1)
        day = max(today, start)
        while day <= end:
            weight = part if day == today else Decimal(1)
            mean, sd = rates.for_day(day)
            mean_sum += mean * weight
            var_sum += (sd * weight) ** 2
            days_left += weight
            day += timedelta(days=1)
    spread = Z_80 * var_sum.sqrt()
    expected = to_date + mean_sum
    return Forecast(
        start=start,
        end=end,
        to_date=to_date,
        expected=expected,
        low=max(to_date, expected - spread),
        high=expected + spread,
        rates=rates,
        remaining_days=days_left,
    )


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def projected_series(forecast: Forecast, today: date) -> list[tuple[date, Decimal]]:
    """The expected cost of each day after today to the period's end (to continue a daily chart)."""
    out = []
    day = max(today + timedelta(days=1), forecast.start)
    while day <= forecast.end:
        out.append((day, forecast.rates.for_day(day)[0]))
        day += timedelta(days=1)
    return out


# ---------------------------------------------------------------------- burn rate


@dataclass(frozen=True)
class BurnRate:
    per_day: Decimal
    per_hour: Decimal
    days: int
    """Complete days averaged (0: no history)."""


def burn_rate(history: Mapping[date, Decimal]) -> BurnRate:
    """Average spend per day and per hour over the given complete days."""
    if not history:
        return BurnRate(ZERO, ZERO, 0)
    per_day = sum(history.values(), ZERO) / len(history)
    return BurnRate(per_day, per_day / 24, len(history))


# ---------------------------------------------------------------------- runout


@dataclass(frozen=True)
class Runout:
    """When a balance or quota reaches zero at the rate it has been falling."""

    remaining: Decimal
    per_hour: Decimal
    """How fast ``remaining`` falls (units per hour, > 0)."""
    at: datetime
    resets_first: bool = False
    """The quota resets (``resets_at``) before it would run out."""

    @property
    def hours(self) -> Decimal:
        return self.remaining / self.per_hour


def remaining_of(snap: QuotaSnapshot) -> Decimal | None:
    if snap.remaining is not None:
        return snap.remaining
    if snap.limit is not None and snap.used is not None:
        return snap.limit - snap.used
    return None


def runout_at_rate(remaining: Decimal, per_hour: Decimal, now: datetime) -> Runout | None:
    """When ``remaining`` is used up at ``per_hour`` (None if nothing is being used)."""
    if per_hour <= 0 or remaining < 0:
        return None
    seconds = remaining / per_hour * 3600
    return Runout(remaining, per_hour, now + timedelta(seconds=float(seconds)))


def runout(history: Sequence[QuotaSnapshot], now: datetime | None = None) -> Runout | None:
    """When a balance or quota runs out, from its snapshots over time (oldest first).

    The rate is the fall from the first to the last snapshot since the last top-up or reset (a
    rise in ``remaining`` starts a new run). None when it is not falling or there are fewer than two
    snapshots to measure with.
    """
    points = [(s.taken_at, r) for s in history if (r := remaining_of(s)) is not None]
    if len(points) < 2:
        return None
    run_start = 0
    for i in range(1, len(points)):
        if points[i][1] > points[i - 1][1]:
            run_start = i
    (t0, r0), (t1, r1) = points[run_start], points[-1]
    hours = Decimal(int((t1 - t0).total_seconds())) / 3600
    if hours <= 0 or r1 >= r0:
        return None
    result = runout_at_rate(r1, (r0 - r1) / hours, t1)
    if result is None:
        return None
    resets = history[-1].resets_at
    if resets is not None and resets < result.at:
        return Runout(result.remaining, result.per_hour, result.at, resets_first=True)
    return result


# ---------------------------------------------------------------------- from the store


def history_window(first: date | None, today: date, days: int = LOOKBACK_DAYS) -> tuple[date, date] | None:
    """The complete days before today that rates are taken from, starting no earlier than the first
    recorded day; None when there is none."""
    if first is None:
        return None
    start = max(today - timedelta(days=days), first)
    end = today - timedelta(days=1)
    return (start, end) if start <= end else None


def month_forecast(store: EventStore, now: datetime) -> Forecast:
    """This UTC month's spend to date and its month-end forecast, from the daily rollups."""
    now = now.astimezone(UTC)
    today = now.date()
    start, end = today.replace(day=1), month_end(today)
    window = history_window(store.first_day(), today)
    history = {d.day: d.cost_usd for d in store.by_day(*window)} if window else {}
    to_date = store.totals(start, today).cost_usd
    return forecast_period(history, to_date, start, end, now)


RUNOUT_LOOKBACK = timedelta(days=7)
"""Snapshots this far back measure how fast a balance or quota falls."""


def quota_runouts(store: EventStore, now: datetime) -> list[tuple[QuotaSnapshot, Runout]]:
    """Every balance and spend/credit quota that is falling, with when it runs out (soonest
    first). Rate limits are left out: their windows (a minute, a day) reset faster than a trend
    can be read from sync snapshots."""
    out = []
    for snap in store.billing.latest_quotas():
        if "rate_limit" in snap.kind or remaining_of(snap) is None:
            continue
        history = store.billing.quota_history(
            snap.provider, snap.account, snap.kind, snap.scope, since=now - RUNOUT_LOOKBACK
        )
        result = runout(history, now)
        if result is not None:
            out.append((snap, result))
    out.sort(key=lambda pair: pair[1].at)
    return out


def runouts_json(pairs: list[tuple[QuotaSnapshot, Runout]]) -> list[dict[str, Any]]:
    return [
        {
            "provider": snap.provider,
            "account": snap.account,
            "kind": snap.kind,
            "scope": snap.scope,
            "unit": snap.unit,
            "remaining": decimal_str(r.remaining),
            "per_hour": decimal_str(r.per_hour.quantize(Decimal("0.000001"))),
            "runs_out_at": r.at.isoformat(),
            "resets_first": r.resets_first,
        }
        for snap, r in pairs
    ]
