"""Plan windows as gauges: used %, what is left, when it resets, when it runs out at the current
rate, and a sparkline of used % over time — side by side, so a plan's 5-hour and weekly windows
read together."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from costtui.analytics.plans import Burn, left_of, plan_order, window_label
from costtui.formatting import TimeZoneRule, quota_amount, safe

if TYPE_CHECKING:
    from costtui.models import QuotaSnapshot

SPARK = "▁▂▃▄▅▆▇█"
HISTORY_POINTS = 16


def health_style(fraction: float | None) -> str:
    if fraction is None:
        return "dim"
    return "bold red" if fraction >= 0.9 else "yellow" if fraction >= 0.75 else "green"


def gauge_bar(fraction: float | None, width: int) -> Text:
    """A bar that reads without colour (NO_COLOR, screenshots): filled blocks then shade."""
    if fraction is None:
        return Text("░" * width, style="dim")
    filled = round(max(0.0, min(1.0, fraction)) * width)
    text = Text("█" * filled, style=health_style(fraction).replace("bold ", ""))
    text.append("░" * (width - filled), style="dim")
    return text


def percent_spark(values: Sequence[Decimal], width: int = HISTORY_POINTS) -> str:
    """Used % on a fixed 0–100 scale (a flat line at 40% reads as 40%, not as the middle)."""
    if len(values) < 2:
        return ""
    return "".join(SPARK[min(len(SPARK) - 1, int(float(v) / 100 * len(SPARK)))] for v in values[-width:])


def _pct(value: Decimal) -> str:
    return f"{value.quantize(Decimal(1)):f}%" if value == value.to_integral_value() or value >= 10 else f"{value:.1f}%"


def gauge(
    q: QuotaSnapshot,
    history: Sequence[Decimal],
    burn: Burn | None,
    now: datetime,
    width: int,
    until: Callable[[datetime | None, datetime, TimeZoneRule | None], str],
    times: TimeZoneRule | None = None,
) -> RenderableType:
    frac = q.fraction_used
    lines: list[Text] = [Text(safe(window_label(q)), style="bold")]
    bar = gauge_bar(frac, width)
    if frac is not None:
        bar.append(f" {frac * 100:.0f}%", style=health_style(frac))
    lines.append(bar)
    left = left_of(q)
    if q.unit == "percent" and q.used is not None:
        lines.append(Text(f"{_pct(q.used)} used · {_pct(left or Decimal(0))} left"))
    elif left is not None:
        used = quota_amount(q.used, q.unit) if q.used is not None else None
        lines.append(
            Text(
                f"{quota_amount(left, q.unit)} left"
                + (f" of {quota_amount(q.limit, q.unit)}" if q.limit else "")
                + (f" ({used} used)" if used and not q.limit else "")
            )
        )
    reset = until(q.resets_at, now, times)
    if reset:
        lines.append(Text(f"resets {reset}", style="dim"))
    if burn is not None:
        if burn.runs_out_at is not None:
            lines.append(Text(f"runs out {until(burn.runs_out_at, now, times)} at this rate", style="yellow"))
        elif burn.lasts_to_reset:
            lines.append(Text("lasts until the reset at this rate", style="dim"))
    spark = percent_spark(history)
    if spark:
        lines.append(Text(spark, style="cyan"))
    if q.detail:
        lines.append(Text(safe(q.detail)[:60], style="dim italic"))
    return Group(*lines)


def gauges(
    quotas: Sequence[QuotaSnapshot],
    history: dict[tuple[str, str], list[Decimal]],
    burns: dict[tuple[str, str], Burn],
    now: datetime,
    *,
    width: int,
    columns: int,
    until: Callable[[datetime | None, datetime, TimeZoneRule | None], str],
    times: TimeZoneRule | None = None,
) -> RenderableType:
    """The windows side by side, ``columns`` to a row (the shortest windows first)."""
    ordered = sorted(quotas, key=plan_order)
    grid = Table.grid(padding=(0, 3))
    n = max(1, min(columns, len(ordered)))
    for _ in range(n):
        grid.add_column(min_width=width + 5)
    for i in range(0, len(ordered), n):
        row = [
            gauge(q, history.get((q.kind, q.scope), []), burns.get((q.kind, q.scope)), now, width, until, times)
            for q in ordered[i : i + n]
        ]
        row += [Text("")] * (n - len(row))
        grid.add_row(*row)
    return grid
