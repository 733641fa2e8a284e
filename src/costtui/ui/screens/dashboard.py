"""Dashboard (key 1): what did I spend, where, is it normal, and what is unpriced."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Header, Static

from costtui.analytics.anomalies import anomalous_days
from costtui.analytics.forecast import projected_series
from costtui.formatting import money, money_column, price_command, tokens
from costtui.models import DayTotals, GroupTotals
from costtui.ui.screens.base import DataScreen
from costtui.ui.widgets.charts import DailyCostChart, ModelCostChart, TokensCostChart
from costtui.ui.widgets.empty import EmptyState
from costtui.ui.widgets.keybar import KeyBar
from costtui.ui.widgets.kpi import Change, Kpi, KpiStrip

if TYPE_CHECKING:
    from costtui.analytics.summary import DashboardSnapshot
    from costtui.store import Store

RANGES = (7, 30, 90)
"""Chart ranges in days; ``d`` cycles through them. The snapshot always holds the longest."""


@dataclass(frozen=True)
class DashboardData:
    """Everything the dashboard paints: the core snapshot plus per-range model totals."""

    snapshot: DashboardSnapshot
    by_model: dict[int, list[GroupTotals]] = field(default_factory=dict)
    """Cost by model over each range in :data:`RANGES`, keyed by days."""

    def days(self, range_days: int) -> list[DayTotals]:
        return self.snapshot.days[-range_days:]


def load_dashboard(store: Store, now: datetime) -> DashboardData:
    """Run in a worker thread: every query the dashboard needs, in one go."""
    from costtui.analytics.summary import dashboard

    snap = dashboard(store, now=now, history_days=max(RANGES))
    by_model = {
        days: store.by_dimension("model", start=snap.today - timedelta(days=days - 1), end=snap.today)
        for days in RANGES
    }
    return DashboardData(snapshot=snap, by_model=by_model)


def _billed_or(billed: Decimal | None, otherwise: str) -> str:
    return f"billed {money(billed)}" if billed is not None else otherwise


def _ratio(current: Decimal, previous: Decimal | None) -> Decimal | None:
    from costtui.analytics.summary import change_ratio

    return change_ratio(current, previous)


def _today_changes(s: DashboardSnapshot) -> list[Change]:
    today = s.today_totals.cost_usd
    return [
        Change(_ratio(today, s.yesterday.cost_usd), "vs yday"),
        Change(_ratio(today, s.trailing_average_per_day), "vs 7d avg"),
    ]


def _month_changes(s: DashboardSnapshot) -> list[Change]:
    start, end = s.previous_month_span
    days = f"{start.day}" if start == end else f"{start.day}-{end.day}"
    return [Change(_ratio(s.month_to_date.cost_usd, s.previous_month_to_date.cost_usd), f"vs {start:%b} {days}")]


def _cost_trend(s: DashboardSnapshot, days: int = 14) -> list[Decimal]:
    return [d.cost_usd for d in s.days[-days:]]


def _projection(s: DashboardSnapshot, shown_days: int) -> list[tuple[date, Decimal]]:
    """The forecast's expected daily cost after today, at most a third of the chart's width of
    days (so the measured days keep most of the room)."""
    if s.forecast is None or not s.forecast.has_history:
        return []
    return projected_series(s.forecast, s.today)[: max(1, shown_days // 3)]


def _money_or_dash(value: Decimal | None) -> str:
    return money(value) if value is not None else "—"


def _forecast_range(s: DashboardSnapshot) -> str:
    f = s.forecast
    if f is None or not f.has_history:
        return "no history yet"
    if f.low == f.high:
        return "exact"
    # "±$7.10" fits a card at 80 columns where "$92.30–$106.50" does not; a range clamped at what
    # is already spent is not symmetric, and says both ends.
    if f.expected - f.low == f.high - f.expected:
        return f"±{money(f.high - f.expected)}"
    return f"{money(f.low)}–{money(f.high)}"


KPIS: list[Kpi] = [
    Kpi(
        "today",
        "Today (UTC)",
        lambda s: money(s.today_totals.cost_usd),
        lambda s: f"{s.today_totals.events:,} ev",
        changes=_today_changes,
        trend=_cost_trend,
        primary=True,
    ),
    # Cost per hour elapsed today, against the trailing week's hourly average.
    Kpi(
        "burn",
        "Burn rate",
        lambda s: f"{money(s.burn_rate_per_hour)}/h",
        lambda s: "today",
        changes=lambda s: [Change(_ratio(s.burn_rate_per_hour, s.trailing_burn_rate_per_hour), "vs 7d avg")],
        primary=True,
    ),
    # Values are metered (listener, proxy, imports); with provider billing synced, the detail
    # shows what the providers billed for the same period, so the two can be compared.
    Kpi(
        "month",
        "Month to date",
        lambda s: money(s.month_to_date.cost_usd),
        lambda s: _billed_or(s.billed_month_to_date, f"{s.today:%B}"),
        changes=_month_changes,
        trend=lambda s: _cost_trend(s, s.today.day),
        primary=True,
    ),
    # Where the month ends at the weekday/weekend rates of the last four weeks, and the range
    # (an 80% band) beside it: the month-to-date card is its left neighbour.
    Kpi(
        "forecast",
        "Month end",
        lambda s: money(s.forecast.expected) if s.forecast else "—",
        _forecast_range,
        note=lambda s: "forecast, weekday-aware",
        primary=True,
    ),
    Kpi(
        "all",
        "All time",
        lambda s: money(s.all_time.cost_usd),
        lambda s: _billed_or(s.billed_all_time, f"{s.active_days} day{'' if s.active_days == 1 else 's'}"),
        trend=lambda s: _cost_trend(s, len(s.days)),
    ),
    Kpi(
        "avg",
        "Average / day, 7d",
        lambda s: _money_or_dash(s.trailing_average_per_day),
        lambda s: f"all time {money(s.average_per_day)}",
        changes=lambda s: [
            Change(_ratio(s.trailing_average_per_day or Decimal(0), s.previous_average_per_day), "vs prior 7d")
        ],
    ),
    Kpi(
        "tokens",
        "Tokens",
        lambda s: tokens(s.all_time.total_tokens),
        lambda s: f"{tokens(s.all_time.output_tokens)} out",
        note=lambda s: f"{_money_or_dash(s.all_time.cost_per_1k_tokens)} / 1K tokens",
        trend=lambda s: [Decimal(d.total_tokens) for d in s.days[-14:]],
    ),
    Kpi(
        "events",
        "Events",
        lambda s: f"{s.all_time.events:,}",
        lambda s: f"{s.all_time.errors:,} err",
        trend=lambda s: [Decimal(d.events) for d in s.days[-14:]],
    ),
    Kpi(
        "unpriced",
        "Unpriced events",
        lambda s: f"{s.all_time.unpriced_events:,}",
        lambda s: "not in cost" if s.all_time.unpriced_events else "all priced",
        warn=lambda s: s.all_time.unpriced_events > 0,
    ),
]


class UnpricedBanner(Static):
    """Unpriced usage is never shown as $0 silently: it says so, and how to fix it."""

    def show(self, snap: DashboardSnapshot) -> None:
        self.display = bool(snap.unpriced)
        if not snap.unpriced:
            return
        first = snap.unpriced[0]
        text = Text()
        text.append("unpriced: ", style="bold")
        text.append(f"{snap.all_time.unpriced_events:,} events have no price and are not in the cost")
        if len(snap.unpriced) > 1:
            text.append(f" ({len(snap.unpriced)} models: see Settings, key 0)")
        # The command on a line of its own, so that it is never broken and copies whole.
        text.append(".\nFix: press ")
        text.append("p", style="bold")
        text.append(" to set a price, or run\n")
        text.append(price_command(first.model), style="bold")
        self.update(text)


class RecentDays(DataTable[str]):
    """Per-day totals of the selected range, newest first.

    No cell padding: each column brings its own one-space gap, so all four columns (tokens
    included) fit the side panel's 34 columns at 80×24.
    """

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.cell_padding = 0

    def show(self, days: list[DayTotals]) -> None:
        newest_first = list(reversed(days))
        cells = {
            "day": [" " + d.day.strftime("%a %m-%d") for d in newest_first],
            "cost": money_column([d.cost_usd for d in newest_first]),
            "events": [f"{d.events:,}" for d in newest_first],
            "tokens": [tokens(d.total_tokens) for d in newest_first],
        }
        titles = {"day": " Day (UTC)", "cost": "Cost", "events": "Events", "tokens": "Tokens"}
        widths = {key: max([len(titles[key]), *(len(c) for c in column)]) for key, column in cells.items()}
        self.clear(columns=True)
        for key, title in titles.items():
            # Numbers right-aligned to one width per column, so the decimal points line up.
            pad = 0 if key == "day" else 1
            self.add_column(title.rjust(widths[key] + pad) if pad else title, key=key)
        for i, d in enumerate(newest_first):
            self.add_row(
                *(
                    cells[key][i].ljust(widths[key]) if key == "day" else " " + cells[key][i].rjust(widths[key])
                    for key in titles
                ),
                key=d.day.isoformat(),
            )


class DashboardScreen(DataScreen):
    TITLE = "Dashboard"
    BINDINGS = [
        Binding("d", "cycle_range", "Range", tooltip="Cycle the charts' range: 7, 30, 90 days", id="dashboard.range"),
        Binding("p", "set_price", "Set price", tooltip="Price the top unpriced model", id="dashboard.price"),
        # The lower panels sit below the fold on short terminals: a key reaches each of them.
        Binding("k", "show_tokens", "Tokens", tooltip="Scroll to the tokens and cost chart", id="dashboard.tokens"),
        Binding("y", "show_days", "Days", tooltip="Focus the per-day table (arrows scroll it)", id="dashboard.days"),
        Binding(
            "c",
            "show_costs",
            "Cost charts",
            show=False,
            tooltip="Back to the top: KPIs, daily cost and cost by model",
            id="dashboard.costs",
        ),
    ]

    data: reactive[DashboardData | None] = reactive(None, always_update=True)
    """The last loaded data, swapped whole when a worker posts :class:`Loaded`."""
    range_days: reactive[int] = reactive(30)
    """The charts' range in days (one of :data:`RANGES`)."""

    class Loaded(Message):
        """A worker finished loading the dashboard."""

        def __init__(self, data: DashboardData) -> None:
            super().__init__()
            self.data = data

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading…", id="dash-loading", classes="loading")
        yield EmptyState(id="dash-empty")
        with VerticalScroll(id="dash-body"):
            yield KpiStrip(KPIS, id="kpis")
            yield UnpricedBanner(id="unpriced-banner")
            with Horizontal(id="dash-charts"):
                with Vertical(id="daily-box", classes="chart-box"):
                    yield Static("Daily cost", classes="panel-title")
                    yield DailyCostChart(id="daily-chart")
                with Vertical(id="model-box", classes="side-box"):
                    yield Static("Cost by model", classes="panel-title", id="model-title")
                    yield ModelCostChart(id="model-chart")
            with Horizontal(id="dash-lower"):
                with Vertical(id="tokens-box", classes="chart-box"):
                    yield Static("Tokens and cost per day", classes="panel-title")
                    yield TokensCostChart(id="tokens-chart")
                with Vertical(id="recent-box", classes="side-box"):
                    yield Static("Recent days", classes="panel-title", id="recent-title")
                    yield RecentDays(id="recent-days")
        yield KeyBar()

    # Screen classes by size (Textual sets them on resize; costtui.tcss lays them out): KPI
    # cards are two rows high below 36 rows and only the primary ones show below 28 (one strip
    # row); from 160 columns the model panel widens.
    HORIZONTAL_BREAKPOINTS = [(0, "-not-wide"), (120, "-roomy"), (160, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (28, "-medium"), (36, "-tall")]

    def on_mount(self) -> None:
        self.set_class(True, "-loading")

    def action_show_tokens(self) -> None:
        self.query_one("#dash-body", VerticalScroll).scroll_to_widget(
            self.query_one("#tokens-box"), animate=False, top=True
        )

    def action_show_days(self) -> None:
        table = self.query_one(RecentDays)
        table.focus()
        self.query_one("#dash-body", VerticalScroll).scroll_to_widget(
            self.query_one("#recent-box"), animate=False, top=True
        )

    def action_show_costs(self) -> None:
        body = self.query_one("#dash-body", VerticalScroll)
        body.scroll_home(animate=False)
        body.focus()

    def load(self) -> None:
        self._load()

    @work(thread=True, group="reload", exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        data = load_dashboard(self.cost_app.get_store(), self.cost_app.now())
        self.post_if_current(self.Loaded(data))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.data = message.data

    def watch_data(self) -> None:
        self._paint()

    def watch_range_days(self) -> None:
        self._paint()

    def _paint(self) -> None:
        data = self.data
        if data is None:
            return
        snap = data.snapshot
        self.set_class(False, "-loading")
        self.set_class(snap.is_empty, "-empty")
        self.refresh_bindings()
        if snap.is_empty:
            return
        with self.app.batch_update():
            self.query_one(KpiStrip).show(snap)
            self.query_one(UnpricedBanner).show(snap)
            days = data.days(self.range_days)
            self.query_one(DailyCostChart).update(
                days,
                projection=_projection(snap, len(days)),
                marked=anomalous_days(snap.anomalies, {d.day: d.cost_usd for d in days}),
            )
            self.query_one(TokensCostChart).update(days)
            self.query_one(ModelCostChart).update(data.by_model.get(self.range_days, snap.by_model))
            self.query_one("#model-title", Static).update(f"Cost by model, last {self.range_days} days")
            self.query_one("#recent-title", Static).update(f"Last {self.range_days} days")
            self.query_one(RecentDays).show(days)

    def set_range(self, days: int) -> None:
        if days in RANGES:
            self.range_days = days

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # No range to change on an empty database: keep the key out of the footer.
        if action == "cycle_range":
            return self.data is not None and not self.data.snapshot.is_empty
        if action == "set_price":  # only while something is unpriced
            return self.data is not None and bool(self.data.snapshot.unpriced)
        if action in ("show_tokens", "show_days", "show_costs"):
            return self.data is not None and not self.data.snapshot.is_empty
        return True

    def action_set_price(self) -> None:
        if self.data is not None and self.data.snapshot.unpriced:
            top = self.data.snapshot.unpriced[0]
            self.cost_app.open_price_form(top.model, top.provider)

    def action_cycle_range(self) -> None:
        i = RANGES.index(self.range_days) if self.range_days in RANGES else 0
        self.range_days = RANGES[(i + 1) % len(RANGES)]
        self.notify(f"Charts: last {self.range_days} days", timeout=1.5)
