"""The TUI's coding-agent watcher: the services' watch loop in a thread worker.

The first pass imports what is new (everything, the first time) and reports its progress; then
the files are looked at every few seconds, so an active coding session shows up live.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from costtui.formatting import plural

if TYPE_CHECKING:
    from costtui.agents.scan import ScanReport
    from costtui.ui.app import CostApp


class AgentWatch:
    def __init__(self, app: CostApp) -> None:
        self.app = app
        self.stop_event = threading.Event()
        self.running = False
        self.first_done = False
        self.progress = ""
        """What the first import is doing ("importing claude-code: 120 files, 48,000 lines")."""
        self._last_progress = 0.0

    def start(self) -> None:
        self.running = True
        self.app.run_worker(self._run, thread=True, group="agents", exit_on_error=False, name="agent-watch")

    def stop(self) -> None:
        self.stop_event.set()

    def _progress(self, report: ScanReport) -> None:
        now = time.monotonic()
        if now - self._last_progress < 0.2:
            return
        self._last_progress = now
        self.progress = (
            f"importing {report.source} logs: {plural(report.files_read, 'file')},"
            f" {report.lines:,} lines, {report.events_added:,} events"
        )

    def _on_report(self, reports: list[ScanReport]) -> None:
        if not self.first_done:
            self.first_done = True
            added = sum(r.events_added for r in reports)
            self.progress = f"imported {added:,} new agent events" if added else ""
        if any(r.changed for r in reports):
            self.app.data_changed()

    def _run(self) -> None:
        from costtui.services.agents import watch

        try:
            watch(self.app.db_path, self.stop_event, on_report=self._on_report, progress=self._progress)
        except Exception as exc:  # e.g. a read-only database: say so on the Agents screen, no crash
            from costtui.ui.errors import describe_error

            self.progress = f"agent logs are not imported here: {describe_error(exc)}"
        finally:
            self.running = False


def start_agent_watch(app: CostApp, *, enabled: bool) -> AgentWatch:
    watcher = AgentWatch(app)
    if enabled:
        watcher.start()
    return watcher
