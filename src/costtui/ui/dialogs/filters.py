"""The Activity filter dialog: date range (UTC days), provider, model, app, user, source, status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.widgets import Input, Label, Select

from costtui.models import EventFilter
from costtui.ui.dialogs.base import Dialog, DialogButton, cancel_binding, submit_binding

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

    def __init__(self, current: EventFilter, choices: dict[str, list[str]]) -> None:
        super().__init__()
        self.current = current
        self.choices = choices

    def compose_body(self) -> ComposeResult:
        flt = self.current
        with Grid(id="filters-grid", classes="dialog-grid"):
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
        values["start"] = day_start(start) if start else None
        values["end"] = day_start(end) + timedelta(days=1) if end else None
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
