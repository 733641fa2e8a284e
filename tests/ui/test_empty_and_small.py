"""Empty states name the real listener URL and this app's keys and offer the demo; a terminal
below the minimum gets a message, not a broken layout; the demo window keeps off the real port."""

from __future__ import annotations

from pathlib import Path

import pytest

from costtui.config import ListenerSettings, Settings, UISettings
from costtui.ui.app import make_app
from costtui.ui.screens.too_small import MIN_HEIGHT, MIN_WIDTH, TooSmallScreen

from .conftest import FROZEN_NOW, build_app, settle, text_of, wait_until


@pytest.fixture(autouse=True)
def ingest_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COSTTUI_INGEST_KEY", "test-ingest-key-0123456789abcdef")


async def test_empty_states_name_the_running_listener_and_the_keys(db_path: Path) -> None:
    settings = Settings(listener=ListenerSettings(port=0), ui=UISettings(keymap={"quotas.add": "n"}))
    app = make_app(settings, db_path, listener=True, now=FROZEN_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        assert await wait_until(pilot, lambda: app.embedded_listener.running)
        listener = app.embedded_listener.listener
        assert listener is not None and listener.port not in (0, 8787)
        await settle(pilot)
        dash = text_of(app.screen.query_one("#dash-empty"))
        assert f"POST {listener.url}/ingest" in dash
        # The user's keymap moved "add account" to n: the hint follows it.
        assert "press 3, then n to add a provider account" in dash
        assert "costtui --demo" in dash and "of its own" in dash
        await pilot.press("2")
        await settle(pilot)
        assert f"POST {listener.url}/ingest" in text_of(app.screen.query_one("#activity-empty"))
        await pilot.press("3")
        await settle(pilot)
        quotas = text_of(app.screen.query_one("#quotas-empty"))
        assert "No provider accounts yet" in quotas
        assert "press n to add an account" in quotas and "press c to add a cost by hand" in quotas
        assert "costtui --demo" in quotas
        # Every line fits the 80-column box: nothing wraps mid-sentence.
        assert all(not line.startswith("│  own") for line in quotas.splitlines())


async def test_empty_state_without_listener_says_how_to_get_one(db_path: Path) -> None:
    app = build_app(db_path)  # listener=False
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = text_of(app.screen.query_one("#dash-empty"))
        assert "the listener is off in this window: run costtui serve" in text
        assert "POST http://127.0.0.1:8787/ingest" in text


async def test_demo_window_listens_on_a_free_port_and_says_so(db_path: Path) -> None:
    app = make_app(Settings(), db_path, demo=True, listener=True, now=FROZEN_NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_until(pilot, lambda: app.embedded_listener.running)
        listener = app.embedded_listener.listener
        assert listener is not None and listener.port != 8787
        assert "demo database" in app.sub_title and f":{listener.port}" in app.sub_title


async def test_a_small_terminal_gets_a_message_and_recovers(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TooSmallScreen)
        message = text_of(app.screen.query_one("#too-small"))
        assert f"costtui needs at least {MIN_WIDTH}×{MIN_HEIGHT}" in message
        assert "this terminal is 60×20" in message
        # Keys of the screens underneath do nothing meanwhile; the message follows the size.
        await pilot.press("2")
        await pilot.resize_terminal(79, 30)
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        assert "this terminal is 79×30" in text_of(app.screen.query_one("#too-small"))
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert not isinstance(app.screen, TooSmallScreen)
        assert app.current_mode == "dashboard"
        assert app.screen.query_one("#dash-body").display


async def test_q_quits_from_the_too_small_message(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(40, 10)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TooSmallScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, TooSmallScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
