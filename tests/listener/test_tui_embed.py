"""The listener embedded in the TUI: starts with the app, viewer mode, errors as notifications."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from listener_helpers import AUTH, INGEST_KEY, count_rows, good_event

pytest.importorskip("textual")
ui_app = pytest.importorskip("costtui.ui.app")
if "embedded_listener" not in Path(ui_app.__file__).read_text(encoding="utf-8"):
    pytest.skip("the TUI does not embed the listener yet", allow_module_level=True)

from costtui.config import ListenerSettings, Settings  # noqa: E402
from costtui.listener import Listener  # noqa: E402


def make(db: Path, port: int, **listener: Any) -> Any:
    settings = Settings(listener=ListenerSettings(port=port, **listener))
    return ui_app.make_app(settings, db, listener=True)


async def until(pilot: Any, condition: Any, steps: int = 300) -> bool:
    for _ in range(steps):
        if condition():
            return True
        await pilot.pause(0.05)
    return bool(condition())


@pytest.fixture(autouse=True)
def ingest_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COSTTUI_INGEST_KEY", INGEST_KEY)


async def test_listener_runs_in_the_app_and_stops_with_it(db_path: Path) -> None:
    app = make(db_path, 0)
    async with app.run_test(size=(120, 40)) as pilot:
        assert await until(pilot, lambda: app.embedded_listener.running)
        listener = app.embedded_listener.listener
        assert "listening 127.0.0.1:" in app.listener_status
        changed = []
        app.data_changed = lambda: changed.append(1)  # type: ignore[method-assign]
        async with (
            aiohttp.ClientSession() as c,
            c.post(listener.url + "/ingest", json=good_event(), headers=AUTH) as resp,
        ):
            assert resp.status == 200
        assert changed
        assert await until(pilot, lambda: "1 event/min" in app.listener_status)
        url = listener.url
    assert not listener.running
    assert count_rows(db_path) == 1
    with pytest.raises(aiohttp.ClientError):
        async with aiohttp.ClientSession() as c, c.get(url + "/health") as resp:
            pass


async def test_port_held_by_serve_opens_a_viewer(db_path: Path) -> None:
    async with Listener(db_path, ListenerSettings(port=0)) as other:
        app = make(db_path, other.port)
        async with app.run_test(size=(120, 40)) as pilot:
            assert await until(pilot, lambda: app.listener_status.startswith("viewer"))
            assert f"costtui serve on 127.0.0.1:{other.port}" in app.listener_status
            assert app.embedded_listener.listener is None
            assert app.is_running


async def test_port_held_by_something_else_is_a_notification(db_path: Path) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    try:
        app = make(db_path, sock.getsockname()[1])
        async with app.run_test(size=(120, 40)) as pilot:
            # Wait for the notification itself: the status reads "listener off" before the start too.
            assert await until(
                pilot, lambda: any("used by another program" in str(n.message) for n in app._notifications)
            )
            assert app.listener_status.startswith("listener off")
            assert app.is_running
    finally:
        sock.close()


async def test_listener_disabled_in_settings(db_path: Path) -> None:
    app = make(db_path, 0, enabled=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.listener_status == "listener off" and not app.embedded_listener.running


async def test_settings_listener_section_creates_and_deletes_tokens(db_path: Path) -> None:
    from costtui.ui.widgets.listener_panel import ListenerSection

    app = make(db_path, 0)
    async with app.run_test(size=(120, 60)) as pilot:
        assert await until(pilot, lambda: app.embedded_listener.running)
        await pilot.press("0")
        section = app.screen.query_one(ListenerSection)
        assert await until(pilot, lambda: "No tracking tokens" in _text(section))
        section.focus()
        await pilot.press("n")
        await pilot.pause()
        for ch in "bot1":
            await pilot.press(ch)
        await pilot.press("enter")
        assert await until(pilot, lambda: section.created is not None)
        secret = section.created.secret
        assert await until(pilot, lambda: "bot1" in _text(section))
        # The new token works against the embedded listener right away.
        url = app.embedded_listener.listener.url
        async with (
            aiohttp.ClientSession() as c,
            c.post(url + "/ingest", json=good_event(tracking_token=secret), headers=AUTH) as resp,
        ):
            assert resp.status == 200
        # Delete, with confirmation.
        section.focus()
        await pilot.press("x")
        assert await until(pilot, lambda: type(app.screen).__name__ == "PickTokenScreen")
        await pilot.press("enter")
        assert await until(pilot, lambda: type(app.screen).__name__ == "ConfirmModal")
        await pilot.press("y")
        assert await until(pilot, lambda: "No tracking tokens" in _text(section))
        async with (
            aiohttp.ClientSession() as c,
            c.post(url + "/ingest", json=good_event(tracking_token=secret, event_id="2"), headers=AUTH) as resp,
        ):
            assert resp.status == 403


def _text(widget: Any) -> str:
    from textual.geometry import Region

    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join(line.text.rstrip() for line in lines)
