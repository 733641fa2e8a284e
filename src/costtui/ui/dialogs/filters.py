"""Activity's dialogs: the filters (date range, provider, model, app, user, source, status) and
the jump to a date. Dates are days in the UI's time zone (:class:`TimeZoneRule`), the zone the
table's times are shown in."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.widgets import Input, Label, Select

from costtui.formatting import TimeZoneRule, safe
from costtui.models import EventFilter
from costtui.ui.dialogs.base import Dialog, DialogButton, cancel_binding, submit_binding

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


class FilterScreen(Dialog[EventFilter | None]):
    """Returns the new filter, or None when cancelled. The search text is kept by the caller."""

    BINDINGS: ClassVar[list[BindingType]] = [
        submit_binding("Apply", "Dialogs: apply the filter"),
        cancel_binding(),
        Binding("ctrl+r", "reset", "Reset", id="filters.reset", tooltip="Filter dialog: clear every field"),
    ]
    DIALOG_ID = "filters-dialog"
    TITLE_TEXT = "Filter events"
    ERROR_ID = "filter-error"
    BUTTONS = (
        DialogButton("Apply", "submit", "filter-apply", "primary"),
        DialogButton("Reset", "reset", "filter-reset"),
        DialogButton("Cancel", "cancel", "filter-cancel"),
    )

    def __init__(self, current: EventFilter, choices: dict[str, list[str]], times: TimeZoneRule) -> None:
        super().__init__()
        self.current = current
        self.choices = choices
        self.times = times

    def compose_body(self) -> ComposeResult:
        flt = self.current
        start, end = first_day(flt, self.times), last_day(flt, self.times)
        with Grid(id="filters-grid", classes="dialog-grid"):
            yield Label(f"From ({self.times.label()} day)")
            yield Input(start.isoformat() if start else "", placeholder="YYYY-MM-DD", id="filter-from", compact=True)
            yield Label("To (inclusive)")
            yield Input(end.isoformat() if end else "", placeholder="YYYY-MM-DD", id="filter-to", compact=True)
            for dim in (*FILTER_DIMENSIONS, "status"):
                values = list(STATUSES) if dim == "status" else list(self.choices.get(dim, []))
                current = getattr(flt, dim)
                if current and current not in values:
                    values.append(current)
                yield Label(dim.capitalize())
                yield Select(
                    [(Text(safe(v)), v) for v in values],
                    prompt="any",
                    value=current if current else Select.NULL,
                    id=f"filter-{dim}",
                    compact=True,
                )

    def on_mount(self) -> None:
        super().on_mount()
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

    def action_submit(self) -> None:
        try:
            flt = self.build_filter()
        except ValueError as exc:
            self.show_error(f"error: {exc}")
            return
        self.dismiss(flt)

    def action_reset(self) -> None:
        for field in ("#filter-from", "#filter-to"):
            self.query_one(field, Input).value = ""
        for select in self.query(Select):
            select.clear()

    @on(Input.Submitted)
    def _input_submitted(self) -> None:
        self.action_submit()


class JumpScreen(Dialog[date | None]):
    """Asks for a date to jump to; returns it, or None when cancelled."""

    DEFAULT_CSS = """
    #jump-dialog { width: 44; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [submit_binding("Go", "Activity: go to this date"), cancel_binding()]
    DIALOG_ID = "jump-dialog"
    ERROR_ID = "jump-error"
    BUTTONS = (DialogButton("Go", "submit", "jump-go", "primary"), DialogButton("Cancel", "cancel", "jump-cancel"))

    def __init__(self, times: TimeZoneRule) -> None:
        super().__init__()
        self.times = times

    def dialog_title(self) -> str:
        return f"Go to a date ({self.times.label()})"

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="YYYY-MM-DD", id="jump-day", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#jump-day", Input).focus()

    def action_submit(self) -> None:
        try:
            day = parse_day(self.query_one("#jump-day", Input).value)
        except ValueError:
            day = None
        if day is None:
            self.show_error("error: not a date, use YYYY-MM-DD")
            return
        self.dismiss(day)

    @on(Input.Submitted, "#jump-day")
    def _submitted(self) -> None:
        self.action_submit()
