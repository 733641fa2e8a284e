"""The Agents screen (key 5): the current block, sessions, projects and past blocks; and the
watcher that keeps importing while a session runs."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from textual.widgets import DataTable, Static

from costtui.agents.scan import ScanReport
from costtui.services.agents import watch
from costtui.store import Store
from costtui.ui.screens.agents import AgentsScreen

sys.path.insert(0, str(Path(__file__).parent.parent / "agents"))
from logtree import append_lines, claude_line, write_lines  # noqa: E402

from .agent_data import seed_agents
from .conftest import build_app, settle, text_of


async def test_agents_screen_shows_the_block_sessions_and_plan_windows(db_path: Path) -> None:
    with Store(db_path) as store:
        seed_agents(store)
    app = build_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        assert isinstance(app.screen, AgentsScreen)
        block = text_of(app.screen.query_one("#agents-block", Static))
        assert "13:00–18:00" in block  # the block started at the first event's hour (UTC clock)
        assert "plan resets 17:00" in block  # the official window is shown beside the estimate
        assert "codex 5h" in block and "18% used" in block
        assert "claude-sonnet-4-5, gpt-5-codex" in block
        sessions = app.screen.query_one("#agents-sessions", DataTable)
        assert sessions.row_count == 3
        first = [str(c) for c in sessions.get_row_at(0)]
        assert first[1:3] == ["claude-code", "src/app"]  # the latest activity first
        past = app.screen.query_one("#agents-blocks", DataTable)
        assert past.row_count == 1


async def test_agents_screen_without_agent_usage_says_how_to_get_it(db_path: Path) -> None:
    app = build_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        assert app.screen.has_class("-empty")
        assert "costtui import" in text_of(app.screen.query_one("#agents-empty", Static))


def test_the_watcher_imports_lines_as_they_are_written(tmp_path: Path, db_path: Path) -> None:
    f = write_lines(tmp_path / "c" / "projects" / "p" / "s.jsonl", [claude_line(ts="2026-08-05T09:00:00Z")])
    env = {"CLAUDE_CONFIG_DIR": str(tmp_path / "c"), "CODEX_HOME": str(tmp_path / "none")}
    stop = threading.Event()
    seen: list[int] = []
    passes = threading.Semaphore(0)

    def reported(reports: list[ScanReport]) -> None:
        seen.append(sum(r.events_added for r in reports))
        passes.release()

    thread = threading.Thread(
        target=watch, args=(db_path, stop), kwargs={"interval": 0.05, "on_report": reported, "env": env}
    )
    thread.start()
    try:
        assert passes.acquire(timeout=20)
        append_lines(f, [claude_line(ts="2026-08-05T09:05:00Z", msg="m2", req="r2")])
        assert passes.acquire(timeout=20)
    finally:
        stop.set()
        thread.join(timeout=20)
    assert seen[:2] == [1, 1]
    with Store(db_path) as store:
        assert store.totals().events == 2
