"""The Budgets screen (key 6): budgets with bars and projections, add/edit/delete through the dialog
(mistakes said in words), the alerts log with delivery status, and the toast and bell when a
threshold fires while the TUI runs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input, Static

from costtui.models import Budget
from costtui.store import Store
from costtui.ui.app import CostApp
from costtui.ui.dialogs.budget_form import BudgetFormModal
from costtui.ui.screens.budgets import BudgetItem, BudgetsScreen

from .conftest import build_app, settle, text_of, wait_until


def _recorder(app: CostApp) -> tuple[list[tuple[str, str]], list[int]]:
    notes: list[tuple[str, str]] = []
    bells: list[int] = []
    original = app.notify

    def record(message: str, **kwargs: Any) -> None:
        notes.append((kwargs.get("title", ""), message))
        original(message, **kwargs)

    app.notify = record  # type: ignore[method-assign]
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    return notes, bells


def _list_text(app: CostApp) -> str:
    return "\n".join(text_of(item.query_one(Static)) for item in app.screen.query(BudgetItem))


async def test_the_demo_budgets_show_spend_and_projection(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        assert isinstance(app.screen, BudgetsScreen)
        shown = _list_text(app)
        assert "monthly total" in shown and "anthropic weekly" in shown and "provider anthropic" in shown
        assert " of $" in shown and "→ $" in shown and "by Nov 30" in shown
        log = app.screen.query_one("#alerts-log", DataTable)
        assert log.row_count == 0 and "no alerts yet" in str(log.border_subtitle)


async def test_add_a_budget_with_a_mistake_then_right_and_its_alerts_toast_once(demo_db: Path) -> None:
    app = build_app(demo_db)
    notes, bells = _recorder(app)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, BudgetFormModal)
        dialog.query_one("#b-name", Input).value = "tight"
        dialog.query_one("#b-limit", Input).value = "0"
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = text_of(dialog.query_one("#budget-error", Static))
        assert "limit: the limit must be more than 0" in error
        dialog.query_one("#b-limit", Input).value = "ten"
        await pilot.press("ctrl+s")
        assert "'ten' is not a number of dollars" in text_of(dialog.query_one("#budget-error", Static))
        dialog.query_one("#b-limit", Input).value = "1"
        dialog.query_one("#b-thresholds", Input).value = "50, 100"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BudgetsScreen)
        await settle(pilot)
        assert await wait_until(pilot, lambda: "tight" in _list_text(app) and "EXCEEDED" in _list_text(app))
        # Spend is far past $1: 50% and 100% are claimed together, one toast says the worst, one bell.
        fired = [n for n in notes if n[0].startswith("Budget tight")]
        assert fired == [("Budget tight: 100% exceeded", fired[0][1])] and "$1.00" in fired[0][1]
        assert bells == [1]
        log = app.screen.query_one("#alerts-log", DataTable)
        assert await wait_until(pilot, lambda: log.row_count == 2)
        # A second check claims nothing more: no toast, no bell.
        app.check_budgets_soon()
        await settle(pilot)
        assert len([n for n in notes if n[0].startswith("Budget tight")]) == 1 and bells == [1]
    with Store(demo_db) as store:
        saved = store.budgets.find("tight")
        assert saved.limit_usd == Decimal(1) and saved.thresholds == (50, 100)
        assert [a.threshold for a in store.budgets.alerts()] == [100, 50]


async def test_edit_and_delete_the_selected_budget(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        # The list is sorted by name: "anthropic weekly" first.
        await pilot.press("e")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, BudgetFormModal) and dialog.editing is not None
        assert dialog.editing.name == "anthropic weekly"
        dialog.query_one("#b-limit", Input).value = "999"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert await wait_until(pilot, lambda: "$999.00" in _list_text(app))
        await pilot.press("down", "d")
        await settle(pilot)
        await pilot.press("y")
        assert await wait_until(pilot, lambda: "monthly total" not in _list_text(app))
        assert "anthropic weekly" in _list_text(app)
    with Store(demo_db) as store:
        assert [b.name for b in store.budgets.all()] == ["anthropic weekly"]


async def test_the_alerts_log_shows_a_failed_send(demo_db: Path) -> None:
    with Store(demo_db) as store:
        budget = store.budgets.add(Budget(name="x", limit_usd=Decimal(1)))
        alert = store.budgets.claim_alert(budget, date(2026, 11, 1), 80, Decimal("0.9"))
        assert alert is not None and alert.id is not None
        ok = store.budgets.add_delivery(alert.id, "slack", "hooks.slack.com")
        store.budgets.finish_delivery(ok.id or 0, "sent", 1)
        bad = store.budgets.add_delivery(alert.id, "email", "ops@example.com")
        store.budgets.finish_delivery(bad.id or 0, "failed", 4, "smtp.example.com refused the login")
    app = build_app(demo_db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        log = text_of(app.screen.query_one("#alerts-log", DataTable))
        assert "✓ slack" in log and "✗ email: smtp.example.com refused the login" in log
        assert "80%" in log and "$0.90 / $1.00" in log


async def test_empty_budgets_screen_teaches(db_path: Path) -> None:
    app = build_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        empty = text_of(app.screen.query_one("#budgets-empty", Static))
        assert "No budgets yet" in empty and "press a to add one" in empty
        assert "costtui budgets add" in empty


async def test_an_alert_raised_in_the_tui_goes_to_the_webhook_and_the_log_says_so(demo_db: Path) -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    from costtui.config import AlertSettings

    bodies: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        bodies.append(await request.json())
        return web.Response()

    web_app = web.Application()
    web_app.router.add_post("/hook", hook)
    server = TestServer(web_app, host="127.0.0.1")
    await server.start_server()
    with Store(demo_db) as store:
        store.budgets.add(Budget(name="tiny", limit_usd=Decimal("0.01"), thresholds=(100,)))
    app = build_app(demo_db)
    app.settings = app.settings.model_copy(
        update={"alerts": AlertSettings(webhooks=[{"url": f"http://127.0.0.1:{server.port}/hook", "format": "slack"}])}
    )
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("6")
            await settle(pilot)
            app.check_budgets_soon()
            log = app.screen.query_one("#alerts-log", DataTable)
            assert await wait_until(pilot, lambda: "✓ slack" in text_of(log), steps=150), text_of(log)
    finally:
        await server.close()
    assert len(bodies) == 1 and "Budget tiny: 100% exceeded" in bodies[0]["text"]
