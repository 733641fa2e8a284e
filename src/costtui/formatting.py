"""How numbers and times look to a user, in every face (TUI, CLI): written once, here.

- Money: :func:`money` for a value on its own (``$1,234.56``, ``$0.0042``); a column of amounts
  gets one number of decimals for all its rows (:func:`money_column`, :func:`money_fixed`), so
  that the decimal points line up when the cells are right-aligned.
- Tokens: one format, :func:`tokens` (``742``, ``9.7k``, ``12.3k``, ``1.2M``: one decimal from a
  thousand up), so a column never mixes ``9,741`` with ``18k``; :func:`tokens_exact` where every
  digit matters (the event detail).
- Times: one :class:`TimeZoneRule` (the ``[ui] timezone`` setting) and the formats below.
- Counts with a noun: :func:`plural` (``1 event``, ``2 events``).
- Text from outside (names, ids, error messages, whatever a client or a provider sent): printed
  through :func:`safe`, so control and bidi characters appear as visible escapes even in rows
  stored before identifiers refused them; commands costtui suggests are built by :func:`command`
  (every argument shell-quoted); spreadsheet cells go through :func:`csv_cell`.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from costtui.models import neutralise

DATETIME = "%Y-%m-%d %H:%M"
"""The date-time format of the whole UI (cells shorten it by dropping the year: :data:`SHORT`)."""
DATETIME_SECONDS = "%Y-%m-%d %H:%M:%S"
SHORT = "%m-%d %H:%M"
SHORT_SECONDS = "%m-%d %H:%M:%S"
DATE = "%Y-%m-%d"


# --------------------------------------------------------------------------- money


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
    """Every digit stored (nano-dollars), never fewer than cents: ``$0.00042``, ``$1.50``, ``$0.00``."""
    if amount is None:
        return "unpriced"
    sign = "-" if amount < 0 else ""
    a = abs(amount).normalize()
    if a.as_tuple().exponent > -2:  # type: ignore[operator]
        a = a.quantize(Decimal("0.01"))
    return f"{sign}${a:,f}"


def money_fixed(amount: Decimal | None, decimals: int = 2, *, unpriced: bool = False) -> str:
    """An amount with exactly ``decimals`` decimals (a cell of a column: see :func:`money_column`).

    A nonzero amount too small for the column is shown as ``<$0.01`` rather than as a false ``$0.00``.
    """
    if amount is None:
        return "unpriced" if unpriced else "—"
    step = Decimal(1).scaleb(-decimals)
    q = abs(amount).quantize(step, rounding=ROUND_HALF_UP)
    if q == 0 and amount != 0:
        return f"{'>-' if amount < 0 else '<'}${step:f}"
    return f"{'-' if amount < 0 and q else ''}${q:,.{decimals}f}"


def money_decimals(amounts: Sequence[Decimal | None]) -> int:
    """Decimals for a column: cents once any amount reaches a dollar, else two significant digits
    of the largest amount (``$0.42``, ``$0.0042``), at most six."""
    largest = max((abs(a) for a in amounts if a is not None), default=Decimal(0))
    if largest == 0 or largest >= 1:
        return 2
    return min(6, max(2, -largest.adjusted() + 1))


def money_column(amounts: Sequence[Decimal | None], *, unpriced: bool = False) -> list[str]:
    """A column of amounts with one format: the same decimals, right-aligned to one width."""
    decimals = money_decimals(amounts)
    cells = [money_fixed(a, decimals, unpriced=unpriced) for a in amounts]
    width = max((len(c) for c in cells), default=0)
    return [c.rjust(width) for c in cells]


def decimal_aligned(values: Sequence[str]) -> list[str]:
    """Strings padded so that their decimal points line up ($38.17 over $0.465 over $0.0259)."""
    heads = [v.partition(".")[0] for v in values]
    tails = [v[len(h) :] for v, h in zip(values, heads, strict=True)]
    hw = max((len(h) for h in heads), default=0)
    tw = max((len(t) for t in tails), default=0)
    return [f"{h:>{hw}}{t:<{tw}}" for h, t in zip(heads, tails, strict=True)]


# --------------------------------------------------------------------------- tokens and counts


def tokens(n: int | None) -> str:
    """Exact below a thousand, then one decimal with a suffix: ``742``, ``9.7k``, ``12.3k``, ``1.2M``, ``3.4B``."""
    if n is None:
        return "—"
    sign = "-" if n < 0 else ""
    a = abs(n)
    if a < 1000:
        return f"{sign}{a}"
    units = ((1_000, "k"), (1_000_000, "M"), (1_000_000_000, "B"), (1_000_000_000_000, "T"))
    for i, (div, suffix) in enumerate(units):
        text = f"{a / div:,.1f}"
        # 999,960 is "1.0M", not "1,000.0k".
        if a / div < 999.95 or i == len(units) - 1:
            return f"{sign}{text}{suffix}"
    raise AssertionError("unreachable")


def tokens_exact(n: int | None) -> str:
    """Every digit, with thousands separators: ``9,741``."""
    return "—" if n is None else f"{n:,}"


def plural(n: int, word: str, plural_form: str | None = None) -> str:
    """``1 event``, ``2 events``, ``1,234 events``; irregular plurals as ``plural_form``."""
    return f"{n:,} {word if n == 1 else (plural_form or word + 's')}"


# --------------------------------------------------------------------------- times


@dataclass(frozen=True)
class TimeZoneRule:
    """The one time-zone rule of the UI (``[ui] timezone``): every time shown, every date typed
    (Activity's filters and jump) use it. Rollups stay UTC days: labels of days say "UTC"."""

    utc: bool = False
    """True: UTC everywhere. False: the machine's local zone (its abbreviation is shown)."""

    @classmethod
    def from_setting(cls, value: str) -> TimeZoneRule:
        return cls(utc=value.strip().lower() == "utc")

    def convert(self, ts: datetime) -> datetime:
        # astimezone() with no argument follows the local zone's rules at ts (DST included).
        return ts.astimezone(UTC) if self.utc else ts.astimezone()

    def format(self, ts: datetime | None, fmt: str = DATETIME) -> str:
        return "—" if ts is None else self.convert(ts).strftime(fmt)

    def stamp(self, ts: datetime | None, fmt: str = DATETIME) -> str:
        """A time with its zone, where no header names it: ``2026-11-20 14:03 CET``."""
        return "—" if ts is None else f"{self.format(ts, fmt)} {self.label(ts)}"

    def label(self, at: datetime | None = None) -> str:
        """The zone's name for headers and notes: ``UTC``, ``CET``, ``CEST``."""
        if self.utc:
            return "UTC"
        return (at or datetime.now(UTC)).astimezone().tzname() or "local"

    def day_start(self, day: date) -> datetime:
        """Midnight starting ``day`` in this zone, as an aware UTC time (for filters)."""
        if self.utc:
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        return datetime(day.year, day.month, day.day).astimezone().astimezone(UTC)

    def day_end(self, day: date) -> datetime:
        """The first instant after ``day`` in this zone (exclusive end)."""
        return self.day_start(day + timedelta(days=1))

    def day_of(self, ts: datetime) -> date:
        return self.convert(ts).date()


def local_time(ts: datetime | None, fmt: str = DATETIME_SECONDS) -> str:
    """A time in the machine's local zone (faces without a setting: the CLI)."""
    return TimeZoneRule().format(ts, fmt)


def fingerprint(secret: str) -> str:
    """prefix…last4 of a key: enough to recognise it, never enough to use it."""
    s = secret.strip()
    if len(s) <= 12:
        return "…" + s[-2:] if len(s) > 4 else "…"
    prefix = s[:7] if s.startswith(("sk-", "xai-")) else s[:4]
    return f"{prefix}…{s[-4:]}"


def key_fp_display(fp: str) -> str:
    """The ``prefix…last4`` part of a proxy key fingerprint (``sk-proj…abcd#1f2e3d4c``)."""
    return fp.split("#", 1)[0]


def quota_amount(value: Decimal | None, unit: str) -> str:
    """A quota value for people: ``$17.42``, ``110.00 CNY``, ``4,999 requests``, ``37%``."""
    if value is None:
        return "—"
    if unit == "usd":
        return money(value)
    if unit in ("cny", "eur"):
        return f"{value:,.2f} {unit.upper()}"
    number = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,}"
    if unit == "percent":  # plan windows: used share of 100
        return f"{number}%"
    return f"{number} {unit}".strip()


