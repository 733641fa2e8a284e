"""Days whose cost is far above normal, per provider, model, app and API key.

"Normal" is weekday-aware: a day is compared with the same weekday over the previous weeks (a
Monday with the last four Mondays), so a busy Monday after a quiet weekend is not news. The rule is
robust to earlier spikes: the baseline is the median of those days, the spread their median
absolute deviation (MAD, scaled by 1.4826 to be comparable with a standard deviation). A day is
anomalous when its cost is above the baseline by more than all of: ``K`` spreads, ``MIN_RATIO``
times the baseline (a steady series has a spread of 0), and ``min_increase`` dollars (cents are
not worth a warning). Only rises are flagged: a quiet day costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from costtui.formatting import money
from costtui.models import decimal_str

if TYPE_CHECKING:
    from costtui.store import EventStore

WEEKS = 4
"""Same weekdays looked back at for a day's baseline."""
MIN_WEEKS = 3
"""A day with fewer same-weekday days of history than this is not judged."""
K = Decimal(4)
MAD_SCALE = Decimal("1.4826")
MIN_RATIO = Decimal("0.5")
"""The least rise over the baseline, as a fraction of it, that counts (50% above normal)."""
MIN_INCREASE = Decimal(1)
"""The least rise in dollars that counts."""

DIMENSIONS: dict[str, str] = {"provider": "provider", "model": "model", "app": "app", "key": "api_key_fp"}
"""What anomalies are looked for in (the user's word → the store's dimension)."""


@dataclass(frozen=True)
class Baseline:
    median: Decimal
    spread: Decimal
    weeks: int

    def threshold(self, min_increase: Decimal = MIN_INCREASE) -> Decimal:
        return self.median + max(K * self.spread, MIN_RATIO * self.median, min_increase)


@dataclass(frozen=True)
class Anomaly:
    dimension: str
    """``provider``, ``model``, ``app`` or ``key``."""
    name: str
    day: date
    cost: Decimal
    baseline: Baseline
    since: date
    """The first day of the run of anomalous days this one belongs to."""

    @property
    def ratio(self) -> Decimal | None:
        return self.cost / self.baseline.median if self.baseline.median > 0 else None

    @property
    def excess(self) -> Decimal:
        return self.cost - self.baseline.median

    def explain(self) -> str:
        weekday = self.day.strftime("%A")
        how_far = (
            f"{self.ratio:.1f}x a usual {weekday}" if self.ratio is not None else f"a usual {weekday} costs nothing"
        )
        text = (
            f"{self.dimension} {self.name}: {money(self.cost)} on {weekday} {self.day.isoformat()}, {how_far}"
            f" ({money(self.baseline.median)}, the median of the last {self.baseline.weeks} {weekday}s);"
            f" {money(self.excess)} above normal"
        )
        if self.since < self.day:
            days = (self.day - self.since).days + 1
            text += f", high since {self.since.strftime('%a')} {self.since.isoformat()} ({days} days)"
        return text

    def as_json(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "name": self.name,
            "day": self.day.isoformat(),
            "cost_usd": decimal_str(self.cost),
            "baseline_usd": decimal_str(self.baseline.median),
            "spread_usd": decimal_str(self.baseline.spread),
            "since": self.since.isoformat(),
            "explanation": self.explain(),
        }


