"""Pilot tests: modes, keys, live updates, errors."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from costtui.demo import demo_events
from costtui.store import Store
from costtui.ui.app import MODE_TABLE, CostApp
from costtui.ui.dialogs.help import HelpScreen
from costtui.ui.screens.activity import ActivityScreen
from costtui.ui.screens.dashboard import DashboardScreen
from costtui.ui.screens.proxy import ProxyScreen
from costtui.ui.screens.settings import SettingsScreen
from costtui.ui.widgets.keybar import KeyBar
from costtui.ui.widgets.kpi import KpiCard

from .conftest import FROZEN_NOW, build_app, settle, text_of, wait_until


def kpi_of(screen: Any, name: str) -> str:
    return screen.query_one(f"#kpi-{name}", KpiCard).value_text


def kpi(app: CostApp, name: str) -> str:
    return kpi_of(app.screen, name)


async def test_mode_keys_switch_screens(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("2")
        assert isinstance(app.screen, ActivityScreen)
        await pilot.press("4")
        assert isinstance(app.screen, ProxyScreen)
        await pilot.press("0")
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("1")
        assert isinstance(app.screen, DashboardScreen)


async def test_footer_shows_only_screens_that_exist(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        keys = {b.key for b in CostApp.BINDINGS if b.action.startswith("switch_mode")}  # type: ignore[union-attr]
        assert keys == {spec.key for spec in MODE_TABLE}
        footer = text_of(app.screen.query_one(KeyBar))
        for label in (
            "1 Dashboard",
            "2 Activity",
            "3 Quotas",
            "4 Proxy",
            "5 Agents",
            "6 Budgets",
            "7 Reports",
            "0 Settings",
            "? Help",
            "q Quit",
        ):
            assert label in footer
    async with build_app(demo_db).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        footer = text_of(pilot.app.screen.query_one(KeyBar))
        # Narrower, the screen keys fold into one entry; help and quit stay.
        assert "12345670 Screens" in footer and "? Help" in footer and "q Quit" in footer


async def test_every_binding_has_an_id() -> None:
    from costtui.ui.dialogs.event_detail import EventDetailScreen
    from costtui.ui.dialogs.filters import FilterScreen
    from costtui.ui.screens.activity import EventsTable

    for owner in (CostApp, DashboardScreen, ActivityScreen, EventsTable, FilterScreen, EventDetailScreen, HelpScreen):
        for binding in owner.BINDINGS:
            assert binding.id, f"{owner.__name__}: {binding.key} has no id"  # type: ignore[union-attr]


async def test_keymap_from_settings_rebinds(demo_db: Path) -> None:
    app = build_app(demo_db, keymap={"screen.activity": "a"})
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        keys = text_of(app.screen.query_one("#help-keys"))
        line = next(line for line in keys.splitlines() if "screen.activity" in line)
        assert line.split()[0] == "a"
        await pilot.press("escape")
        await pilot.press("a")
        assert isinstance(app.screen, ActivityScreen)


async def test_help_lists_every_key(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        ids = [e.binding.id for section in app.screen.sections() for e in section.entries]
        for binding in CostApp.BINDINGS:
            assert binding.id in ids  # type: ignore[union-attr]
        assert "dashboard.range" in ids and "dialog.save" in ids  # this screen, and a dialog
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_command_palette_commands(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in (
            "screen: dashboard",
            "screen: activity",
            "screen: settings",
            "theme: toggle dark/light",
            "range: 30 days",
        ):
            assert title in titles
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "screen: activity")
        command.callback()
        await settle(pilot)
        assert isinstance(app.screen, ActivityScreen)


async def test_theme_toggle(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        dark = app.current_theme.dark
        await pilot.press("ctrl+t")
        assert app.current_theme.dark is not dark
        await pilot.press("ctrl+t")
        assert app.current_theme.dark is dark


async def test_header_says_demo_and_listener_status(demo_db: Path) -> None:
    app = build_app(demo_db, demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "demo database" in app.sub_title
        assert "listener off" in app.sub_title
        app.listener_status = "listening on 127.0.0.1:8787"
        await pilot.pause()
        assert "listening on 127.0.0.1:8787" in app.sub_title


async def test_live_update_from_another_process(demo_db: Path) -> None:
    """Another connection commits: the poller notices data_version and the KPI changes."""
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        before = kpi(app, "events")
        with Store(demo_db) as other:
            other.record(list(demo_events(1, now=FROZEN_NOW, seed=99, per_day=40)))
        assert await wait_until(pilot, lambda: kpi(app, "events") != before), "dashboard did not reload"
        with Store(demo_db) as other:
            assert kpi(app, "events") == f"{other.totals().events:,}"


async def test_data_changed_is_thread_safe(demo_db: Path) -> None:
    """An in-process listener calls data_changed() from its own thread; no polling involved."""
    app = build_app(demo_db, refresh_seconds=3600)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        before = kpi(app, "events")
        with Store(demo_db) as writer:
            writer.record(list(demo_events(1, now=FROZEN_NOW, seed=5, per_day=30)))
        threads = [threading.Thread(target=app.data_changed) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert await wait_until(pilot, lambda: kpi(app, "events") != before)


async def test_hidden_screen_reloads_when_shown(demo_db: Path) -> None:
    app = build_app(demo_db, refresh_seconds=3600)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        dashboard = next(s for s in app._data_screens if isinstance(s, DashboardScreen))
        painted = kpi_of(dashboard, "events")
        with Store(demo_db) as writer:
            writer.record(list(demo_events(1, now=FROZEN_NOW, seed=6, per_day=30)))
        app.data_changed()
        assert await wait_until(pilot, lambda: dashboard.stale)
        await settle(pilot)
        assert kpi_of(dashboard, "events") == painted  # hidden: not repainted
        await pilot.press("1")
        await settle(pilot)
        with Store(demo_db) as other:
            assert kpi(app, "events") == f"{other.totals().events:,}"


async def test_worker_error_is_a_notification(demo_db: Path, monkeypatch: Any) -> None:
    import costtui.ui.screens.dashboard as dashboard_module

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(dashboard_module, "load_dashboard", broken)
    app = build_app(demo_db)
    notes: list[tuple[str, str]] = []
    original = app.notify

    def record(message: str, **kwargs: Any) -> None:
        notes.append((message, kwargs.get("severity", "information")))
        original(message, **kwargs)

    app.notify = record  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert any("database is locked" in m and s == "error" for m, s in notes), notes
        assert app.is_running


async def test_empty_database_shows_empty_state(db_path: Path) -> None:
    app = build_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.has_class("-empty")
        empty = screen.query_one("#dash-empty")
        assert empty.display and "No usage yet" in text_of(empty)
        # The listener is off in this window: the empty state says how to get one, at which URL.
        assert "costtui --demo" in text_of(empty) and "POST http://127.0.0.1:8787/ingest" in text_of(empty)
        assert not screen.query_one("#dash-body").display
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.has_class("-empty")
        assert "No usage yet" in text_of(app.screen.query_one("#activity-empty"))
        await pilot.press("0")
        await settle(pilot)
        database = text_of(app.screen.query_one("DatabaseSection"))
        assert "events" in database and "schema version" in database and "no usage yet" in database


async def test_unreadable_database_is_an_error_not_a_crash(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-database.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    app = build_app(bad)
    notes: list[str] = []
    original = app.notify

    def record(message: str, **kwargs: Any) -> None:
        notes.append(message)
        original(message, **kwargs)

    app.notify = record  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.is_running
        assert any("not-a-database.db" in n for n in notes), notes
        assert "error" in text_of(app.screen.query_one("#dash-loading"))
        await pilot.press("2")
        await settle(pilot)
        assert "error" in text_of(app.screen.query_one("#activity-status"))
