from __future__ import annotations

from decimal import Decimal

import pytest

from costtui.formatting import fingerprint, money, tokens


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
    "n,shown", [(12, "12"), (9999, "9,999"), (12345, "12.3k"), (4567890, "4.57M"), (123456, "123k")]
)
def test_tokens(n: int, shown: str) -> None:
    assert tokens(n) == shown


def test_fingerprint_never_shows_the_middle() -> None:
    key = "sk-proj-abcdefghijklmnopqrstuv1234"
    fp = fingerprint(key)
    assert fp == "sk-proj…1234"
    assert "abcdef" not in fp
