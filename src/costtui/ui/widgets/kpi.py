"""KPI cards: a quiet label, a bright value with a short detail, and how it changed.

A card is three rows: the label (with a sparkline on the right where it fits), the value and its
detail, then its changes ("▲12% vs yday  ▼5% vs 7d avg"). In a compact strip (short terminals)
a card is two rows and only the primary cards show; the first change moves up beside the label.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widget import Widget

SPARK = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Change:
    """A relative change (0.25 is 25% more) against something the label names; None: no base."""

    ratio: Decimal | None
    against: str


def change_text(ratio: Decimal) -> str:
    """▲12%, ▼4.5%, ±0%, or ▲12× for more than ten-fold: an arrow, so it reads without colour."""
    if ratio == 0:
        return "±0%"
    arrow = "▲" if ratio > 0 else "▼"
    if ratio >= 9:
        return f"{arrow}{(ratio + 1).quantize(Decimal(1), rounding=ROUND_HALF_UP)}×"
    pct = abs(ratio) * 100
    places = Decimal("0.1") if pct < 10 else Decimal(1)
    return f"{arrow}{pct.quantize(places, rounding=ROUND_HALF_UP)}%"


def sparkline(values: Sequence[Decimal], width: int) -> str:
    """The last ``width`` values as block heights scaled to their maximum ("" with nothing to show)."""
    values = list(values)[-width:] if width > 0 else []
    top = max(values, default=Decimal(0))
    if top <= 0:
        return ""
    return "".join(SPARK[int((v / top * (len(SPARK) - 1)).to_integral_value(rounding=ROUND_HALF_UP))] for v in values)


def _none(_: Any) -> Sequence[Any]:
    return ()


@dataclass(frozen=True)
class Kpi:
    """One card: ``value(data)`` and ``detail(data)`` turn the screen's data into text."""

    id: str
    label: str
    value: Callable[[Any], str]
    detail: Callable[[Any], str] = lambda _: ""
    warn: Callable[[Any], bool] = lambda _: False
    """True paints the card as a warning (its text must say why as well: NO_COLOR)."""
    changes: Callable[[Any], Sequence[Change]] = _none
    """Comparisons shown under the value (computed in the core; the card only formats them)."""
    note: Callable[[Any], str] = lambda _: ""
    """A third-row line for cards without changes (e.g. cost per 1K tokens)."""
    trend: Callable[[Any], Sequence[Decimal]] = _none
    """A series for the sparkline (oldest first); empty for none."""
    primary: bool = False
    """Primary cards are the ones a compact strip keeps."""


class KpiCard(Widget):
    DEFAULT_CSS = """
    KpiCard { height: 3; padding: 0 1; background: $boost; }
    KpiCard.-warn { background: $warning 20%; }
    KpiCard > .kpi-card--label { color: $text-muted; }
    KpiCard > .kpi-card--value { color: $text; text-style: bold; }
    KpiCard > .kpi-card--detail { color: $text-muted; }
    KpiCard > .kpi-card--up { color: $text-error; }
    KpiCard > .kpi-card--down { color: $text-success; }
    KpiCard > .kpi-card--spark { color: $primary; }
    """
    COMPONENT_CLASSES = {
        "kpi-card--label",
        "kpi-card--value",
        "kpi-card--detail",
        "kpi-card--up",
        "kpi-card--down",
        "kpi-card--spark",
    }

    def __init__(self, kpi: Kpi) -> None:
        super().__init__(id=f"kpi-{kpi.id}", classes="-primary" if kpi.primary else "-secondary")
        self.kpi = kpi
        self.value_text = "…"
        self.detail_text = ""
        self.changes: list[Change] = []
        self.trend: list[Decimal] = []
        self.note_text = ""

    @property
    def compact(self) -> bool:
        """Two rows instead of three (the layout decides, by the card's height)."""
        return self.content_size.height < 3

    def show(self, data: Any) -> None:
        self.set_class(self.kpi.warn(data), "-warn")
        self.value_text = self.kpi.value(data)
        self.detail_text = self.kpi.detail(data)
        self.changes = [c for c in self.kpi.changes(data) if c.ratio is not None]
        self.trend = list(self.kpi.trend(data))
        self.note_text = self.kpi.note(data)
        # A compact card shows one change as a bare arrow and percentage: the tooltip says what
        # each change compares with.
        self.tooltip = (
            "\n".join(f"{change_text(c.ratio)} {c.against}" for c in self.changes if c.ratio is not None) or None
        )
        self.refresh()

    def _change(self, change: Change, *, against: bool = True) -> Text:
        assert change.ratio is not None
        style = "kpi-card--up" if change.ratio > 0 else "kpi-card--down" if change.ratio < 0 else "kpi-card--detail"
        text = Text(change_text(change.ratio), style=self.get_component_rich_style(style))
        if against:
            text.append(f" {change.against}", style=self.get_component_rich_style("kpi-card--detail"))
        return text

    def render(self) -> Text:
        width = max(1, self.content_size.width)
        label_style = self.get_component_rich_style("kpi-card--label")
        detail_style = self.get_component_rich_style("kpi-card--detail")
        # Line 1: the label, and on its right the sparkline (or, compact, the first change).
        head = Text(self.kpi.label, style=label_style)
        right = Text()
        if self.compact and self.changes:
            right = self._change(self.changes[0])
            if len(head) + 1 + len(right) > width:  # the arrow and the percentage alone
                right = self._change(self.changes[0], against=False)
        elif len(self.trend) >= 3 and width - len(head) - 2 >= 5:
            right = Text(sparkline(self.trend, min(14, width - len(head) - 2)))
            right.stylize(self.get_component_rich_style("kpi-card--spark"))
        if right and len(head) + 1 + len(right) <= width:
            head.append(" " * (width - len(head) - len(right)))
            head.append_text(right)
        head.truncate(width, overflow="ellipsis")
        # Line 2: the value, bright and bold, then its detail.
        body = Text(self.value_text, style=self.get_component_rich_style("kpi-card--value"))
        if self.detail_text:
            body.append(" ")
            body.append(self.detail_text, style=detail_style)
        body.truncate(width, overflow="ellipsis")
        lines = [head, body]
        if not self.compact:
            # Line 3: every change that fits whole (a cut "▲1" would mislead).
            changes = Text()
            for change in self.changes:
                part = self._change(change)
                if len(changes) + (2 if changes else 0) + len(part) > width:
                    break
                if changes:
                    changes.append("  ")
                changes.append_text(part)
            if not changes and self.note_text:
                changes = Text(self.note_text, style=detail_style, no_wrap=True, overflow="ellipsis")
                changes.truncate(width, overflow="ellipsis")
            lines.append(changes)
        return Text("\n").join(lines)


class KpiStrip(Grid):
    """A row (or rows) of KPI cards; adding a KPI is adding an entry to the list it is given.

    A screen short of rows sets cards two rows high (they render compact) and may hide the
    ``-secondary`` ones (not ``primary``)."""

    DEFAULT_CSS = """
    KpiStrip { grid-size: 4; grid-gutter: 0 1; height: auto; grid-rows: 3; }
    """

    def __init__(self, kpis: Sequence[Kpi], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kpis = list(kpis)

    def compose(self) -> ComposeResult:
        for kpi in self.kpis:
            yield KpiCard(kpi)

    def show(self, data: Any) -> None:
        for card in self.query(KpiCard):
            card.show(data)