def median(values: list[Decimal]) -> Decimal:
    """The median of a few amounts (statistics.median does the same, slower, on Decimals)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def baseline(series: Mapping[date, Decimal], day: date, first: date, weeks: int = WEEKS) -> Baseline | None:
    """The same weekday over the ``weeks`` weeks before ``day`` (days before ``first``, the start of
    recorded history, are not zero: they are unknown and left out)."""
    points = []
    for k in range(1, weeks + 1):
        past = day - timedelta(days=7 * k)
        if past < first:
            break
        points.append(series.get(past, Decimal(0)))
    if len(points) < MIN_WEEKS:
        return None
    mid = median(points)
    mad = median([abs(p - mid) for p in points])
    return Baseline(mid, mad * MAD_SCALE, len(points))


def is_anomalous(cost: Decimal, base: Baseline | None, min_increase: Decimal = MIN_INCREASE) -> bool:
    return base is not None and cost > base.threshold(min_increase)


def detect_series(
    dimension: str,
    name: str,
    series: Mapping[date, Decimal],
    start: date,
    end: date,
    first: date,
    *,
    weeks: int = WEEKS,
    min_increase: Decimal = MIN_INCREASE,
) -> list[Anomaly]:
    """Anomalous days of one series in [start, end] (missing days cost 0), oldest first."""
    out: list[Anomaly] = []
    since: date | None = None
    day = start
    while day <= end:
        cost = series.get(day, Decimal(0))
        # No baseline can make a day anomalous that costs less than the least rise that counts.
        base = baseline(series, day, first, weeks) if cost > min_increase else None
        if base is not None and is_anomalous(cost, base, min_increase):
            since = since or _run_start(series, day, first, weeks, min_increase)
            out.append(Anomaly(dimension, name, day, cost, base, since))
        else:
            since = None
        day += timedelta(days=1)
    return out


def _run_start(series: Mapping[date, Decimal], day: date, first: date, weeks: int, min_increase: Decimal) -> date:
    """How far back the run of anomalous days ending at ``day`` goes (before the checked window too)."""
    while True:
        before = day - timedelta(days=1)
        base = baseline(series, before, first, weeks)
        if base is None or not is_anomalous(series.get(before, Decimal(0)), base, min_increase):
            return day
        day = before


def detect(
    store: EventStore,
    now: datetime | None = None,
    *,
    days: int = 14,
    weeks: int = WEEKS,
    dimensions: Iterable[str] = tuple(DIMENSIONS),
    min_increase: Decimal = MIN_INCREASE,
) -> list[Anomaly]:
    """Anomalous days over the last ``days`` days (today included) in every series, newest first,
    the largest excess first within a day."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    first = store.first_day()
    if first is None:
        return []
    start = today - timedelta(days=days - 1)
    # The baselines of the window's first days, and a week more for a run that began before it.
    lookback = start - timedelta(days=7 * weeks + 7)
    found: list[Anomaly] = []
    for dim in dimensions:
        for name, series in store.reports.daily_cost_by(DIMENSIONS[dim], lookback, today).items():
            if not name:  # events without an app or key: not one thing that can misbehave
                continue
            found.extend(detect_series(dim, name, series, start, today, first, weeks=weeks, min_increase=min_increase))
    found.sort(key=lambda a: (a.day, a.excess), reverse=True)
    return found


def latest_runs(anomalies: Iterable[Anomaly]) -> list[Anomaly]:
    """One anomaly per run (the newest day of each), for a list a person reads."""
    seen: set[tuple[str, str, date]] = set()
    out = []
    for a in sorted(anomalies, key=lambda a: a.day, reverse=True):
        key = (a.dimension, a.name, a.since)
        if key not in seen:
            seen.add(key)
            out.append(a)
    out.sort(key=lambda a: (a.day, a.excess), reverse=True)
    return out


MARK_SHARE = Decimal("0.2")
"""On a chart of total cost, a day is marked when an anomaly's excess is at least this share of
the day's total (a small model doubling is real, but not what a chart of everything is about)."""


def anomalous_days(anomalies: Iterable[Anomaly], day_totals: Mapping[date, Decimal] | None = None) -> set[date]:
    """The days to mark on a daily chart: every anomalous day, or with ``day_totals`` (the chart's
    values) the days where an anomaly accounts for a visible part of the total."""
    if day_totals is None:
        return {a.day for a in anomalies}
    return {a.day for a in anomalies if a.excess >= MARK_SHARE * day_totals.get(a.day, Decimal(0))}
