"""Activity's dialogs: the filters (date range, provider, model, app, user, source, status) and
the jump to a date. Dates are days in the UI's time zone (:class:`TimeZoneRule`), the zone the
table's times are shown in."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from costtui.formatting import TimeZoneRule
from costtui.models import EventFilter

FILTER_DIMENSIONS = ("provider", "model", "app", "user", "source")
"""Filterable columns whose values come from the store (``Store.distinct``)."""
STATUSES = ("ok", "error")


def first_day(flt: EventFilter, times: TimeZoneRule) -> date | None:
    return times.day_of(flt.start) if flt.start else None


def last_day(flt: EventFilter, times: TimeZoneRule) -> date | None:
    """The inclusive last day of an exclusive end (midnight starting the next day)."""
    return times.day_of(flt.end - timedelta(microseconds=1)) if flt.end else None


def describe_filter(flt: EventFilter, times: TimeZoneRule) -> str:
    """A one-line summary: ``2026-11-01 → 2026-11-02 · provider=openai · "timeout"``."""
    parts = []
    if flt.start or flt.end:
        start, end = first_day(flt, times), last_day(flt, times)
        parts.append(f"{start.isoformat() if start else '…'} → {end.isoformat() if end else '…'}")
    for dim in (*FILTER_DIMENSIONS, "status"):
        value = getattr(flt, dim)
        if value:
            parts.append(f"{dim}={value}")
    if flt.search:
        parts.append(f'"{flt.search}"')
    return " · ".join(parts)


def parse_day(text: str) -> date | None:
    text = text.strip()
    return date.fromisoformat(text) if text else None


class FilterScreen(ModalScreen[EventFilter | None]):
    """Returns the new filter, or None when cancelled. The search text is kept by the caller."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="filters.cancel"),
        Binding("ctrl+s", "apply", "Apply", id="filters.apply"),
        Binding("ctrl+r", "reset", "Reset", id="filters.reset"),
    ]

    def __init__(self, current: EventFilter, choices: dict[str, list[str]], times: TimeZoneRule) -> None:
        super().__init__()
        self.current = current
        self.choices = choices
        self.times = times

    def compose(self) -> ComposeResult:
        flt = self.current
        start, end = first_day(flt, self.times), last_day(flt, self.times)
        with Vertical(id="filters-dialog", classes="dialog"):
            yield Static("Filter events", classes="dialog-title")
            with Grid(id="filters-grid"):
                yield Label(f"From ({self.times.label()} day)")
                yield Input(
                    start.isoformat() if start else "",
                    placeholder="YYYY-MM-DD",
                    id="filter-from",
                    compact=True,
                )
                yield Label("To (inclusive)")
                yield Input(
                    end.isoformat() if end else "",
                    placeholder="YYYY-MM-DD",
                    id="filter-to",
                    compact=True,
                )
                for dim in (*FILTER_DIMENSIONS, "status"):
                    values = list(STATUSES) if dim == "status" else list(self.choices.get(dim, []))
                    current = getattr(flt, dim)
                    if current and current not in values:
                        values.append(current)
                    yield Label(dim.capitalize())
                    yield Select(
                        [(Text(v), v) for v in values],
                        prompt="any",
                        value=current if current else Select.NULL,
                        id=f"filter-{dim}",
                        compact=True,
                    )
            yield Static("", id="filter-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", id="filter-apply", variant="primary", compact=True)
                yield Button("Reset", id="filter-reset", compact=True)
                yield Button("Cancel", id="filter-cancel", compact=True)
            yield Static("ctrl+s apply · ctrl+r reset · esc cancel · tab next field", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#filter-provider", Select).focus()

    def build_filter(self) -> EventFilter:
        """The filter the dialog describes; raises ValueError with a readable message."""
        values: dict[str, Any] = {}
        try:
            start = parse_day(self.query_one("#filter-from", Input).value)
        except ValueError:
            raise ValueError("From: not a date, use YYYY-MM-DD") from None
        try:
            end = parse_day(self.query_one("#filter-to", Input).value)
        except ValueError:
            raise ValueError("To: not a date, use YYYY-MM-DD") from None
        if start and end and end < start:
            raise ValueError("To must be on or after From")
        values["start"] = self.times.day_start(start) if start else None
        values["end"] = self.times.day_end(end) if end else None
        for dim in (*FILTER_DIMENSIONS, "status"):
            value = self.query_one(f"#filter-{dim}", Select).value
            values[dim] = None if value is Select.NULL else str(value)
        return EventFilter(**values)

    def action_apply(self) -> None:
        try:
            flt = self.build_filter()
        except ValueError as exc:
            self.query_one("#filter-error", Static).update(Text(f"error: {exc}"))
            return
        self.dismiss(flt)

    def action_reset(self) -> None:
        for field in ("#filter-from", "#filter-to"):
            self.query_one(field, Input).value = ""
        for select in self.query(Select):
            select.clear()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#filter-apply")
    def _apply_pressed(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#filter-reset")
    def _reset_pressed(self) -> None:
        self.action_reset()

    @on(Button.Pressed, "#filter-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _input_submitted(self) -> None:
        self.action_apply()


class JumpScreen(ModalScreen[date | None]):
    """Asks for a date to jump to; returns it, or None when cancelled."""

    DEFAULT_CSS = """
    #jump-dialog { width: 44; }
    #jump-error { height: auto; color: $error; text-style: bold; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="jump.cancel"),
        Binding("ctrl+s", "apply", "Go", id="jump.apply"),
    ]

    def __init__(self, times: TimeZoneRule) -> None:
        super().__init__()
        self.times = times

    def compose(self) -> ComposeResult:
        with Vertical(id="jump-dialog", classes="dialog"):
            yield Static(f"Go to a date ({self.times.label()})", classes="dialog-title")
            yield Input(placeholder="YYYY-MM-DD", id="jump-day", compact=True)
            yield Static("", id="jump-error")
            yield Static("⏎ go · esc cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#jump-day", Input).focus()

    def action_apply(self) -> None:
        try:
            day = parse_day(self.query_one("#jump-day", Input).value)
        except ValueError:
            day = None
        if day is None:
            self.query_one("#jump-error", Static).update(Text("error: not a date, use YYYY-MM-DD"))
            return
        self.dismiss(day)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_apply()
