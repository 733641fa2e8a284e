"""Anomalies: a spike is flagged and explained; a normal Monday after a quiet weekend is not."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from costtui.analytics.anomalies import baseline, detect, detect_series, latest_runs
from costtui.models import UsageEvent
from costtui.store import Store

D = Decimal
FIRST = date(2026, 10, 5)  # a Monday


def office_hours(days: int, *, noise: bool = True) -> dict[date, Decimal]:
    """$20 on weekdays (a little noise), $1 on weekends."""
    out = {}
    for i in range(days):
        day = FIRST + timedelta(days=i)
        if day.weekday() >= 5:
            out[day] = D(1)
        else:
            out[day] = D(20) + (D(i % 3) if noise else 0)
    return out


def test_a_normal_monday_after_a_quiet_weekend_is_not_flagged() -> None:
    series = office_hours(57)  # through Monday 30 Nov
    monday = date(2026, 11, 30)
    assert monday.weekday() == 0 and series[monday] >= 20 and series[monday - timedelta(days=1)] == 1
    assert detect_series("model", "gpt-4o", series, FIRST, monday, FIRST) == []


def test_an_injected_spike_is_flagged_and_explained() -> None:
    series = office_hours(57)
    spike = date(2026, 11, 25)  # a Wednesday
    series[spike] = D(130)
    found = detect_series("model", "gpt-4o", series, date(2026, 11, 16), date(2026, 11, 30), FIRST)
    assert [a.day for a in found] == [spike]
    a = found[0]
    assert a.since == spike
    assert a.baseline.weeks == 4
    text = a.explain()
    assert "model gpt-4o" in text and "$130.00" in text and "Wednesday 2026-11-25" in text
    assert "x a usual Wednesday" in text


def test_a_run_of_high_days_says_since_when() -> None:
    series = office_hours(57)
    for day in (date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)):
        series[day] = D(90)
    found = detect_series("app", "batch", series, date(2026, 11, 25), date(2026, 11, 26), FIRST)
    assert [a.since for a in found] == [date(2026, 11, 24)] * 2
    assert "high since Tue 2026-11-24 (3 days)" in found[-1].explain()
    assert len(latest_runs(found)) == 1


def test_a_weekend_spike_is_judged_against_weekends() -> None:
    series = office_hours(57)
    saturday = date(2026, 11, 28)
    series[saturday] = D(15)  # less than any weekday, but 15x a usual Saturday
    found = detect_series("provider", "openai", series, saturday, saturday, FIRST)
    assert len(found) == 1 and found[0].ratio == 15


def test_too_little_history_is_not_judged_and_cents_are_not_news() -> None:
    series = office_hours(15)
    assert baseline(series, date(2026, 10, 19), FIRST) is None  # two Mondays before it only
    cheap = {FIRST + timedelta(days=i): D("0.01") for i in range(40)}
    cheap[FIRST + timedelta(days=35)] = D("0.50")  # 50x, but 49 cents
    assert detect_series("key", "sk-…abcd", cheap, FIRST, FIRST + timedelta(days=39), FIRST) == []


def test_detect_reads_every_dimension_from_the_rollups(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    events = []
    for i in range(35):
        day = date(2026, 10, 27) + timedelta(days=i)
        cost = D(1) if day.weekday() >= 5 else D(10)
        app = "chatbot"
        if day == date(2026, 11, 30):
            cost = D(200)
        events.append(
            UsageEvent(
                event_id=f"e{i}",
                ts=datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
                provider="anthropic",
                model="claude-sonnet-4-5",
                app=app,
                input_tokens=1,
                output_tokens=1,
                cost_usd=cost,
            )
        )
    store.record(events)
    found = detect(store, datetime(2026, 11, 30, 23, tzinfo=UTC))
    assert {(a.dimension, a.name) for a in found} == {
        ("provider", "anthropic"),
        ("model", "claude-sonnet-4-5"),
        ("app", "chatbot"),
    }
    assert all(a.day == date(2026, 11, 30) for a in found)


def test_chart_marks_only_anomalies_that_move_the_total() -> None:
    from costtui.analytics.anomalies import anomalous_days

    series = office_hours(57)
    series[date(2026, 11, 25)] = D(130)
    found = detect_series("model", "small", series, date(2026, 11, 25), date(2026, 11, 25), FIRST)
    assert anomalous_days(found) == {date(2026, 11, 25)}
    assert anomalous_days(found, {date(2026, 11, 25): D(300)}) == {date(2026, 11, 25)}  # $109 of $300
    assert anomalous_days(found, {date(2026, 11, 25): D(5000)}) == set()
