"""Dashboard charts (textual-plotext). Each chart draws with its own ``self.plt``, never the
global plotext module, and down-samples to its width: ``PlotextPlot`` rebuilds on every render.

Money reaches plotext as float only here, for drawing; labels are formatted from Decimals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from textual.events import Resize
from textual_plotext import PlotextPlot

from costtui.formatting import money, tokens
from costtui.models import DayTotals, GroupTotals

Y_AXIS_WIDTH = 10
"""Columns plotext spends on the y-axis labels and frame (left side)."""


def downsample(values: Sequence[float], width: int) -> tuple[list[int], list[float]]:
    """Bucket ``values`` into at most ``width`` means; returns (start index of each bucket, mean).

    A 90-day series on a 40-column chart becomes 30 three-day means, not 90 overlapping points.
    """
    n = len(values)
    width = max(1, width)
    if n <= width:
        return list(range(n)), [float(v) for v in values]
    size = math.ceil(n / width)
    starts, means = [], []
    # Buckets are aligned to the end so that the newest day is always a bucket of its own size.
    first = n - size * math.ceil(n / size)
    for start in range(first, n, size):
        chunk = values[max(0, start) : start + size]
        starts.append(max(0, start))
        means.append(sum(chunk) / len(chunk))
    return starts, means


def nice_step(max_value: float, steps: int = 4) -> float:
    """A round step (1, 2, 2.5, 5 × 10^k) so that ``steps`` steps cover ``max_value``."""
    if max_value <= 0:
        return 1.0
    raw = max_value / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 2.5, 5, 10):
        if mult * magnitude >= raw:
            return mult * magnitude
    return 10 * magnitude


def money_ticks(max_value: float, steps: int = 4) -> tuple[list[float], list[str]]:
    step = nice_step(max_value, steps)
    count = max(1, math.ceil(max_value / step))
    values = [i * step for i in range(count + 1)]
    return values, [money(Decimal(str(round(v, 6)))) for v in values]


def token_ticks(max_value: float, steps: int = 4) -> tuple[list[float], list[str]]:
    step = nice_step(max_value, steps)
    count = max(1, math.ceil(max_value / step))
    values = [i * step for i in range(count + 1)]
    return values, [tokens(int(v)) for v in values]


def day_ticks(days: Sequence[date], starts: Sequence[int], width: int) -> tuple[list[int], list[str]]:
    """A few date labels ("11-03") spread over the x axis, never overlapping."""
    if not starts:
        return [], []
    room = max(1, width // 9)
    every = max(1, math.ceil(len(starts) / room))
    picks = list(range(len(starts) - 1, -1, -every))[::-1]
    return picks, [days[starts[i]].strftime("%m-%d") for i in picks]


class CostPlot(PlotextPlot):
    """Base for the dashboard charts: ``update`` stores data, ``replot`` redraws it."""

    DEFAULT_CSS = """
    CostPlot { height: 1fr; min-height: 8; }
    """

    def on_resize(self, event: Resize) -> None:
        self.replot()

    def plot_width(self) -> int:
        return max(4, self.size.width - Y_AXIS_WIDTH)

    def replot(self) -> None:
        plt: Any = self.plt  # plotext annotates yside and tick lists wrongly; it is called as documented
        plt.clear_figure()
        self.draw()
        self.refresh()

    def draw(self) -> None:
        raise NotImplementedError

    def no_data(self, message: str) -> None:
        self.plt.title(message)
        self.plt.xticks([])
        self.plt.yticks([])

    def set_title(self, title: str) -> None:
        """Titles live in a ``.panel-title`` sibling: plotext centres a title over the plot
        area only, and drops it when the axis labels leave too little room."""
        if self.parent is not None:
            for label in self.parent.query_children(".panel-title"):
                label.update(title)  # type: ignore[attr-defined]


class DailyCostChart(CostPlot):
    """Cost per UTC day over the selected range: bars when there is room for them, else a filled
    line; bucket means when the range has more days than the chart has columns."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.days: list[DayTotals] = []

    def update(self, days: Sequence[DayTotals]) -> None:
        self.days = list(days)
        self.replot()

    def draw(self) -> None:
        plt: Any = self.plt  # plotext annotates yside and tick lists wrongly; it is called as documented
        if not self.days or all(d.cost_usd == 0 for d in self.days):
            self.no_data("no cost in this range")
            return
        values = [float(d.cost_usd) for d in self.days]
        width = self.plot_width()
        starts, means = downsample(values, width)
        xs = list(range(len(means)))
        if len(xs) * 2 <= width:
            # Room for a gap between bars; half blocks double the vertical resolution.
            plt.bar(xs, means, marker="hd", width=0.6)
        else:
            plt.plot(xs, means, marker="braille", fillx=True)
        ticks, labels = day_ticks([d.day for d in self.days], starts, width)
        plt.xticks(ticks, labels)
        y_values, y_labels = money_ticks(max(means), max(1, min(4, (self.size.height - 4) // 2)))
        plt.yticks(y_values, y_labels)
        plt.ylim(0, y_values[-1])
        per = "" if len(means) == len(values) else f", {math.ceil(len(values) / len(means))}-day means"
        self.set_title(f"Daily cost, last {len(self.days)} days{per}")


class TokensCostChart(CostPlot):
    """Tokens (left axis, bars) and cost (right axis, line) per day, drawn together."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.days: list[DayTotals] = []

    def update(self, days: Sequence[DayTotals]) -> None:
        self.days = list(days)
        self.replot()

    def plot_width(self) -> int:
        return max(4, self.size.width - 2 * Y_AXIS_WIDTH)

    def draw(self) -> None:
        plt: Any = self.plt  # plotext annotates yside and tick lists wrongly; it is called as documented
        if not self.days or all(d.total_tokens == 0 for d in self.days):
            self.no_data("no tokens in this range")
            return
        width = self.plot_width()
        starts, tok = downsample([float(d.total_tokens) for d in self.days], width)
        _, cost = downsample([float(d.cost_usd) for d in self.days], width)
        xs = list(range(len(tok)))
        # Bars and a line, not two colours: the series stay apart under NO_COLOR.
        plt.bar(xs, tok, marker="hd", width=0.6 if len(xs) * 2 <= width else 1)
        plt.plot(xs, cost, marker="braille", yside="right")
        ticks, labels = day_ticks([d.day for d in self.days], starts, width)
        plt.xticks(ticks, labels)
        tv, tl = token_ticks(max(tok) or 1.0, 3)
        plt.yticks(tv, tl, yside="left")
        cv, cl = money_ticks(max(cost) or 1.0, 3)
        plt.yticks(cv, cl, yside="right")
        self.set_title("Tokens (bars, left) and cost (line, right) per day")
        plt.ylim(0, tv[-1], yside="left")
        plt.ylim(0, cv[-1], yside="right")


def model_label(name: str, cost: Decimal, width: int) -> str:
    value = money(cost)
    room = max(4, width - len(value) - 1)
    short = name if len(name) <= room else name[: room - 1] + "…"
    return f"{short:<{room}} {value}"


class ModelCostChart(CostPlot):
    """Cost by model as horizontal bars, most expensive on top (the title sits outside: plotext
    centres titles over the bars only, and drops them when the labels leave too little room)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.groups: list[GroupTotals] = []

    def update(self, groups: Sequence[GroupTotals]) -> None:
        # Sorted here, by cost then name, so equal costs never swap places between runs.
        self.groups = sorted(groups, key=lambda g: (-g.cost_usd, g.name))
        self.replot()

    def capacity(self) -> int:
        """How many bars fit: one per row inside the frame."""
        return max(1, self.size.height - 2)

    def draw(self) -> None:
        plt: Any = self.plt  # plotext annotates yside and tick lists wrongly; it is called as documented
        priced = [g for g in self.groups if g.cost_usd > 0]
        if not priced:
            self.no_data("no priced usage in this range")
            return
        # One row per bar: the y axis gets exactly as many slots as the plot has rows.
        rows = self.capacity()
        shown = priced[:rows]
        label_width = min(40, max(14, self.size.width - 12))
        positions = [rows - i for i in range(len(shown))]
        values = [float(g.cost_usd) for g in shown]
        plt.bar(positions, values, orientation="horizontal", marker="sd", width=0.5)
        plt.yticks(positions, [model_label(g.name, g.cost_usd, label_width) for g in shown])
        plt.ylim(0.5, rows + 0.5)
        plt.xlim(0, max(values))
        plt.xticks([])
