"""Reports (key 7): spend over a period by one dimension, billed vs metered, anomalies, and files
for finance (the report as CSV/PDF, receipts, a streamed export of the period's events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Header, ProgressBar, Static, TabbedContent, TabPane

from costtui.analytics.anomalies import Anomaly, detect, latest_runs
from costtui.analytics.reconcile import ReconcileRow, Reconciliation, reconcile
from costtui.analytics.reports import BREAKDOWNS, Period, Report, parse_period, period_receipt, period_report
from costtui.formatting import money, money_column, safe, tokens
from costtui.models import EventFilter
from costtui.ui.dialogs.base import Dialog, DialogButton, cancel_binding
from costtui.ui.screens.base import DataScreen
from costtui.ui.widgets.empty import EmptyState
from costtui.ui.widgets.keybar import KeyBar

if TYPE_CHECKING:
    from costtui.analytics.reports import Receipt
    from costtui.models import StoredEvent
    from costtui.store import Store
    from costtui.ui.app import CostApp

PERIODS = ("month", "last-month", "week", "last-week", "day")
"""What ``p`` cycles through (any other period is for the CLI's ``--period``)."""
BYS = tuple(BREAKDOWNS)
ANOMALY_DAYS = 30
NAME_WIDTH = 30
"""Report names are cut here (with an ellipsis) so that the numbers fit at 80 columns."""


@dataclass(frozen=True)
class ReportsData:
    report: Report
    reconciliation: Reconciliation
    anomalies: list[Anomaly]


def load_reports(store: Store, now: datetime, period_word: str, by: str) -> ReportsData:
    """Run in a worker thread: every query the screen shows."""
    period = parse_period(period_word, now.astimezone(UTC).date())
    return ReportsData(
        report=period_report(store, period, by, now),
        reconciliation=reconcile(store, period.start, period.end),
        anomalies=latest_runs(detect(store, now, days=ANOMALY_DAYS)),
    )


def _side(value: object) -> Text:
    """A reconciliation amount: "missing" (dim) when that side has no data, never $0."""
    if value is None:
        return Text("missing", style="dim italic")
    return Text(money(value))  # type: ignore[arg-type]


def _drift(row: ReconcileRow) -> Text:
    drift = row.drift
    if drift is None:
        return Text("—", style="dim")
    pct = drift * 100
    style = "bold" if abs(pct) >= 10 else ""
    return Text(f"{pct:+.1f}%", style=style)


class ReceiptDialog(Dialog[None]):
    """The receipt just saved, to read (with where its files are)."""

    BINDINGS = [cancel_binding("Close")]
    DIALOG_ID = "receipt-dialog"
    BUTTONS = (DialogButton("Close", "cancel", "receipt-close", "primary"),)
    HINT_EXTRA = "↑↓ scroll"
    READING = True

    def __init__(self, lines: list[str], paths: list[Path]) -> None:
        super().__init__()
        self.lines = lines
        self.paths = paths

    def dialog_title(self) -> str:
        return "Receipt"

    def compose_body(self) -> ComposeResult:
        saved = "Saved: " + ", ".join(str(p) for p in self.paths)
        yield Static(Text("\n".join([*self.lines, "", saved])), id="receipt-text")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(".dialog-body").focus()


def event_receipt_worker(app: CostApp, event: StoredEvent) -> None:
    """In a worker thread: save one event's receipt (TXT and PDF) and show it."""
    from costtui import paths
    from costtui.analytics.reports import event_receipt
    from costtui.export.save import save_receipt
    from costtui.export.text import receipt_text

    receipt = event_receipt(app.get_store(), event)
    saved = save_receipt(receipt, paths.exports_dir(), f"event-{event.row_id}")
    app.call_from_thread(app.push_screen, ReceiptDialog(receipt_text(receipt), saved))


class ReportsScreen(DataScreen):
    """Key 7: period reports, reconciliation, anomalies, receipts and exports."""

    TITLE = "Reports"
    DEFAULT_CSS = """
    ReportsScreen #reports-body { height: 1fr; }
    ReportsScreen.-empty #reports-body, ReportsScreen.-loading #reports-body { display: none; }
    ReportsScreen #reports-bar { height: 1; padding: 0 1; }
    ReportsScreen #reports-tabs { height: 1fr; }
    ReportsScreen DataTable { height: 1fr; }
    ReportsScreen #reconcile-note { height: auto; padding: 0 1; color: $text-muted; }
    ReportsScreen #anomaly-list { padding: 0 1; }
    ReportsScreen #export-row { height: 1; display: none; padding: 0 1; }
    ReportsScreen.-exporting #export-row { display: block; }
    ReportsScreen #export-status { width: 1fr; padding-left: 1; }
    """
    BINDINGS = [
        Binding("v", "next_tab", "View", tooltip="Next view: report, reconciliation, anomalies", id="reports.view"),
        Binding(
            "p",
            "cycle_period",
            "Period",
            tooltip="This month, last month, this week, last week, today",
            id="reports.period",
        ),
        Binding(
            "b", "cycle_by", "Breakdown", tooltip="By provider, model, app, user, team, project or key", id="reports.by"
        ),
        Binding(
            "t",
            "receipt",
            "Receipt",
            tooltip="A receipt (TXT and PDF) for the selected row's period",
            id="reports.receipt",
        ),
        Binding("w", "save_report", "Save", tooltip="Save the report as CSV and PDF", id="reports.save"),
        Binding(
            "e", "export_events", "Export", tooltip="Export the period's events as CSV (streamed)", id="reports.export"
        ),
    ]

    class Loaded(Message):
        def __init__(self, data: ReportsData) -> None:
            super().__init__()
            self.data = data

    class ExportProgress(Message):
        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

    class ExportDone(Message):
        def __init__(self, path: Path, count: int) -> None:
            super().__init__()
            self.path = path
            self.count = count

    data: ReportsData | None = None

    def __init__(self) -> None:
        super().__init__()
        self.period_word = PERIODS[0]
        self.by = "model"
        self.exporting = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading…", classes="loading")
        yield EmptyState(id="reports-empty")
        with VerticalScroll(id="reports-body"):
            yield Static("", id="reports-bar")
            with Horizontal(id="export-row"):
                yield ProgressBar(id="export-progress", show_eta=False)
                yield Static("", id="export-status")
            with TabbedContent(id="reports-tabs"):
                with TabPane("Report", id="tab-report"):
                    yield DataTable(id="report-table", cursor_type="row", zebra_stripes=True)
                with TabPane("Reconciliation", id="tab-reconcile"):
                    yield Static("", id="reconcile-note")
                    yield DataTable(id="reconcile-table", cursor_type="row", zebra_stripes=True)
                with TabPane("Anomalies", id="tab-anomalies"):
                    yield Static("", id="anomaly-list")
        yield KeyBar()

    def on_mount(self) -> None:
        self.add_class("-loading")
        report = self.query_one("#report-table", DataTable)
        report.add_columns("name", "cost", "share", "events", "input", "cached", "output")
        recon = self.query_one("#reconcile-table", DataTable)
        recon.add_columns("day", "provider", "billed", "metered", "difference", "drift", "unpriced tok")

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        self._load(self.period_word, self.by)

    @work(thread=True, group="reload", exclusive=True, exit_on_error=False)
    def _load(self, period_word: str, by: str) -> None:
        data = load_reports(self.cost_app.get_store(), self.cost_app.now(), period_word, by)
        self.post_if_current(self.Loaded(data))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.data = message.data
        self.remove_class("-loading")
        self.refresh_bindings()  # receipt, save and export need data: the footer follows
        empty = message.data.report.total.events == 0 and not message.data.reconciliation.days
        self.set_class(empty and self.period_word == PERIODS[0] and not message.data.anomalies, "-empty")
        self._paint(message.data)

    def _paint(self, data: ReportsData) -> None:
        report = data.report
        with self.app.batch_update():
            self.query_one("#reports-bar", Static).update(
                Text.assemble(
                    ("Period ", "dim"),
                    (str(report.period), "bold"),
                    ("  ·  by ", "dim"),
                    (report.by, "bold"),
                    ("  ·  UTC days", "dim"),
                )
            )
            table = self.query_one("#report-table", DataTable)
            table.clear()
            records = report.records()
            # A row whose every event is unpriced has no cost: "unpriced", never a quiet $0.00.
            unpriced = [bool(r["events"]) and r["unpriced_events"] == r["events"] for r in records]
            costs = money_column(
                [None if u else r["cost_usd"] for r, u in zip(records, unpriced, strict=True)], unpriced=True
            )
            for i, (r, cost) in enumerate(zip(records, costs, strict=True)):
                last = i == len(records) - 1
                style = "bold" if last else ""
                share = "" if r["share_pct"] is None else f"{r['share_pct']}%"
                name = Text(safe(r["name"]), style=style)
                name.truncate(NAME_WIDTH, overflow="ellipsis")
                table.add_row(
                    name,
                    Text(cost, style=style, justify="right"),
                    Text(share, justify="right"),
                    Text(f"{r['events']:,}", justify="right"),
                    Text(tokens(r["input_tokens"]), justify="right"),
                    Text(tokens(r["cache_read_tokens"] + r["cache_write_tokens"]), justify="right"),
                    Text(tokens(r["output_tokens"]), justify="right"),
                    key="__total__" if last else f"row:{i}",
                )
            self._paint_reconciliation(data.reconciliation)
            self._paint_anomalies(data.anomalies)

    def _paint_reconciliation(self, rec: Reconciliation) -> None:
        table = self.query_one("#reconcile-table", DataTable)
        table.clear()
        for row in rec.days:
            table.add_row(
                row.day.isoformat(),
                safe(row.provider),
                _side(row.billed),
                _side(row.metered),
                Text("—" if row.difference is None else money(row.difference), justify="right"),
                _drift(row),
                Text(tokens(row.unpriced_tokens) if row.unpriced_tokens else "", justify="right"),
            )
        total = rec.total()
        parts = [
            "Billed (provider cost APIs and manual costs) beside metered (listener, proxy, imports).",
            "difference = billed − metered; drift = difference / billed; missing = no data on that side, not $0.",
        ]
        if rec.days:
            parts.append(
                f"Total: billed {money(total.billed) if total.billed is not None else 'missing'},"
                f" metered {money(total.metered) if total.metered is not None else 'missing'}"
                + (f"; {rec.missing_days} provider-days have a side missing." if rec.missing_days else ".")
            )
        else:
            parts.append("Nothing to compare in this period: no provider has both billed costs and metered usage.")
        if rec.metered_only:
            parts.append("Metered only: " + ", ".join(safe(p) for p in rec.metered_only))
        if rec.billed_only:
            parts.append("Billed only: " + ", ".join(safe(p) for p in rec.billed_only))
        self.query_one("#reconcile-note", Static).update(Text("\n".join(parts)))

    def _paint_anomalies(self, anomalies: list[Anomaly]) -> None:
        if not anomalies:
            text = Text(
                f"No anomalies in the last {ANOMALY_DAYS} days: every provider, model, app and key cost what its"
                " usual same weekday costs (median of the last 4 weeks)."
            )
        else:
            text = Text(
                f"Last {ANOMALY_DAYS} days, newest first (each day against the same weekday of the last 4 weeks):\n\n"
            )
            for a in anomalies:
                text.append("▲ ", style="bold")
                text.append(safe(a.explain()) + "\n")
        self.query_one("#anomaly-list", Static).update(text)

    # ------------------------------------------------------------------ actions

    def action_next_tab(self) -> None:
        tabs = self.query_one("#reports-tabs", TabbedContent)
        order = ["tab-report", "tab-reconcile", "tab-anomalies"]
        current = order.index(tabs.active) if tabs.active in order else 0
        tabs.active = order[(current + 1) % len(order)]

    def action_cycle_period(self) -> None:
        self.period_word = PERIODS[(PERIODS.index(self.period_word) + 1) % len(PERIODS)]
        self.load()

    def action_cycle_by(self) -> None:
        self.by = BYS[(BYS.index(self.by) + 1) % len(BYS)]
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("receipt", "save_report", "export_events"):
            if self.data is None:
                return False
            if action == "export_events" and self.exporting:
                return None  # shown, greyed out: one export at a time
        return True

    def _selected_name(self) -> str | None:
        """The selected report row's value (None on the total row or an empty table)."""
        if self.data is None:
            return None
        table = self.query_one("#report-table", DataTable)
        rows = self.data.report.rows
        if not rows or table.cursor_row >= len(rows):
            return None
        return rows[table.cursor_row].name

    def action_receipt(self) -> None:
        if self.data is None:
            return
        name = self._selected_name()
        self._receipt(self.data.report.period, self.data.report.by, name)

    @work(thread=True, group="receipt", exit_on_error=False)
    def _receipt(self, period: Period, by: str, name: str | None) -> None:
        from costtui import paths
        from costtui.export.save import save_receipt
        from costtui.export.text import receipt_text

        store = self.cost_app.get_store()
        receipt: Receipt
        if by == "provider" and name:
            receipt = period_receipt(store, period, provider=name)
        elif by == "model" and name:
            receipt = period_receipt(store, period, model=name)
        else:
            receipt = period_receipt(store, period)
            name = None
        saved = save_receipt(receipt, paths.exports_dir(), name or "")
        lines = receipt_text(receipt)
        self.app.call_from_thread(self.app.push_screen, ReceiptDialog(lines, saved))

    def action_save_report(self) -> None:
        if self.data is not None:
            self._save_report(self.data.report)

    @work(thread=True, group="save-report", exit_on_error=False)
    def _save_report(self, report: Report) -> None:
        from costtui import paths
        from costtui.export.save import save_report

        saved = save_report(report, paths.exports_dir())
        self.app.call_from_thread(self.notify, "Saved " + " and ".join(str(p) for p in saved), title="Report")

    def action_export_events(self) -> None:
        if self.data is None or self.exporting:
            return
        period = self.data.report.period
        start = datetime(period.start.year, period.start.month, period.start.day, tzinfo=UTC)
        end = datetime(period.end.year, period.end.month, period.end.day, tzinfo=UTC) + timedelta(days=1)
        self.start_export(EventFilter(start=start, end=end), f"{period.start}_{period.end}")

    def start_export(self, flt: EventFilter, label: str) -> None:
        """Export the events a filter matches as CSV into the exports folder, with progress."""
        from costtui import paths

        self.exporting = True
        self.add_class("-exporting")
        self.query_one("#export-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#export-status", Static).update("Counting events…")
        self.refresh_bindings()
        self._export(flt, paths.exports_dir() / f"costtui-events-{label}.csv")

    @work(thread=True, group="export", exclusive=True, exit_on_error=False)
    def _export(self, flt: EventFilter, path: Path) -> None:
        from costtui.export.events import export_to_file

        store = self.cost_app.get_store()
        total = store.count_events(flt)
        self.post_message(self.ExportProgress(0, total))

        def progress(done: int) -> None:
            self.post_message(self.ExportProgress(done, total))

        try:
            count = export_to_file(store, flt, path, "csv", progress)
        finally:
            self.app.call_from_thread(self._export_finished)
        self.post_message(self.ExportDone(path, count))

    def _export_finished(self) -> None:
        self.exporting = False
        self.refresh_bindings()

    @on(ExportProgress)
    def _export_progress(self, message: ExportProgress) -> None:
        self.query_one("#export-progress", ProgressBar).update(total=max(message.total, 1), progress=message.done)
        self.query_one("#export-status", Static).update(f"Exporting {message.done:,} of {message.total:,} events…")

    @on(ExportDone)
    def _export_done(self, message: ExportDone) -> None:
        self.query_one("#export-status", Static).update(f"Exported {message.count:,} events to {message.path}")
        self.notify(f"Exported {message.count:,} events to {message.path}", title="Export")
