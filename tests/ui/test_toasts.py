"""Toasts leave the screen when their time is up, at every size (the terminal, not just the DOM)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets._toast import Toast, ToastRack

from costtui.ui.app import CostApp

from .conftest import build_app, settle, wait_until
from .terminal import Terminal


def toasts(app: CostApp) -> list[Toast]:
    rack = app.screen.get_child_by_type(ToastRack)
    return [w for w in rack.walk_children() if isinstance(w, Toast)]


async def expire_toasts(pilot: Any, app: CostApp, timeout: float) -> None:
    """Fire each toast's own timer now (no waiting for the wall clock), after checking it is armed."""
    shown = toasts(app)
    assert shown
    for toast in shown:
        assert [t._interval for t in toast._timers] == [pytest.approx(timeout, abs=0.5)]  # time left when shown
        toast._expire()
    assert await wait_until(pilot, lambda: not toasts(app))


async def test_toast_leaves_the_80x24_dashboard(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = Terminal(app, 80, 24)
        await settle(pilot)
        app.notify("Port 8787 is taken", title="listener", timeout=12)
        assert await wait_until(pilot, lambda: "Port 8787 is taken" in screen.text)
        await expire_toasts(pilot, app, 12)
        assert await wait_until(pilot, lambda: "Port 8787" not in screen.text), screen.text


async def test_toast_leaves_empty_quotas_after_sync(db_path: Path) -> None:
    app = build_app(db_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = Terminal(app, 80, 24)
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("s")
        assert await wait_until(pilot, lambda: "Syncing" in screen.text)
        await expire_toasts(pilot, app, 2)
        assert await wait_until(pilot, lambda: "Syncing" not in screen.text), screen.text
