"""The Activity filter dialog: date range (UTC days), provider, model, app, user, source, status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from costtui.models import EventFilter

FILTER_DIMENSIONS = ("provider", "model", "app", "user", "source")
"""Filterable columns whose values come from the store (``Store.distinct``)."""
STATUSES = ("ok", "error")


def describe_filter(flt: EventFilter) -> str:
    """A one-line summary: ``provider=openai · from 2026-11-01 · "timeout"``."""
    parts = []
    if flt.start or flt.end:
        start = flt.start.date().isoformat() if flt.start else "…"
        end = (flt.end - timedelta(days=1)).date().isoformat() if flt.end else "…"
        parts.append(f"{start} → {end}")
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


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class FilterScreen(ModalScreen[EventFilter | None]):
    """Returns the new filter, or None when cancelled. The search text is kept by the caller."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="filters.cancel"),
        Binding("ctrl+s", "apply", "Apply", id="filters.apply"),
        Binding("ctrl+r", "reset", "Reset", id="filters.reset"),
    ]

    def __init__(self, current: EventFilter, choices: dict[str, list[str]]) -> None:
        super().__init__()
        self.current = current
        self.choices = choices

    def compose(self) -> ComposeResult:
        flt = self.current
        with Vertical(id="filters-dialog", classes="dialog"):
            yield Static("Filter events", classes="dialog-title")
            with Grid(id="filters-grid"):
                yield Label("From (UTC day)")
                yield Input(
                    flt.start.date().isoformat() if flt.start else "",
                    placeholder="YYYY-MM-DD",
                    id="filter-from",
                    compact=True,
                )
                yield Label("To (inclusive)")
                yield Input(
                    (flt.end - timedelta(days=1)).date().isoformat() if flt.end else "",
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
        values["start"] = day_start(start) if start else None
        values["end"] = day_start(end) + timedelta(days=1) if end else None
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
