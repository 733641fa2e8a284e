"""Every field of one event, cost at full precision."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from costtui.formatting import local_time, money_exact
from costtui.models import StoredEvent
from costtui.ui.dialogs.base import Dialog, DialogButton, cancel_binding
from costtui.ui.screens.dashboard import FIX_PRICE
from costtui.ui.widgets.kv import kv_table


def detail_rows(e: StoredEvent) -> list[tuple[str, str]]:
    """(field, value) pairs, in reading order. Pure: tests and the modal share it."""

    def n(value: int) -> str:
        return f"{value:,}"

    if e.unpriced:
        cost = "unpriced (not counted in any total): " + FIX_PRICE.format(model=e.model)
    else:
        cost = f"{money_exact(e.cost_usd)} USD ({e.cost_source or 'priced'})"
    status = e.status + (f" {e.status_code}" if e.status_code else "")
    return [
        ("time (local)", local_time(e.ts, "%Y-%m-%d %H:%M:%S.%f %Z")),
        ("time (UTC)", e.ts.strftime("%Y-%m-%d %H:%M:%S.%f UTC")),
        ("event id", e.event_id or "—"),
        ("provider", e.provider),
        ("model", e.model),
        ("operation", e.operation),
        ("source", e.source),
        ("app", e.app or "—"),
        ("user", e.user or "—"),
        ("team", e.team or "—"),
        ("project", e.project or "—"),
        ("api key", e.api_key_fp or "—"),
        ("tags", ", ".join(e.tags) if e.tags else "—"),
        ("cost", cost),
        ("price version", e.price_version or "—"),
        ("input (uncached)", n(e.input_tokens)),
        ("cache read", n(e.cache_read_tokens)),
        (
            "cache write",
            f"{n(e.cache_write_tokens)} (1h: {n(e.cache_write_1h_tokens)}, 5m: {n(e.cache_write_5m_tokens)})",
        ),
        ("output", f"{n(e.output_tokens)} (reasoning: {n(e.reasoning_tokens)})"),
        ("total tokens", n(e.total_tokens)),
        ("latency", f"{e.latency_ms:,} ms" if e.latency_ms is not None else "—"),
        ("status", status),
        ("error", e.error or "—"),
        ("cache hit", "yes" if e.cache_hit else "no"),
        ("row", str(e.row_id)),
    ]


class EventDetailScreen(Dialog[None]):
    """Read only: one Close button; esc (or enter on Close) closes."""

    BINDINGS: ClassVar[list[BindingType]] = [cancel_binding("Close")]
    DIALOG_ID = "detail-dialog"
    BUTTONS = (DialogButton("Close", "cancel", "detail-close", "primary"),)
    HINT_EXTRA = "↑↓ scroll"
    READING = True

    def __init__(self, event: StoredEvent) -> None:
        super().__init__()
        self.event = event

    def dialog_title(self) -> str:
        return f"Event · {self.event.provider}/{self.event.model}"

    def compose_body(self) -> ComposeResult:
        e = self.event
        bold = {"model", "cost", *(("status", "error") if e.status != "ok" else ())}
        table = kv_table((name, Text(value, style="bold" if name in bold else "")) for name, value in detail_rows(e))
        yield Static(table, id="detail-table")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(".dialog-body").focus()
