"""Activity (key 2): every event, newest first, with filters, search, sorting and a detail view.

Stays fast on a million rows: pages come from the store's keyset cursor (never OFFSET, never
everything), and the next page loads when the cursor nears the bottom of what is loaded. Sorting
is done by the store, page by page, with the same cursor (any column, ties by row id), so a sorted
list is the whole filtered result in order, not a reshuffled page. The totals line (cost, tokens,
events) covers every row the filter matches, also from the store.

The loaded rows are a window onto that ordered result: it starts at the top, at a date (``g``),
or at the very end (``End``: the last page), and grows downwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import Resize
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Static

from costtui.formatting import SHORT, SHORT_SECONDS, TimeZoneRule, money, money_fixed, plural, safe, tokens
from costtui.models import EventFilter, EventSort, StoredEvent, Totals
from costtui.ui.dialogs.event_detail import EventDetailScreen
from costtui.ui.dialogs.filters import FILTER_DIMENSIONS, FilterScreen, JumpScreen, describe_filter
from costtui.ui.screens.base import DataScreen
from costtui.ui.widgets.empty import EmptyState
from costtui.ui.widgets.keybar import KeyBar

if TYPE_CHECKING:
    from costtui.store import Store

PAGE_SIZE = 200
PREFETCH_ROWS = 40
"""Load the next page when the cursor is this close to the last loaded row."""
SEARCH_DEBOUNCE = 0.4
COST_DECIMALS = 4
"""One format for the cost column, fixed for every page: requests cost fractions of a cent."""
TOKENS_WIDTH, COST_WIDTH, STATUS_WIDTH = 7, 9, 9
SORT_CYCLE = ("time", "cost", "tokens", "model", "provider", "app", "user", "latency", "input", "output", "status")
"""What ``s`` steps through (columns not shown at this width are skipped)."""
NUMERIC = {"tokens", "input", "output", "cost", "latency"}


@dataclass(frozen=True)
class FirstPage:
    events: list[StoredEvent]
    choices: dict[str, list[str]]
    """Values for the filter pickers (from the rollups: cheap)."""
    database_empty: bool


WindowStart = Literal["top", "end"] | datetime
"""Where the loaded window starts: the top of the ordered result, its last page, or a time."""


@dataclass(frozen=True)
class Query:
    """What Activity asks the store for: a filter, an order, and where the window starts."""

    filter: EventFilter
    sort: EventSort
    window_start: WindowStart = "top"

    def first_page(self, store: Store) -> list[StoredEvent]:
        if self.window_start == "end":
            # The last page of the order is the first page of the reverse order, read backwards.
            return store.events_page(self.filter, limit=PAGE_SIZE, sort=self.sort.reversed())[::-1]
        at = self.window_start if isinstance(self.window_start, datetime) else None
        return store.events_page(self.filter, limit=PAGE_SIZE, sort=self.sort, at=at)

    def next_page(self, store: Store, last: StoredEvent) -> list[StoredEvent]:
        if self.window_start == "end":
            return []
        at = self.window_start if isinstance(self.window_start, datetime) else None
        return store.events_page(self.filter, before=last, limit=PAGE_SIZE, sort=self.sort, at=at)


def load_first_page(store: Store, query: Query) -> FirstPage:
    events = query.first_page(store)
    choices = {dim: store.distinct(dim) for dim in FILTER_DIMENSIONS}
    flt = query.filter
    empty = not events and (flt.is_empty() or store.last_event_time() is None)
    return FirstPage(events=events, choices=choices, database_empty=empty)


def _fit(value: str | None, width: int) -> Text:
    """A cell for user data: Text, never markup (a model called "[b]x" is shown as it is)."""
    value = safe(value) or "—"
    return Text(value if len(value) <= width else value[: max(1, width - 1)] + "…")


@dataclass(frozen=True)
class Columns:
    """Column widths for a terminal width: the model column takes what is left.

    80 columns keep the essentials (time, provider, model, tokens, cost, status); 96 add seconds
    and the app; 160 add the user, latency and input/output tokens.
    """

    time_fmt: str
    time: int
    provider: int
    model: int
    app: int  # 0 hides the column
    user: int = 0
    detail: bool = False
    """Latency, input and output tokens."""

    @classmethod
    def for_width(cls, width: int) -> Columns:
        wide = width >= 96
        huge = width >= 160
        time_fmt, time_w = (SHORT_SECONDS, 14) if wide else (SHORT, 11)
        # time, provider, tokens, cost, status, cell padding, scrollbar
        fixed = time_w + 10 + TOKENS_WIDTH + COST_WIDTH + STATUS_WIDTH + 2 * 6 + 2
        app = 16 if huge else 14 if wide else 0
        user = 14 if huge else 0
        extra = (app + 2 if app else 0) + (user + 2 if user else 0) + (3 * (TOKENS_WIDTH + 2) if huge else 0)
        model = max(12, width - fixed - extra)
        return cls(time_fmt, time_w, 10, model, app, user, huge)

    def shown(self) -> list[str]:
        keys = ["time", "provider", "model"]
        keys += ["app"] if self.app else []
        keys += ["user"] if self.user else []
        keys += ["input", "output"] if self.detail else []
        keys += ["tokens", "cost"]
        keys += ["latency"] if self.detail else []
        return [*keys, "status"]


class EventsTable(DataTable[Text | str]):
    """The events grid. Row keys are store row ids."""

    # Not in the footer (no room at 80 columns): the status line says "⏎ details".
    BINDINGS = [
        Binding(
            "enter", "select_cursor", "Details", show=False, tooltip="Every field of this event", id="activity.details"
        ),
        # Rows matter here, not columns: home/end go to the first/last event of the whole result.
        Binding("home", "screen.first", "First", show=False, tooltip="Go to the first event", id="activity.top"),
        Binding("end", "screen.last", "Last", show=False, tooltip="Go to the last event", id="activity.bottom"),
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
        Binding("s", "cycle_sort", "Sort", tooltip="Sort by the next column (or click a header)", id="activity.sort"),
        Binding(
            "S", "flip_sort", "Reverse", show=False, tooltip="Reverse the sort direction", id="activity.sort-reverse"
        ),
        Binding("g", "jump", "Go to date", show=False, tooltip="Jump to a date (sorted by time)", id="activity.jump"),
        Binding(
            "c", "clear_filters", "Clear", show=False, tooltip="Clear every filter and the search", id="activity.clear"
        ),
        Binding("escape", "leave_search", "Back to table", show=False, id="activity.leave-search"),
        Binding(
            "x",
            "export",
            "Export",
            show=False,
            tooltip="Export the filtered events as CSV (progress on the Reports screen)",
            id="activity.export",
        ),
        Binding(
            "t",
            "receipt",
            "Receipt",
            show=False,
            tooltip="A receipt (TXT and PDF) for this event",
            id="activity.receipt",
        ),
    ]

    class PageLoaded(Message):
        def __init__(self, generation: int, page: FirstPage | list[StoredEvent], first: bool) -> None:
            super().__init__()
            self.generation = generation
            self.page = page
            self.first = first

    class TotalsLoaded(Message):
        """Cost, tokens and events of every row the filter matches."""

        def __init__(self, generation: int, totals: Totals) -> None:
            super().__init__()
            self.generation = generation
            self.totals = totals

    def __init__(self) -> None:
        super().__init__()
        self.filter = EventFilter()
        self.sort = EventSort()
        self.window_start: WindowStart = "top"
        self.jumped_to: date | None = None
        """The date typed into "go to date", while the window starts there."""
        self.events: dict[int, StoredEvent] = {}
        self.order: list[int] = []
        self.choices: dict[str, list[str]] = {}
        self.totals: Totals | None = None
        self._totals_for: EventFilter | None = None
        self.exhausted = False
        self.loading_more = False
        self.new_data = False
        self._generation = 0
        self._columns: Columns | None = None
        self._header_sort: EventSort | None = None
        self._search_timer: Timer | None = None

    @property
    def total(self) -> int | None:
        """How many events the filter matches (None until counted)."""
        return self.totals.events if self.totals is not None else None

    @property
    def times(self) -> TimeZoneRule:
        return TimeZoneRule.from_setting(self.cost_app.settings.ui.timezone)

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

    def query_now(self) -> Query:
        return Query(self.filter, self.sort, self.window_start)

    def load(self) -> None:
        self._generation += 1
        self.new_data = False
        self.loading_more = False
        # Until the first page arrives, say so: a rare search over a million rows takes a moment.
        self.query_one("#activity-status", Static).update("Searching…" if not self.filter.is_empty() else "Loading…")
        self._load_first(self.query_now(), self._generation)

    @work(thread=True, group="reload", exclusive=True, exit_on_error=False)
    def _load_first(self, query: Query, generation: int) -> None:
        store = self.cost_app.get_store()
        page = load_first_page(store, query)
        self.post_if_current(self.PageLoaded(generation, page, first=True))
        if not self.worker_result_is_current():
            return
        # Summing a filtered million rows scans them: it comes after the first page is shown.
        totals = store.event_totals(query.filter)
        self.post_if_current(self.TotalsLoaded(generation, totals))

    @work(thread=True, group="page", exit_on_error=False)
    def _load_more(self, query: Query, before: StoredEvent, generation: int) -> None:
        events = query.next_page(self.cost_app.get_store(), before)
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
            if self._totals_for != self.filter:
                self.totals = None
            table.clear()
            self._ensure_columns()
            self.set_class(page.database_empty, "-empty")
            events = page.events
        else:
            assert isinstance(message.page, list)
            events = message.page
            self.loading_more = False
        self.exhausted = len(events) < PAGE_SIZE or self.window_start == "end"
        self._add_rows(events)
        if message.first and self.window_start == "end" and self.order:
            table.move_cursor(row=len(self.order) - 1)
        self._show_status()

    @on(TotalsLoaded)
    def _totals_loaded(self, message: TotalsLoaded) -> None:
        if message.generation == self._generation:
            self.totals = message.totals
            self._totals_for = self.filter
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
        # Numbers are right-aligned by padding to the fixed cell width, so they line up on their
        # decimal points (one number of decimals per column).
        cells: dict[str, Text | str] = {
            "time": self.times.format(e.ts, cols.time_fmt),
            "provider": _fit(e.provider, cols.provider),
            "model": _fit(e.model, cols.model),
            "app": _fit(e.app, cols.app),
            "user": _fit(e.user, cols.user),
            "input": tokens(e.total_input_tokens).rjust(TOKENS_WIDTH),
            "output": tokens(e.output_tokens).rjust(TOKENS_WIDTH),
            "tokens": tokens(e.total_tokens).rjust(TOKENS_WIDTH),
            "cost": Text(
                money_fixed(e.cost_usd, COST_DECIMALS, unpriced=True).rjust(COST_WIDTH),
                style="italic" if e.unpriced else "",
            ),
            "latency": (f"{e.latency_ms:,}ms" if e.latency_ms is not None else "—").rjust(TOKENS_WIDTH),
            "status": Text(
                "ok" if e.status == "ok" else f"error {e.status_code or ''}".strip(),
                style="bold red" if e.status != "ok" else "",
            ),
        }
        return [cells[key] for key in cols.shown()]

    def _header(self, key: str, title: str, width: int) -> str:
        if key == self.sort.column:
            title = f"{title}{'▼' if self.sort.descending else '▲'}"
        return title.rjust(width) if key in NUMERIC else title

    def _ensure_columns(self) -> Columns:
        cols = Columns.for_width(self.app.size.width)
        table = self.query_one(EventsTable)
        if cols != self._columns or self._header_sort != self.sort:
            self._columns = cols
            self._header_sort = self.sort
            widths = {
                "time": cols.time,
                "provider": cols.provider,
                "model": cols.model,
                "app": cols.app,
                "user": cols.user,
                "input": TOKENS_WIDTH,
                "output": TOKENS_WIDTH,
                "tokens": TOKENS_WIDTH,
                "cost": COST_WIDTH,
                "latency": TOKENS_WIDTH,
                "status": STATUS_WIDTH,
            }
            titles = {"time": f"Time ({self.times.label()})", "input": "In", "output": "Out"}
            table.clear(columns=True)
            for key in cols.shown():
                table.add_column(
                    self._header(key, titles.get(key, key.capitalize()), widths[key]), width=widths[key], key=key
                )
            for row_id in self.order:
                table.add_row(*self._cells(self.events[row_id], cols), key=str(row_id))
        return cols

    def on_resize(self, event: Resize) -> None:
        if self._columns is not None and Columns.for_width(self.app.size.width) != self._columns:
            row = self.query_one(EventsTable).cursor_row
            self._ensure_columns()
            self.query_one(EventsTable).move_cursor(row=row)
        if self.order:
            self._show_status()

    @on(DataTable.RowHighlighted, "#events")
    def _maybe_load_more(self, event: DataTable.RowHighlighted) -> None:
        if self.exhausted or self.loading_more or not self.order:
            return
        if event.cursor_row >= len(self.order) - PREFETCH_ROWS:
            self.loading_more = True
            last = self.events[self.order[-1]]
            self._load_more(self.query_now(), last, self._generation)

    def data_changed(self) -> None:
        # Reloading puts the cursor back on the first row: only do it when the user is there.
        if self.is_current and self.order and self.query_one(EventsTable).cursor_row > 0:
            self.new_data = True
            self._show_status()
            return
        super().data_changed()

    # ------------------------------------------------------------------ status lines

    def show_load_error(self, message: str) -> None:
        self.query_one("#activity-status", Static).update(Text(message))

    def totals_text(self) -> str:
        """``1,234 events · $12.34 · 1.2M tokens`` for the whole filter, or what is known so far."""
        shown = len(self.order)
        if self.totals is None:
            return plural(shown, "event") if self.exhausted else f"{shown:,}+ events"
        t = self.totals
        return f"{plural(t.events, 'event')} · {money(t.cost_usd)} · {tokens(t.total_tokens)} tokens"

    def order_text(self) -> str:
        if self.sort.column == "time":
            order = "newest first" if self.sort.descending else "oldest first"
        else:
            order = f"by {self.sort.column} {'▼' if self.sort.descending else '▲'}"
        if self.window_start == "end":
            return f"{order}, last page"
        if self.jumped_to is not None and isinstance(self.window_start, datetime):
            return f"{order} from {self.jumped_to.isoformat()}"
        return order

    def _show_status(self) -> None:
        shown = len(self.order)
        if not shown and not self.has_class("-empty"):
            parts = ["No events match these filters: press c to clear them, or f to change them"]
        else:
            # (priority, text), 0 first; what does not fit the width is left out, least important
            # first (the keys are in ?).
            ranked = [(0, self.totals_text())]
            if self.totals is not None and self.totals.unpriced_events:
                ranked.append((3, f"{self.totals.unpriced_events:,} unpriced"))
            if self.new_data:
                ranked.append((0, "new events: press r"))
            ranked.append((1, self.order_text()))
            if self.window_start != "top":
                ranked.append((2, "Home: top"))
            if shown and not self.exhausted:
                ranked.append((4, f"{shown:,} loaded"))
            if shown:
                ranked.append((2, "⏎ details"))
            room = max(40, self.size.width - 2)
            while len(ranked) > 1 and len(" · ".join(text for _, text in ranked)) > room:
                ranked.remove(max(ranked, key=lambda item: item[0]))
            parts = [text for _, text in ranked]
        self.query_one("#activity-status", Static).update(" · ".join(parts))

    def _show_filter_summary(self) -> None:
        summary = describe_filter(self.filter, self.times)
        self.query_one("#filter-summary", Static).update(
            Text(
                f"filters: {safe(summary)} (c clears)" if summary else "no filters (f)",
                style="bold" if summary else "dim",
            )
        )

    def set_filter(self, flt: EventFilter) -> None:
        if flt == self.filter:
            return
        self.filter = flt
        self.window_start = "top"
        self._show_filter_summary()
        self.query_one(EventsTable).move_cursor(row=0)
        self.reload()

    def set_order(self, sort: EventSort, start: WindowStart = "top") -> None:
        """Show the same filter in another order or from another place (the totals are kept)."""
        if sort == self.sort and start == self.window_start:
            if start == "top":
                self.query_one(EventsTable).move_cursor(row=0)
            return
        self.sort = sort
        self.window_start = start
        self.query_one(EventsTable).move_cursor(row=0)
        self.reload()

    # ------------------------------------------------------------------ actions

    def commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand(
            "activity: filter…", "Filter by date, provider, model, app, user, source", self.action_filters
        )
        yield SystemCommand("activity: clear filters", "Show every event again", self.action_clear_filters)
        yield SystemCommand("activity: search", "Search model, app, user, error, id", self.action_search)
        yield SystemCommand("activity: sort by next column", "Cycle the sort column", self.action_cycle_sort)
        yield SystemCommand("activity: reverse sort", "Flip the sort direction", self.action_flip_sort)
        yield SystemCommand("activity: go to date…", "Jump to a date (sorted by time)", self.action_jump)

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_leave_search(self) -> None:
        if self.focused is self.query_one("#search", Input):
            self.query_one(EventsTable).focus()

    def action_filters(self) -> None:
        def apply(result: EventFilter | None) -> None:
            if result is not None:
                self.set_filter(result.model_copy(update={"search": self.filter.search}))

        self.app.push_screen(FilterScreen(self.filter, self.choices, self.times), apply)

    def action_receipt(self) -> None:
        from functools import partial

        from costtui.ui.screens.reports import event_receipt_worker

        row = self.query_one(EventsTable).cursor_row
        if 0 <= row < len(self.order):
            event = self.events[self.order[row]]
            self.run_worker(
                partial(event_receipt_worker, self.cost_app, event), thread=True, group="receipt", exit_on_error=False
            )

    async def action_export(self) -> None:
        """Export what is filtered here; the Reports screen streams it and shows the progress."""
        from costtui.ui.screens.reports import ReportsScreen

        flt = self.filter
        await self.app.switch_mode("reports")
        if isinstance(self.app.screen, ReportsScreen):
            self.app.screen.start_export(flt, f"activity-{self.cost_app.now():%Y%m%d-%H%M%S}")

    def action_clear_filters(self) -> None:
        self.query_one("#search", Input).value = ""
        self.set_filter(EventFilter())

    def action_cycle_sort(self) -> None:
        shown = set((self._columns or Columns.for_width(self.app.size.width)).shown())
        cycle = [c for c in SORT_CYCLE if c in shown]
        i = cycle.index(self.sort.column) if self.sort.column in cycle else -1
        column = cycle[(i + 1) % len(cycle)]
        # Big first for numbers, newest first for time, A→Z for names.
        descending = column in NUMERIC or column == "time"
        self.set_order(EventSort(column=column, descending=descending))  # type: ignore[arg-type]

    def action_flip_sort(self) -> None:
        self.set_order(self.sort.reversed())

    @on(DataTable.HeaderSelected, "#events")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        if column == self.sort.column:
            self.action_flip_sort()
        else:
            descending = column in NUMERIC or column == "time"
            self.set_order(EventSort(column=column, descending=descending))  # type: ignore[arg-type]

    def action_first(self) -> None:
        self.set_order(self.sort, "top")

    def action_last(self) -> None:
        if self.exhausted and self.window_start != "end":
            self.query_one(EventsTable).move_cursor(row=len(self.order) - 1)  # everything is loaded
        else:
            self.set_order(self.sort, "end")

    def action_jump(self) -> None:
        def jump(day: date | None) -> None:
            if day is None:
                return
            # A date is a place in time order; other orders have no place for it.
            sort = self.sort if self.sort.column == "time" else EventSort()
            self.set_order(sort, self.times.day_end(day) if sort.descending else self.times.day_start(day))
            self.jumped_to = day
            self._show_status()

        self.app.push_screen(JumpScreen(self.times), jump)

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
            self.app.push_screen(EventDetailScreen(self.events[row_id], self.times))
