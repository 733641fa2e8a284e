"""Parsing of command-line values shared by every command module: one message for one mistake."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import overload

import click


def parse_date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint=name) from exc


@overload
def parse_amount(value: str, name: str) -> Decimal: ...
@overload
def parse_amount(value: str | None, name: str) -> Decimal | None: ...


def parse_amount(value: str | None, name: str) -> Decimal | None:
    """A non-negative Decimal from "12.50", "$12.50" or "1,234.50"."""
    if value is None:
        return None
    try:
        result = Decimal(value.strip().lstrip("$").replace(",", ""))
    except InvalidOperation as exc:
        raise click.BadParameter(f"{value!r} is not a number", param_hint=name) from exc
    if not result.is_finite() or result < 0:
        raise click.BadParameter(f"{value!r} must be a non-negative number", param_hint=name)
    return result
