"""Proxy (key 4): the calls that went through costtui's proxy, newest first, with what the cache
saved, what the rules refused and each key's figures over the last day.

Everything comes from the store (``store.proxy`` via :mod:`costtui.analytics.proxy`); the screen
reloads as the listener commits calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from costtui.formatting import SHORT_SECONDS, TimeZoneRule, key_fp_display, money, plural, safe, tokens
from costtui.ui.dialogs.event_detail import EventDetailScreen
from costtui.ui.screens.base import DataScreen
from costtui.ui.widgets.empty import EmptyState
from costtui.ui.widgets.keybar import KeyBar

if TYPE_CHECKING:  # the store loads in the worker, not at start-up
    from costtui.analytics.proxy import ProxySnapshot
    from costtui.store.proxy import ProxyCallRow


def key_label(fp: str | None) -> str:
    return safe(key_fp_display(fp)) if fp else "—"


MODEL_WIDTH = 30


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def summary_text(data: ProxySnapshot) -> Text:
    s = data.summary
    text = Text()
    text.append("last 24 h  ", style="dim")
    text.append(plural(s.requests, "call"), style="bold")
    if s.requests:
        text.append(f" · {s.errors / s.requests:.1%} errors", style="red" if s.errors else "dim")
    text.append(" · spent ", style="dim")
    text.append(money(s.cost_usd), style="bold")
    text.append(" · cache ", style="dim")
    text.append(f"{s.cache_hits:,} hits ({s.hit_rate:.1%})")
    text.append(" saved ", style="dim")
    text.append(money(s.saved_usd), style="bold green" if s.saved_usd else "")
    text.append(" · blocked ", style="dim")
    text.append(f"{s.blocked:,}", style="bold yellow" if s.blocked else "")
    return text


def status_cell(row: ProxyCallRow) -> Text:
    if row.cache_hit:
        return Text("cache", style="green")
    if row.error and row.error.startswith("blocked by rule "):
        return Text("blocked", style="bold yellow")
    if row.status != "ok":
        return Text(str(row.status_code or "error"), style="bold red")
    return Text(str(row.status_code or "ok"))


def call_cells(row: ProxyCallRow, times: TimeZoneRule) -> list[Text | str]:
    latency = f"{row.latency_ms:,} ms" if row.latency_ms is not None else "—"
    if row.cache_hit:
        cost = Text(f"saved {money(row.saved_usd)}", style="green")
    else:
        cost = Text(money(row.cost_usd, unpriced=row.cost_usd is None and row.status == "ok"))
    note = ", ".join(row.flags) or (safe(row.error) if row.error else "")
    return [
        times.format(row.ts, SHORT_SECONDS),
        Text(clip(f"{safe(row.provider)}/{safe(row.model)}", MODEL_WIDTH)),
        status_cell(row),
        cost,
        latency,
        tokens(row.tokens),
        Text(key_label(row.key_fp)),
        Text(clip(note, 60), style="dim"),
    ]


class ProxyScreen(DataScreen):
    """Key 4: the proxy's live request log, cache savings, refusals and per-key figures."""

    TITLE = "Proxy"
    DEFAULT_CSS = """
    ProxyScreen #proxy-body { height: 1fr; }
    ProxyScreen.-empty #proxy-body { display: none; }
    ProxyScreen #proxy-summary { height: auto; padding: 0 1; }
    ProxyScreen #proxy-log { height: 1fr; min-height: 8; border: round $primary 50%; }
    ProxyScreen #proxy-keys { height: auto; max-height: 7; border: round $primary 50%; }
    ProxyScreen #proxy-blocked { height: auto; max-height: 5; border: round $warning 50%; }
    ProxyScreen.-no-blocked #proxy-blocked { display: none; }
    """
    BINDINGS = [
        Binding("r", "reload", "Refresh", tooltip="Read the proxy's calls again", id="proxy.refresh"),
    ]

    class Loaded(Message):
        def __init__(self, data: ProxySnapshot) -> None:
            super().__init__()
            self.data = data

    data: ProxySnapshot | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading…", classes="loading")
        yield EmptyState("proxy", id="proxy-empty")
        with Vertical(id="proxy-body"):
            yield Static("", id="proxy-summary")
            log: DataTable[Text | str] = DataTable(id="proxy-log", cursor_type="row", zebra_stripes=True)
            log.border_title = "Requests · newest first · ⏎ details"
            yield log
            keys: DataTable[Text | str] = DataTable(id="proxy-keys", cursor_type="row")
            keys.border_title = "Keys · last 24 h"
            yield keys
            blocked: DataTable[Text | str] = DataTable(id="proxy-blocked", cursor_type="row")
            blocked.border_title = "Blocked by rules · latest"
            yield blocked
        yield KeyBar()

    def on_mount(self) -> None:
        self.add_class("-loading")
        # Fixed widths: the tables never re-layout as rows arrive (steady while live, and in snapshots).
        columns = {
            "#proxy-log": {
                "time": 14,
                "provider/model": MODEL_WIDTH,
                "status": 6,
                "cost": 16,
                "latency": 9,
                "tokens": 7,
                "key": 13,
                "notes": 40,
            },
            "#proxy-keys": {"key": 13, "calls": 6, "tokens": 7, "cost": 9, "p50": 9, "p95": 9, "success": 7},
            "#proxy-blocked": {"time": 14, "rule": 28, "message": 44, "model": MODEL_WIDTH, "key": 13},
        }
        for table_id, widths in columns.items():
            table = self.query_one(table_id, DataTable)
            for label, width in widths.items():
                table.add_column(label, key=label, width=width)

    def load(self) -> None:
        self._load()

    def action_reload(self) -> None:
        self.reload()

    @work(thread=True, group="reload", exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        from costtui.analytics.proxy import load_proxy

        app = self.cost_app
        self.post_if_current(self.Loaded(load_proxy(app.get_store(), app.now())))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        data = self.data = message.data
        times = TimeZoneRule.from_setting(self.cost_app.settings.ui.timezone)
        self.remove_class("-loading")
        self.set_class(not data.any_calls, "-empty")
        self.set_class(not data.refusals, "-no-blocked")
        self.query_one("#proxy-summary", Static).update(summary_text(data))

        log = self.query_one("#proxy-log", DataTable)
        cursor = log.cursor_row
        log.clear()
        for row in data.recent:
            log.add_row(*call_cells(row, times), key=str(row.row_id))
        if data.recent:
            log.move_cursor(row=min(cursor, len(data.recent) - 1))

        keys = self.query_one("#proxy-keys", DataTable)
        keys.clear()
        for k in data.keys:
            keys.add_row(
                Text(key_label(k.key_fp)),
                f"{k.requests:,}",
                tokens(k.tokens),
                money(k.cost_usd),
                f"{k.p50_ms:,} ms" if k.p50_ms is not None else "—",
                f"{k.p95_ms:,} ms" if k.p95_ms is not None else "—",
                Text(f"{k.success_rate:.1%}", style="red" if k.success_rate < 0.95 else ""),
            )

        blocked = self.query_one("#proxy-blocked", DataTable)
        blocked.clear()
        for r in data.refusals:
            blocked.add_row(
                times.format(r.ts, SHORT_SECONDS),
                Text(clip(safe(r.rule), 28), style="bold yellow"),
                Text(clip(safe(r.message), 44)),
                Text(clip(safe(r.model), MODEL_WIDTH)),
                Text(key_label(r.key_fp)),
            )

    @on(DataTable.RowSelected, "#proxy-log")
    def _open_detail(self, event: DataTable.RowSelected) -> None:
        self._show_event(int(event.row_key.value or 0))

    @work(thread=True, group="detail", exit_on_error=False)
    def _show_event(self, row_id: int) -> None:
        event = self.cost_app.get_store().get_event(row_id)
        if event is not None:
            times = TimeZoneRule.from_setting(self.cost_app.settings.ui.timezone)
            self.app.call_from_thread(self.app.push_screen, EventDetailScreen(event, times))
