"""Snapshots of each screen on a fixed demo dataset with a frozen clock.

Paths are made relative (the test runs inside its tmp folder) so the Settings screen shows the
same text on every machine. Update with ``pytest tests/ui --snapshot-update`` and look at the
report before committing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from .conftest import build_app, settle


@pytest.fixture
def snapshot_db(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(demo_db.parent)
    monkeypatch.setenv("COSTTUI_CONFIG", "config.toml")
    return Path(demo_db.name)


def press_then_settle(*keys: str) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
SCREENS = {
    "dashboard": "1",
    "activity": "2",
    "quotas": "3",
    "proxy": "4",
    "agents": "5",
    "budgets": "6",
    "reports": "7",
    "settings": "0",
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_screen(snap_compare: Any, snapshot_db: Path, screen: str, size: str) -> None:
    """Every screen on the demo (usage, provider accounts, billed costs, limits), at both sizes."""
    app = build_app(snapshot_db, demo=True)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=press_then_settle(SCREENS[screen]))


@pytest.mark.parametrize("size", SIZES)
def test_empty_dashboard(snap_compare: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch, size: str) -> None:
    monkeypatch.chdir(db_path.parent)
    app = build_app(Path(db_path.name))
    assert snap_compare(app, terminal_size=SIZES[size], run_before=press_then_settle())


def test_empty_proxy(snap_compare: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxied calls yet: the screen says how to point each SDK at the proxy."""
    monkeypatch.chdir(db_path.parent)
    app = build_app(Path(db_path.name))
    assert snap_compare(app, terminal_size=SIZES["80x24"], run_before=press_then_settle("4"))


def test_too_small_terminal(snap_compare: Any, snapshot_db: Path) -> None:
    app = build_app(snapshot_db, demo=True)
    assert snap_compare(app, terminal_size=(60, 20), run_before=press_then_settle())


@pytest.mark.parametrize("size", SIZES)
def test_agents_screen(snap_compare: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch, size: str) -> None:
    """The Agents screen: a current 5-hour block with a Codex plan window, sessions, projects."""
    from costtui.store import Store

    from .agent_data import seed_agents

    with Store(db_path) as store:
        seed_agents(store)
    monkeypatch.chdir(db_path.parent)
    app = build_app(Path(db_path.name))
    assert snap_compare(app, terminal_size=SIZES[size], run_before=press_then_settle("5"))
