"""Every field of one event, cost at full precision."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from costtui.formatting import TimeZoneRule, money_exact, price_command, safe, tokens_exact
from costtui.models import StoredEvent
from costtui.ui.dialogs.base import Dialog, DialogButton, cancel_binding
from costtui.ui.widgets.kv import kv_table

TIME_EXACT = "%Y-%m-%d %H:%M:%S.%f"
BODY_SHOWN = 20_000
"""Most characters of a stored body the dialog shows."""


def detail_rows(e: StoredEvent, times: TimeZoneRule | None = None) -> list[tuple[str, str]]:
    """(field, value) pairs, in reading order: what went wrong first. Pure: tests and the modal share it."""
    times = times or TimeZoneRule()
    n = tokens_exact
    if e.unpriced:
        cost = "unpriced (not counted in any total): " + price_command(e.model)
    else:
        cost = f"{money_exact(e.cost_usd)} ({e.cost_source or 'priced'})"
    status = e.status + (f" {e.status_code}" if e.status_code else "")
    when = [(f"time ({times.label(e.ts)})", times.format(e.ts, TIME_EXACT))]
    if when[0][0] != "time (UTC)":  # the stored time, as the rollups' days count it
        when.append(("time (UTC)", TimeZoneRule(utc=True).format(e.ts, TIME_EXACT)))
    return [
        ("status", status),
        ("error", e.error or "—"),
        *when,
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
        *([("first token", f"{e.ttft_ms:,} ms")] if e.ttft_ms is not None else []),
        *([("retries", f"{e.retries:,} before this one")] if e.retries else []),
        *([("flags", ", ".join(e.flags))] if e.flags else []),
        ("cache hit", "yes" if e.cache_hit else "no"),
        *([("saved by cache", money_exact(e.saved_usd))] if e.saved_usd is not None else []),
        ("row", str(e.row_id)),
    ]


class EventDetailScreen(Dialog[None]):
    """Read only: one Close button; esc (or enter on Close) closes."""

    BINDINGS: ClassVar[list[BindingType]] = [cancel_binding("Close")]
    DIALOG_ID = "detail-dialog"
    BUTTONS = (DialogButton("Close", "cancel", "detail-close", "primary"),)
    HINT_EXTRA = "↑↓ scroll"
    READING = True

    def __init__(self, event: StoredEvent, times: TimeZoneRule | None = None) -> None:
        super().__init__()
        self.event = event
        self.times = times or TimeZoneRule()

    def dialog_title(self) -> str:
        return f"Event · {safe(self.event.provider)}/{safe(self.event.model)}"

    def compose_body(self) -> ComposeResult:
        e = self.event
        bold = {"model", "cost"}
        failed = {"status", "error"} if e.status != "ok" else set()

        def style(name: str) -> str:
            return "bold red" if name in failed else "bold" if name in bold else ""

        table = kv_table((name, Text(value, style=style(name))) for name, value in detail_rows(e, self.times))
        yield Static(table, id="detail-table")
        yield Static("", id="detail-bodies")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(".dialog-body").focus()
        if self.event.source == "proxy" and self.event.event_id:
            self._load_bodies(self.event.event_id)

    @work(thread=True, group="detail-bodies", exit_on_error=False)
    def _load_bodies(self, event_id: str) -> None:
        # Kept only with proxy.store_bodies on, already redacted by the proxy's rules.
        store = self.app.get_store()  # type: ignore[attr-defined]
        found = store.proxy.bodies(event_id)
        if found is not None:
            self.app.call_from_thread(self._show_bodies, *found)

    def _show_bodies(self, request: str | None, response: str | None) -> None:
        text = Text()
        for title, body in (("request", request), ("response", response)):
            if body:
                text.append(f"\n{title} body (redacted)\n", style="bold")
                text.append(body[:BODY_SHOWN] + ("…" if len(body) > BODY_SHOWN else ""))
        self.query_one("#detail-bodies", Static).update(text)
