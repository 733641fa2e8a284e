"""KPI cards: a label, a value and a short detail, in a grid that wraps."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Static


@dataclass(frozen=True)
class Kpi:
    """One card: ``value(data)`` and ``detail(data)`` turn the screen's data into text."""

    id: str
    label: str
    value: Callable[[Any], str]
    detail: Callable[[Any], str] = lambda _: ""
    warn: Callable[[Any], bool] = lambda _: False
    """True paints the card as a warning (its text must say why as well: NO_COLOR)."""


class KpiCard(Static):
    DEFAULT_CSS = """
    KpiCard { height: 2; padding: 0 1; background: $boost; }
    KpiCard.-warn { background: $warning 20%; }
    """

    def __init__(self, kpi: Kpi) -> None:
        super().__init__(id=f"kpi-{kpi.id}")
        self.kpi = kpi
        self.update(self._text("…", ""))

    def _text(self, value: str, detail: str) -> Text:
        # Two lines: the label, then the value and its detail; too long ends in an ellipsis.
        text = Text(self.kpi.label, style="dim", no_wrap=True, overflow="ellipsis")
        text.append("\n")
        text.append(value, style="bold")
        if detail:
            text.append(" ")
            text.append(detail, style="dim")
        return text

    def show(self, data: Any) -> None:
        self.set_class(self.kpi.warn(data), "-warn")
        self.value_text = self.kpi.value(data)
        self.update(self._text(self.value_text, self.kpi.detail(data)))


class KpiStrip(Grid):
    """A row (or rows) of KPI cards; adding a KPI is adding an entry to the list it is given."""

    DEFAULT_CSS = """
    KpiStrip { grid-size: 4; grid-gutter: 0 1; height: auto; grid-rows: 2; }
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
