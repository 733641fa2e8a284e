"""Plan windows and balances for people: labels, and when each runs out at the current burn rate.

The burn rate is read from the quota's own history (what is left over time), counted from its last
reset or top-up (the latest rise of what is left), so a window that just reset is not judged by
the use before the reset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from costtui.models import QuotaSnapshot

MIN_SPAN = timedelta(minutes=10)
"""Less history than this says nothing about a rate."""
WINDOW_LABELS = {
    "five_hour": "5-hour",
    "rolling": "rolling (5 h)",
    "seven_day": "7-day",
    "weekly": "weekly",
    "monthly": "monthly",
    "daily": "daily (free)",
    "free": "free allowance",
    "tool_calls": "tool calls (month)",
    "credits": "credits",
    "other": "other usage",
    "orb": "orb usage",
}
ORDER = ["five_hour", "rolling", "daily", "free", "seven_day", "weekly", "monthly", "tool_calls", "credits"]


def is_plan(q: QuotaSnapshot) -> bool:
    return q.kind.startswith("plan.")


def window_name(q: QuotaSnapshot) -> str:
    return q.kind.removeprefix("plan.")


def window_label(q: QuotaSnapshot) -> str:
    name = window_name(q)
    label = WINDOW_LABELS.get(name, name.replace("_", " "))
    return f"{label} · {q.scope}" if q.scope else label


def plan_order(q: QuotaSnapshot) -> tuple[int, str, str]:
    name = window_name(q)
    return (ORDER.index(name) if name in ORDER else len(ORDER), name, q.scope)


def left_of(q: QuotaSnapshot) -> Decimal | None:
    """What is left of a quota: its remaining, or limit − used."""
    if q.remaining is not None:
        return q.remaining
    if q.limit is not None and q.used is not None:
        return q.limit - q.used
    return None


@dataclass(frozen=True)
class Burn:
    runs_out_at: datetime | None
    """When it runs out at the current rate (None: not running down, or too little history)."""
    lasts_to_reset: bool = False
    """It resets before it would run out."""


def burn(
    points: Sequence[tuple[datetime, Decimal]],
    left_now: Decimal | None,
    now: datetime,
    resets_at: datetime | None = None,
) -> Burn:
    """When what is left runs out, from ``points`` (time, what was left), oldest first."""
    if left_now is None or not points:
        return Burn(None)
    if left_now <= 0:
        return Burn(now)
    start = 0
    for i in range(1, len(points)):
        if points[i][1] > points[i - 1][1]:
            start = i  # a reset or a top-up: the rate counts from here
    run = points[start:]
    if len(run) < 2:
        return Burn(None)
    (t0, v0), (t1, v1) = run[0], run[-1]
    span = (t1 - t0).total_seconds()
    if span < MIN_SPAN.total_seconds() or v1 >= v0:
        return Burn(None)
    per_second = (v0 - v1) / Decimal(span)
    at = now + timedelta(seconds=float(left_now / per_second))
    if resets_at is not None and resets_at <= at:
        return Burn(None, lasts_to_reset=True)
    return Burn(at)
