"""How numbers look to a user: money with sensible precision, tokens with k/M suffixes."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal


def money(amount: Decimal | None, *, unpriced: bool = False) -> str:
    """$1,234.56 from a dollar up; at most three significant digits below ($0.742, $0.50, $0.0042)."""
    if amount is None:
        return "unpriced" if unpriced else "—"
    sign = "-" if amount < 0 else ""
    a = abs(amount)
    if a == 0:
        return "$0.00"
    if a >= 1:
        return f"{sign}${a.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    q = a.quantize(Decimal(1).scaleb(a.adjusted() - 2), rounding=ROUND_HALF_UP)
    if q >= 1:  # 0.9996 rounds up to a dollar
        return f"{sign}$1.00"
    text = f"{q:f}"
    while text.endswith("0") and len(text.split(".")[1]) > 2:
        text = text[:-1]
    return f"{sign}${text}"


def money_exact(amount: Decimal | None) -> str:
    if amount is None:
        return "unpriced"
    return f"${amount.normalize():f}" if amount != 0 else "$0"


def tokens(n: int | None) -> str:
    """1,234 below 10k, then 12.3k, 4.56M, 1.2B."""
    if n is None:
        return "—"
    if abs(n) < 10_000:
        return f"{n:,}"
    for div, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if abs(n) >= div:
            value = n / div
            return f"{value:.3g}{suffix}" if value < 100 else f"{value:,.0f}{suffix}"
    return str(n)


def local_time(ts: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    if ts is None:
        return "—"
    return ts.astimezone().strftime(fmt)


def fingerprint(secret: str) -> str:
    """prefix…last4 of a key: enough to recognise it, never enough to use it."""
    s = secret.strip()
    if len(s) <= 12:
        return "…" + s[-2:] if len(s) > 4 else "…"
    prefix = s[:7] if s.startswith(("sk-", "xai-")) else s[:4]
    return f"{prefix}…{s[-4:]}"


def quota_amount(value: Decimal | None, unit: str) -> str:
    """A quota value for people: ``$17.42``, ``110.00 CNY``, ``4,999 requests``."""
    if value is None:
        return "—"
    if unit == "usd":
        return money(value)
    if unit in ("cny", "eur"):
        return f"{value:,.2f} {unit.upper()}"
    number = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,}"
    return f"{number} {unit}".strip()
