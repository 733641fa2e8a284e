"""UI test fixtures: a demo database built once per session, a frozen clock, UTC local time."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from costtui.config import Settings, UISettings
from costtui.services.demo import fill_demo
from costtui.store import Store
from costtui.ui.app import CostApp, make_app

FROZEN_NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
DEMO_DAYS = 30
DEMO_SEED = 7


@pytest.fixture(autouse=True)
def utc_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The UI shows local times: pin the zone so tests and snapshots do not depend on the machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with Store(path) as store:
        # What `costtui --demo` shows: usage, and demo provider accounts with billed costs and limits.
        fill_demo(store, days=DEMO_DAYS, seed=DEMO_SEED, now=FROZEN_NOW)
    return path


@pytest.fixture
def demo_db(demo_template: Path, db_path: Path) -> Path:
    """A private copy of the demo database (tests may write to it)."""
    shutil.copy(demo_template, db_path)
    return db_path


def build_app(
    db: Path, *, refresh_seconds: float = 2.0, keymap: dict[str, str] | None = None, **kwargs: Any
) -> CostApp:
    settings = Settings(ui=UISettings(refresh_seconds=refresh_seconds, keymap=keymap or {}))
    kwargs.setdefault("listener", False)
    kwargs.setdefault("now", FROZEN_NOW)
    return make_app(settings, db, **kwargs)


def text_of(widget: Any) -> str:
    """What a widget shows, as plain text (its rendered lines)."""
    from textual.geometry import Region

    size = widget.outer_size
    lines = widget.render_lines(Region(0, 0, size.width, size.height))
    return "\n".join(line.text.rstrip() for line in lines)


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until every worker has finished and its results are painted (no sleeping)."""
    from textual.worker import WorkerFailed

    for _ in range(3):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerFailed:
            pass  # the app reports it (see test_worker_error_is_a_notification)
        await pilot.pause()


async def wait_until(pilot: Pilot[Any], condition: Any, steps: int = 60) -> bool:
    """Poll ``condition`` between short pauses of the app's own loop (bounded)."""
    for _ in range(steps):
        if condition():
            return True
        await pilot.pause(0.1)
    return bool(condition())
