"""Activity (key 2): every event, newest first, with filters, search and a detail view.

Stays fast on a million rows: pages come from the store's keyset cursor (never OFFSET, never
everything), and the next page loads when the cursor nears the bottom of what is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import Resize
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Static

from costtui.formatting import local_time, money, tokens
from costtui.models import EventFilter, StoredEvent
from costtui.ui.dialogs.event_detail import EventDetailScreen
from costtui.ui.dialogs.filters import FILTER_DIMENSIONS, FilterScreen, describe_filter
from costtui.ui.screens.base import DataScreen
from costtui.ui.widgets.empty import EmptyState
from costtui.ui.widgets.keybar import KeyBar

if TYPE_CHECKING:
    from costtui.store import Store

PAGE_SIZE = 200
PREFETCH_ROWS = 40
"""Load the next page when the cursor is this close to the last loaded row."""
SEARCH_DEBOUNCE = 0.4
TOKENS_WIDTH, COST_WIDTH = 7, 9


@dataclass(frozen=True)
class FirstPage:
    events: list[StoredEvent]
    choices: dict[str, list[str]]
    """Values for the filter pickers (from the rollups: cheap)."""
    database_empty: bool


def load_first_page(store: Store, flt: EventFilter) -> FirstPage:
    events = store.events_page(flt, limit=PAGE_SIZE)
    choices = {dim: store.distinct(dim) for dim in FILTER_DIMENSIONS}
    empty = not events and (flt.is_empty() or store.last_event_time() is None)
    return FirstPage(events=events, choices=choices, database_empty=empty)


def _fit(value: str | None, width: int) -> Text:
    """A cell for user data: Text, never markup (a model called "[b]x" is shown as it is)."""
    value = value or "—"
    return Text(value if len(value) <= width else value[: max(1, width - 1)] + "…")


@dataclass(frozen=True)
class Columns:
    """Column widths for a terminal width: the model column takes what is left."""

    time_fmt: str
    time: int
    provider: int
    model: int
    app: int  # 0 hides the column

    @classmethod
    def for_width(cls, width: int) -> Columns:
        wide = width >= 96
        time_fmt, time_w = ("%m-%d %H:%M:%S", 14) if wide else ("%m-%d %H:%M", 11)
        fixed = time_w + 10 + 7 + 9 + 9 + 2 * 6 + 2  # time, provider, tokens, cost, status, padding, scrollbar
        app = 14 if wide else 0
        model = max(12, width - fixed - (app + 2 if app else 0))
        return cls(time_fmt, time_w, 10, model, app)


class EventsTable(DataTable[Text | str]):
    """The events grid. Row keys are store row ids."""

    # Not in the footer (no room at 80 columns): the status line says "⏎ details".
    BINDINGS = [
        Binding(
            "enter", "select_cursor", "Details", show=False, tooltip="Every field of this event", id="activity.details"
        ),
        # Rows matter here, not columns: home/end go to the first/last loaded row (end loads more).
        Binding("home", "scroll_top", "First row", show=False, tooltip="Go to the newest event", id="activity.top"),
        Binding(
            "end",
            "scroll_bottom",
            "Last row",
            show=False,
            tooltip="Go to the last loaded event (loads more)",
            id="activity.bottom",
        ),
    ]


class ActivityScreen(DataScreen):
    TITLE = "Activity"
    BINDINGS = [
        Binding("slash", "search", "Search", tooltip="Search model, app, user, error, id", id="activity.search"),
        Binding(
            "f",
            "filters",
            "Filters",
            tooltip="Filter by date, provider, model, app, user, source",
            id="activity.filters",
        ),
        Binding(
            "c", "clear_filters", "Clear", show=False, tooltip="Clear every filter and the search", id="activity.clear"
        ),
        Binding("escape", "leave_search", "Back to table", show=False, id="activity.leave-search"),
    ]

    class PageLoaded(Message):
        def __init__(self, generation: int, page: FirstPage | list[StoredEvent], first: bool) -> None:
            super().__init__()
            self.generation = generation
            self.page = page
            self.first = first

    class CountLoaded(Message):
        def __init__(self, generation: int, count: int) -> None:
            super().__init__()
            self.generation = generation
            self.count = count

    def __init__(self) -> None:
        super().__init__()
        self.filter = EventFilter()
        self.events: dict[int, StoredEvent] = {}
        self.order: list[int] = []
        self.choices: dict[str, list[str]] = {}
        self.total: int | None = None
        self.exhausted = False
        self.loading_more = False
        self.new_data = False
        self._generation = 0
        self._columns: Columns | None = None
        self._search_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="activity-bar"):
            yield Input(placeholder="/ search model, app, user, error, id…", id="search", compact=True)
            yield Static("", id="filter-summary")
        yield Static("Loading…", id="activity-status")
        yield EmptyState(id="activity-empty")
        yield EventsTable(id="events", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(EventsTable).focus()
        self._show_filter_summary()

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        self._generation += 1
        self.new_data = False
        self.loading_more = False
        # Until the first page arrives, say so: a rare search over a million rows takes a moment.
        self.query_one("#activity-status", Static).update("Searching…" if not self.filter.is_empty() else "Loading…")
        self._load_first(self.filter, self._generation)

    @work(thread=True, group="reload", exclusive=True, exit_on_error=False)
    def _load_first(self, flt: EventFilter, generation: int) -> None:
        store = self.cost_app.get_store()
        page = load_first_page(store, flt)
        self.post_if_current(self.PageLoaded(generation, page, first=True))
        if not self.worker_result_is_current():
            return
        # Counting a filtered million rows scans them: it comes after the first page is shown.
        count = store.count_events(flt)
        self.post_if_current(self.CountLoaded(generation, count))

    @work(thread=True, group="page", exit_on_error=False)
    def _load_more(self, flt: EventFilter, before: StoredEvent, generation: int) -> None:
        events = self.cost_app.get_store().events_page(flt, before=before, limit=PAGE_SIZE)
        self.post_if_current(self.PageLoaded(generation, events, first=False))

    @on(PageLoaded)
    def _page_loaded(self, message: PageLoaded) -> None:
        if message.generation != self._generation:
            return  # a newer filter or reload has replaced this one
        table = self.query_one(EventsTable)
        if message.first:
            assert isinstance(message.page, FirstPage)
            page = message.page
            self.choices = page.choices
            self.events.clear()
            self.order.clear()
            self.total = None
            table.clear()
            self.set_class(page.database_empty, "-empty")
            events = page.events
        else:
            assert isinstance(message.page, list)
            events = message.page
            self.loading_more = False
        self.exhausted = len(events) < PAGE_SIZE
        self._add_rows(events)
        self._show_status()

    @on(CountLoaded)
    def _count_loaded(self, message: CountLoaded) -> None:
        if message.generation == self._generation:
            self.total = message.count
            self._show_status()

    def _add_rows(self, events: list[StoredEvent]) -> None:
        table = self.query_one(EventsTable)
        cols = self._ensure_columns()
        for e in events:
            if e.row_id in self.events:
                continue
            self.events[e.row_id] = e
            self.order.append(e.row_id)
            table.add_row(*self._cells(e, cols), key=str(e.row_id))

    def _cells(self, e: StoredEvent, cols: Columns) -> list[Text | str]:
        cells: list[Text | str] = [
            local_time(e.ts, cols.time_fmt),
            _fit(e.provider, cols.provider),
            _fit(e.model, cols.model),
        ]
        if cols.app:
            cells.append(_fit(e.app, cols.app))
        # Right-aligned by padding: the cell width is fixed, so numbers line up on their units.
        cells.append(tokens(e.total_tokens).rjust(TOKENS_WIDTH))
        cells.append(Text(money(e.cost_usd, unpriced=True).rjust(COST_WIDTH), style="italic" if e.unpriced else ""))
        status = "ok" if e.status == "ok" else f"error {e.status_code or ''}".strip()
        cells.append(Text(status, style="bold red" if e.status != "ok" else ""))
        return cells

    def _ensure_columns(self) -> Columns:
        cols = Columns.for_width(self.app.size.width)
        table = self.query_one(EventsTable)
        if cols != self._columns:
            self._columns = cols
            table.clear(columns=True)
            table.add_column("Time", width=cols.time, key="time")
            table.add_column("Provider", width=cols.provider, key="provider")
            table.add_column("Model", width=cols.model, key="model")
            if cols.app:
                table.add_column("App", width=cols.app, key="app")
            table.add_column("Tokens".rjust(TOKENS_WIDTH), width=TOKENS_WIDTH, key="tokens")
            table.add_column("Cost".rjust(COST_WIDTH), width=COST_WIDTH, key="cost")
            table.add_column("Status", width=9, key="status")
            for row_id in self.order:
                table.add_row(*self._cells(self.events[row_id], cols), key=str(row_id))
        return cols

    def on_resize(self, event: Resize) -> None:
        if self._columns is not None and Columns.for_width(self.app.size.width) != self._columns:
            row = self.query_one(EventsTable).cursor_row
            self._ensure_columns()
            self.query_one(EventsTable).move_cursor(row=row)

    @on(DataTable.RowHighlighted, "#events")
    def _maybe_load_more(self, event: DataTable.RowHighlighted) -> None:
        if self.exhausted or self.loading_more or not self.order:
            return
        if event.cursor_row >= len(self.order) - PREFETCH_ROWS:
            self.loading_more = True
            last = self.events[self.order[-1]]
            self._load_more(self.filter, last, self._generation)

    def data_changed(self) -> None:
        # Reloading puts the cursor back on the newest row: only do it when the user is there.
        if self.is_current and self.order and self.query_one(EventsTable).cursor_row > 0:
            self.new_data = True
            self._show_status()
            return
        super().data_changed()

    # ------------------------------------------------------------------ status lines

    def show_load_error(self, message: str) -> None:
        self.query_one("#activity-status", Static).update(Text(message))

    def _show_status(self) -> None:
        shown = len(self.order)
        total = f"{shown:,}{'' if self.exhausted else '+'} events" if self.total is None else f"{self.total:,} events"
        parts = [total]
        if shown and not self.exhausted:
            parts.append(f"{shown:,} loaded")
        parts.append("newest first")
        if shown:
            parts.append("⏎ details")
        if self.new_data:
            parts.append("new events: press r")
        if not shown and not self.has_class("-empty"):
            parts = ["No events match these filters: press c to clear them, or f to change them"]
        self.query_one("#activity-status", Static).update(" · ".join(parts))

    def _show_filter_summary(self) -> None:
        summary = describe_filter(self.filter)
        self.query_one("#filter-summary", Static).update(
            Text(f"filters: {summary} (c clears)" if summary else "no filters (f)", style="bold" if summary else "dim")
        )

    def set_filter(self, flt: EventFilter) -> None:
        if flt == self.filter:
            return
        self.filter = flt
        self._show_filter_summary()
        self.query_one(EventsTable).move_cursor(row=0)
        self.reload()

    # ------------------------------------------------------------------ actions

    def commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand(
            "activity: filter…", "Filter by date, provider, model, app, user, source", self.action_filters
        )
        yield SystemCommand("activity: clear filters", "Show every event again", self.action_clear_filters)
        yield SystemCommand("activity: search", "Search model, app, user, error, id", self.action_search)

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_leave_search(self) -> None:
        if self.focused is self.query_one("#search", Input):
            self.query_one(EventsTable).focus()

    def action_filters(self) -> None:
        def apply(result: EventFilter | None) -> None:
            if result is not None:
                self.set_filter(result.model_copy(update={"search": self.filter.search}))

        self.app.push_screen(FilterScreen(self.filter, self.choices), apply)

    def action_clear_filters(self) -> None:
        self.query_one("#search", Input).value = ""
        self.set_filter(EventFilter())

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE, lambda: self._apply_search(event.value))

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._apply_search(event.value)
        self.query_one(EventsTable).focus()

    def _apply_search(self, value: str) -> None:
        self.set_filter(self.filter.model_copy(update={"search": value.strip() or None}))

    @on(DataTable.RowSelected, "#events")
    def _open_detail(self, event: DataTable.RowSelected) -> None:
        row_id = int(event.row_key.value or 0)
        if row_id in self.events:
            self.app.push_screen(EventDetailScreen(self.events[row_id]))
