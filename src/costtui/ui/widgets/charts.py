"""Dashboard charts (textual-plotext). Each chart draws with its own ``self.plt``, never the
global plotext module, and down-samples to its width: ``PlotextPlot`` rebuilds on every render.

Money reaches plotext as float only here, for drawing; labels are formatted from Decimals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rich.text import Text
from textual.events import Resize
from textual.widget import Widget
from textual_plotext import PlotextPlot

from costtui.formatting import decimal_aligned, money, safe, tokens
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


NICE_MULTIPLES = (1.0, 2.0, 2.5, 5.0)


def nice_ticks(max_value: float, max_steps: int = 4) -> list[float]:
    """Ticks from 0 in round steps (1, 2, 2.5 or 5 × 10^k), at most ``max_steps`` of them, whose
    top is the first such tick at or above ``max_value``: of the steps that fit, the one whose top
    is nearest the data (a $6 maximum tops at $6 in steps of 2, not at $10)."""
    if max_value <= 0:
        return [0.0, 1.0]
    max_steps = max(1, max_steps)
    magnitude = 10 ** math.floor(math.log10(max_value / max_steps))
    best: tuple[float, int, float] | None = None
    for scale in (magnitude, magnitude * 10):
        for mult in NICE_MULTIPLES:
            step = mult * scale
            # The tolerance keeps 6.0000000001 (float noise) from adding a whole step.
            count = max(1, math.ceil(max_value / step - 1e-9))
            if count > max_steps:
                continue
            # The lowest top wins; at equal tops, more ticks (0, 2.5, 5 rather than 0, 5).
            candidate = (count * step, -count, step)
            if best is None or candidate[:2] < best[:2]:
                best = candidate
    assert best is not None  # a step of 10 × magnitude always fits
    _, minus_count, step = best
    count = -minus_count
    return [round(i * step, 12) for i in range(count + 1)]


def money_ticks(max_value: float, steps: int = 4) -> tuple[list[float], list[str]]:
    values = nice_ticks(max_value, steps)
    return values, [money(Decimal(str(v))) for v in values]


def token_ticks(max_value: float, steps: int = 4) -> tuple[list[float], list[str]]:
    values = nice_ticks(max_value, steps)
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
    line; bucket means when the range has more days than the chart has columns.

    The forecast's expected days continue the chart as a dotted line (``projection``), and days
    with an anomaly are marked with a ``▲`` above their bar (``marked``): markers, not colours, so
    both read under NO_COLOR."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.days: list[DayTotals] = []
        self.projection: list[tuple[date, Decimal]] = []
        self.marked: set[date] = set()

    def update(
        self,
        days: Sequence[DayTotals],
        *,
        projection: Sequence[tuple[date, Decimal]] = (),
        marked: set[date] | frozenset[date] = frozenset(),
    ) -> None:
        self.days = list(days)
        self.projection = list(projection)
        self.marked = set(marked)
        self.replot()

    def draw(self) -> None:
        plt: Any = self.plt  # plotext annotates yside and tick lists wrongly; it is called as documented
        # The title is set before anything else so that an empty range never keeps the last one.
        title = f"Daily cost, last {len(self.days)} days"
        self.set_title(title)
        if not self.days or all(d.cost_usd == 0 for d in self.days):
            self.no_data("no cost in this range")
            return
        measured = len(self.days)
        all_days = [d.day for d in self.days] + [day for day, _ in self.projection]
        values = [float(d.cost_usd) for d in self.days] + [float(v) for _, v in self.projection]
        width = self.plot_width()
        starts, means = downsample(values, width)
        xs = list(range(len(means)))
        # A bucket is measured if it starts on a measured day; the rest is the forecast.
        real = [x for x in xs if starts[x] < measured]
        ahead = [x for x in xs if starts[x] >= measured]
        if len(xs) * 2 <= width:
            # Room for a gap between bars; half blocks double the vertical resolution.
            plt.bar(real, [means[x] for x in real], marker="hd", width=0.6)
        else:
            plt.plot(real, [means[x] for x in real], marker="braille", fillx=True)
        if ahead:
            # The dotted line starts at the last measured bucket, so it continues the chart.
            joined = [real[-1], *ahead] if real else ahead
            plt.plot(joined, [means[x] for x in joined], marker="·")
        bucket_ends = [*starts[1:], len(values)]
        flagged = [x for x in real if any(d in self.marked for d in all_days[starts[x] : bucket_ends[x]])]
        y_values, y_labels = money_ticks(max(means), max(2, min(4, (self.size.height - 4) // 2)))
        if flagged:
            plt.scatter(flagged, [min(means[x], y_values[-1]) for x in flagged], marker="▲")
        ticks, labels = day_ticks(all_days, starts, width)
        plt.xticks(ticks, labels)
        plt.yticks(y_values, y_labels)
        plt.ylim(0, y_values[-1])
        notes = []
        if len(means) != len(values):
            notes.append(f"{math.ceil(len(values) / len(means))}-day means")
        if self.projection:
            notes.append("··· forecast")
        if flagged:
            notes.append("▲ anomaly")
        if notes:
            self.set_title(", ".join([title, *notes]))


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
        self.set_title("Tokens (bars, left) and cost (line, right) per day")
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
        plt.ylim(0, tv[-1], yside="left")
        plt.ylim(0, cv[-1], yside="right")


EIGHTHS = " ▏▎▍▌▋▊▉"
"""Left-aligned partial blocks by eighths of a cell (index 0: nothing)."""


def bar_text(fraction: Decimal, width: int) -> str:
    """A horizontal bar ``fraction`` (0..1) of ``width`` cells long, to the nearest eighth of a cell.
    Anything above zero shows at least an eighth: a cheap model is small, not absent."""
    eighths = int((fraction * width * 8).to_integral_value(rounding=ROUND_HALF_UP))
    if fraction > 0:
        eighths = max(1, eighths)
    full, part = divmod(min(eighths, width * 8), 8)
    return "█" * full + (EIGHTHS[part] if part else "")


def clip(name: str, width: int) -> str:
    return name if len(name) <= width else name[: max(0, width - 1)] + "…"


class ModelCostChart(Widget):
    """Cost by model, one row per model, most expensive on top: the name, the cost aligned on the
    decimal point, and a bar whose length is proportional to the cost (to an eighth of a cell).

    Drawn with text rather than plotext: plotext's horizontal bars snap to its own grid, so with
    many models bars took two rows or the wrong length. Names get the room the panel has; when
    there are more models than rows, the last row sums the rest.
    """

    DEFAULT_CSS = """
    ModelCostChart { height: 1fr; min-height: 3; padding: 0 1; }
    ModelCostChart > .model-chart--bar { color: $primary; }
    ModelCostChart > .model-chart--rest { color: $text-muted; }
    ModelCostChart > .model-chart--empty { color: $text-muted; }
    """
    COMPONENT_CLASSES = {"model-chart--bar", "model-chart--rest", "model-chart--empty"}

    MIN_BAR = 8
    """Cells a bar keeps however long the names are."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.groups: list[GroupTotals] = []

    def update(self, groups: Sequence[GroupTotals]) -> None:
        # Sorted here, by cost then name, so equal costs never swap places between runs.
        self.groups = sorted(groups, key=lambda g: (-g.cost_usd, g.name))
        self.refresh()

    def rows(self, height: int) -> list[tuple[str, Decimal, bool]]:
        """(label, cost, is_rest) per row: the priced models that fit, then "+N more" with their sum."""
        priced = [(safe(g.name), g.cost_usd, False) for g in self.groups if g.cost_usd > 0]
        height = max(1, height)
        if len(priced) <= height:
            return priced
        shown, rest = priced[: height - 1], priced[height - 1 :]
        return [*shown, (f"+{len(rest)} more", sum((c for _, c, _ in rest), Decimal(0)), True)]

    def render(self) -> Text:
        width, height = self.content_size.width, self.content_size.height
        rows = self.rows(height)
        if not rows:
            return Text("no priced usage in this range", style=self.get_component_rich_style("model-chart--empty"))
        top = max(c for _, c, _ in rows)
        costs = decimal_aligned([money(c) for _, c, _ in rows])
        cost_width = len(costs[0])
        longest = max(len(name) for name, _, _ in rows)
        room = width - cost_width - 2
        # Names first, but the bars keep at least a third of the room (and MIN_BAR cells).
        name_width = max(4, min(longest, room - max(self.MIN_BAR, room // 3)))
        bar_width = max(1, room - name_width)
        bar_style = self.get_component_rich_style("model-chart--bar")
        rest_style = self.get_component_rich_style("model-chart--rest")
        out = Text(no_wrap=True, overflow="crop")
        for i, ((name, cost, is_rest), money_text) in enumerate(zip(rows, costs, strict=True)):
            if i:
                out.append("\n")
            out.append(f"{clip(name, name_width):<{name_width}} ", style=rest_style if is_rest else "")
            out.append(money_text, style="bold" if not is_rest else rest_style)
            out.append(" ")
            out.append(bar_text(cost / top, bar_width), style=rest_style if is_rest else bar_style)
        return out
