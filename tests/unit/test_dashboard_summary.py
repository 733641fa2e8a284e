"""The dashboard's comparisons: previous periods, trailing averages and today's burn rate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from costtui.analytics.summary import (
    burn_rate_per_hour,
    change_ratio,
    dashboard,
    days_with_history,
    previous_month_span,
)
from costtui.models import UsageEvent
from costtui.store import Store

NOW = datetime(2026, 3, 31, 6, 0, tzinfo=UTC)


def spend(day: date, cost: str, n: int = 0) -> UsageEvent:
    return UsageEvent(
        event_id=f"{day.isoformat()}-{n}",
        ts=datetime(day.year, day.month, day.day, 1, n, tzinfo=UTC),
        provider="openai",
        model="gpt-4o",
        input_tokens=10,
        output_tokens=1,
        cost_usd=Decimal(cost),
    )


@pytest.fixture
def store(db_path: Path) -> Store:
    return Store(db_path)


def test_change_ratio() -> None:
    assert change_ratio(Decimal(15), Decimal(10)) == Decimal("0.5")
    assert change_ratio(Decimal(5), Decimal(10)) == Decimal("-0.5")
    # Nothing to compare with: no percentage is made up.
    assert change_ratio(Decimal(5), Decimal(0)) is None
    assert change_ratio(Decimal(5), None) is None


def test_previous_month_span_clamps_to_its_length() -> None:
    assert previous_month_span(date(2026, 3, 31)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert previous_month_span(date(2026, 3, 10)) == (date(2026, 2, 1), date(2026, 2, 10))
    assert previous_month_span(date(2026, 1, 5)) == (date(2025, 12, 1), date(2025, 12, 5))


def test_days_with_history() -> None:
    start, end = date(2026, 3, 24), date(2026, 3, 30)
    assert days_with_history(start, end, date(2026, 1, 1)) == 7
    assert days_with_history(start, end, date(2026, 3, 28)) == 3
    assert days_with_history(start, end, None) == 0
    assert days_with_history(start, end, date(2026, 3, 31)) == 0


def test_burn_rate_is_per_hour_elapsed_today() -> None:
    assert burn_rate_per_hour(Decimal(12), datetime(2026, 3, 31, 6, 0, tzinfo=UTC)) == Decimal(2)
    # Two minutes after midnight, a dollar is a dollar an hour, not thirty.
    assert burn_rate_per_hour(Decimal(1), datetime(2026, 3, 31, 0, 2, tzinfo=UTC)) == Decimal(1)


def test_snapshot_compares_with_previous_periods(store: Store) -> None:
    today = NOW.date()
    events = [spend(today, "12.00")]
    events.append(spend(today - timedelta(days=1), "6.00"))
    # The trailing week (7 whole days before today) costs 2 a day; the week before 1 a day.
    events += [spend(today - timedelta(days=d), "2.00", 1) for d in range(1, 8)]
    events += [spend(today - timedelta(days=d), "1.00", 1) for d in range(8, 15)]
    # February 1-28 is March 31's "previous month to date".
    events.append(spend(date(2026, 2, 3), "5.00", 2))
    store.record(events)

    snap = dashboard(store, now=NOW)
    assert snap.today_totals.cost_usd == Decimal(12)
    assert snap.yesterday.cost_usd == Decimal(8)
    assert snap.trailing_week.cost_usd == Decimal(20) and snap.trailing_week_days == 7
    assert snap.trailing_average_per_day == Decimal(20) / 7
    assert snap.previous_average_per_day == Decimal(1)
    assert snap.burn_rate_per_hour == Decimal(2)  # $12 in the first 6 hours of the day
    assert snap.trailing_burn_rate_per_hour == Decimal(20) / 7 / 24
    assert snap.previous_month_to_date.cost_usd == Decimal(5)
    assert change_ratio(snap.today_totals.cost_usd, snap.yesterday.cost_usd) == Decimal("0.5")
    assert all(isinstance(v, Decimal) for v in (snap.burn_rate_per_hour, snap.yesterday.cost_usd))


def test_snapshot_with_little_history(store: Store) -> None:
    today = NOW.date()
    store.record([spend(today, "3.00"), spend(today - timedelta(days=2), "4.00")])
    snap = dashboard(store, now=NOW)
    # Two days of the trailing week had history: the average divides by 2, not 7.
    assert snap.trailing_week_days == 2 and snap.trailing_average_per_day == Decimal(2)
    assert snap.previous_week_days == 0 and snap.previous_average_per_day is None
    assert snap.yesterday.cost_usd == 0
