"""The Reports screen (key 7): the report, reconciliation, anomalies, receipts and exports."""

from __future__ import annotations

import csv
from pathlib import Path

from textual.widgets import DataTable, TabbedContent

from costtui import paths
from costtui.formatting import money
from costtui.store import Store
from costtui.ui.screens.reports import ReceiptDialog, ReportsScreen

from .conftest import FROZEN_NOW, build_app, settle, text_of


def cell_text(table: DataTable[object], row: int, column: int) -> str:
    return str(table.get_row_at(row)[column])


async def test_report_total_is_the_store_total_and_the_pickers_reload(demo_db: Path) -> None:
    month_start = FROZEN_NOW.date().replace(day=1)
    with Store(demo_db) as store:
        expected = store.totals(month_start, FROZEN_NOW.date())
        by_app = store.by_dimension("app", month_start, FROZEN_NOW.date())
    app = build_app(demo_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        table = screen.query_one("#report-table", DataTable)
        last = table.row_count - 1
        assert cell_text(table, last, 0) == "TOTAL"
        assert cell_text(table, last, 1).strip() == money(expected.cost_usd)
        assert cell_text(table, last, 3) == f"{expected.events:,}"
        assert "November 2026" in text_of(screen.query_one("#reports-bar"))
        await pilot.press("b")  # model -> app
        await settle(pilot)
        assert screen.by == "app"
        assert table.row_count == len(by_app) + 1
        assert "by app" in text_of(screen.query_one("#reports-bar"))
        await pilot.press("p")  # this month -> last month
        await settle(pilot)
        assert "October 2026" in text_of(screen.query_one("#reports-bar"))


async def test_reconciliation_and_anomaly_views(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await settle(pilot)
        screen = app.screen
        await pilot.press("v")
        await pilot.pause()
        assert screen.query_one("#reports-tabs", TabbedContent).active == "tab-reconcile"
        recon = screen.query_one("#reconcile-table", DataTable)
        assert recon.row_count > 0
        note = text_of(screen.query_one("#reconcile-note"))
        assert "difference = billed − metered" in note and "not $0" in note
        await pilot.press("v")
        await pilot.pause()
        assert screen.query_one("#reports-tabs", TabbedContent).active == "tab-anomalies"
        text = text_of(screen.query_one("#anomaly-list"))
        assert "same weekday" in text


async def test_export_streams_the_period_with_progress(demo_db: Path) -> None:
    month_start = FROZEN_NOW.date().replace(day=1)
    with Store(demo_db) as store:
        expected = store.totals(month_start, FROZEN_NOW.date()).events
    app = build_app(demo_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await settle(pilot)
        screen = app.screen
        await pilot.press("e")
        await settle(pilot)
        target = paths.exports_dir() / f"costtui-events-{month_start}_{FROZEN_NOW.date()}.csv"
        with target.open(newline="") as f:
            assert len(list(csv.DictReader(f))) == expected
        assert f"Exported {expected:,} events" in text_of(screen.query_one("#export-status"))
        assert screen.has_class("-exporting") and not screen.exporting


async def test_receipt_for_the_selected_model(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen) and screen.data is not None
        top = screen.data.report.rows[0].name
        await pilot.press("t")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ReceiptDialog)
        text = text_of(dialog.query_one("#receipt-text"))
        assert top in text and "TOTAL" in text
        assert all(p.exists() for p in dialog.paths) and {p.suffix for p in dialog.paths} == {".txt", ".pdf"}
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_activity_exports_what_is_filtered(demo_db: Path) -> None:
    from costtui.models import EventFilter

    with Store(demo_db) as store:
        expected = store.count_events(EventFilter(provider="anthropic"))
    app = build_app(demo_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        activity = app.screen
        activity.set_filter(EventFilter(provider="anthropic"))  # type: ignore[attr-defined]
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ReportsScreen)
        [target] = paths.exports_dir().glob("costtui-events-activity-*.csv")
        with target.open(newline="") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == expected and {r["provider"] for r in rows} == {"anthropic"}


async def test_receipt_for_one_event_from_activity(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        activity = app.screen
        event = activity.events[activity.order[0]]  # type: ignore[attr-defined]
        await pilot.press("t")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ReceiptDialog)
        text = text_of(dialog.query_one("#receipt-text"))
        assert "one AI API request" in text and event.model in text and "TOTAL" in text
        assert all(p.exists() for p in dialog.paths)