# --------------------------------------------------------------------------- text from outside


def safe(value: Any) -> str:
    """Anything that came from outside, ready to print: control characters (ESC, CR, LF, NUL, C1)
    and bidi formatting characters become visible escapes (``\\x1b``, ``\\u202e``); ``None`` is ``""``."""
    if value is None:
        return ""
    return neutralise(value if isinstance(value, str) else str(value))


def command(*argv: Any) -> str:
    """A copy-pasteable command line: each argument made :func:`safe`, then shell-quoted, so a
    model named ``x; rm -rf ~`` or ``$(reboot)`` is one quoted word. Placeholders the user is to
    replace are ordinary arguments written in shell-safe characters (``USD_PER_MTOK``)."""
    return " ".join(shlex.quote(safe(arg)) for arg in argv)


def price_command(model: str) -> str:
    """The command that prices ``model`` (the fix hint of unpriced usage, in the TUI and the CLI).

    The model name is what a client sent: quoted, so pasting the line runs nothing but costtui.
    """
    return command("costtui", "prices", "set", model, "--input", "X", "--output", "Y")


CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula (OWASP, "CSV injection")."""


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell that a spreadsheet will not run: text starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (shown as text, not evaluated).

    Numbers (int, Decimal, float) and ``None`` pass through untouched, so amounts stay numbers and
    a negative amount is not turned into text; any other value is treated as text.
    """
    if value is None or isinstance(value, (int, float, Decimal)):
        return value
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(CSV_FORMULA_STARTS) else text


def duration(td: timedelta | None) -> str:
    """A span of time, short: ``45s``, ``12m``, ``3h 05m``, ``2d 4h``."""
    if td is None:
        return "—"
    seconds = max(0, int(td.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"
