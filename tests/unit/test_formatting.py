from __future__ import annotations

import time
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from costtui.formatting import (
    TimeZoneRule,
    fingerprint,
    money,
    money_column,
    money_decimals,
    money_exact,
    money_fixed,
    plural,
    tokens,
    tokens_exact,
)


@pytest.mark.parametrize(
    "amount,shown",
    [
        ("0", "$0.00"),
        ("1234.567", "$1,234.57"),
        ("12.3", "$12.30"),
        ("1", "$1.00"),
        ("0.742", "$0.742"),
        ("0.6042", "$0.604"),
        ("0.5", "$0.50"),
        ("0.0042", "$0.0042"),
        ("0.000435", "$0.000435"),
        ("0.00000012", "$0.00000012"),
        ("0.99961", "$1.00"),
        ("-2.5", "-$2.50"),
    ],
)
def test_money(amount: str, shown: str) -> None:
    assert money(Decimal(amount)) == shown


def test_money_none_is_never_zero() -> None:
    assert money(None, unpriced=True) == "unpriced"
    assert money(None) == "—"


@pytest.mark.parametrize(
    "n,shown",
    [
        (12, "12"),
        (999, "999"),
        (9741, "9.7k"),
        (12345, "12.3k"),
        (18000, "18.0k"),
        (123456, "123.5k"),
        (999_960, "1.0M"),
        (4567890, "4.6M"),
        (1_234_567_890, "1.2B"),
        (-12345, "-12.3k"),
    ],
)
def test_tokens_one_format_one_decimal(n: int, shown: str) -> None:
    assert tokens(n) == shown


def test_a_token_column_never_mixes_formats() -> None:
    cells = [tokens(n) for n in (11_400, 18_000, 9_741, 1_234_567)]
    assert cells == ["11.4k", "18.0k", "9.7k", "1.2M"]
    assert all(len(c.split(".")[1]) == 2 for c in cells)  # one decimal, then the unit


def test_tokens_exact() -> None:
    assert tokens_exact(9741) == "9,741"
    assert tokens_exact(None) == "—"


@pytest.mark.parametrize(
    "amount,shown", [("0", "$0.00"), ("0.00042", "$0.00042"), ("1.5", "$1.50"), ("1234.5", "$1,234.50")]
)
def test_money_exact_never_drops_the_cents(amount: str, shown: str) -> None:
    assert money_exact(Decimal(amount)) == shown
    assert money_exact(Decimal(amount)).startswith("$")  # the same currency mark as every other amount


def test_money_column_aligns_on_the_decimal_point() -> None:
    cells = money_column([Decimal("1234.5"), Decimal("0.0042"), Decimal("12"), None, Decimal(0)])
    assert [c.strip() for c in cells] == ["$1,234.50", "<$0.01", "$12.00", "—", "$0.00"]
    assert len({len(c) for c in cells}) == 1
    points = {c.index(".") for c in cells if "." in c}
    assert len(points) == 1
    assert cells[1].strip() == "<$0.01"  # never a false $0.00


def test_money_column_of_small_amounts_keeps_two_significant_digits() -> None:
    cells = money_column([Decimal("0.0042"), Decimal("0.0013"), Decimal("0.0001")])
    assert [c.strip() for c in cells] == ["$0.0042", "$0.0013", "$0.0001"]


def test_money_fixed() -> None:
    assert money_fixed(Decimal("0.00004"), 4) == "<$0.0001"
    assert money_fixed(Decimal("12.3456"), 4) == "$12.3456"
    assert money_fixed(None, 4, unpriced=True) == "unpriced"
    assert money_decimals([Decimal("0.42"), Decimal("0.01")]) == 2
    assert money_decimals([Decimal("0.0042")]) == 4


def test_plural() -> None:
    assert plural(1, "event") == "1 event"
    assert plural(0, "event") == "0 events"
    assert plural(1234, "day") == "1,234 days"
    assert plural(2, "entry", "entries") == "2 entries"


def test_time_zone_rule_utc() -> None:
    rule = TimeZoneRule.from_setting("utc")
    ts = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    assert rule.format(ts) == "2026-11-20 23:30"
    assert rule.label() == "UTC"
    assert rule.stamp(ts) == "2026-11-20 23:30 UTC"
    assert rule.day_start(date(2026, 11, 20)) == datetime(2026, 11, 20, tzinfo=UTC)
    assert rule.day_end(date(2026, 11, 20)) == datetime(2026, 11, 21, tzinfo=UTC)


def test_time_zone_rule_local_follows_the_machine_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        rule = TimeZoneRule.from_setting("local")
        ts = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
        assert rule.format(ts) == "2026-11-21 00:30"
        assert rule.label(ts) == "CET"
        assert rule.day_of(ts) == date(2026, 11, 21)
        # A local day starts at local midnight: 23:00 UTC the evening before in winter.
        assert rule.day_start(date(2026, 11, 21)) == datetime(2026, 11, 20, 23, tzinfo=UTC)
        assert rule.day_start(date(2026, 7, 1)) == datetime(2026, 6, 30, 22, tzinfo=UTC)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_fingerprint_never_shows_the_middle() -> None:
    key = "sk-proj-abcdefghijklmnopqrstuv1234"
    fp = fingerprint(key)
    assert fp == "sk-proj…1234"
    assert "abcdef" not in fp
