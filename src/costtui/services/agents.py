"""Coding-agent import workflows: import now, or keep importing (the watcher the TUI and
``costtui serve --watch-agents`` both run)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from costtui.agents import AGENT_SOURCES, SOURCE_ALIASES
from costtui.agents.paths import LogRoot, default_roots, roots_for
from costtui.agents.scan import Progress, Scanner, ScanReport
from costtui.store import Store

log = logging.getLogger("costtui.agents")

WATCH_SECONDS = 3.0
"""How often the watcher looks at the log files (a look at an unchanged tree is a few stats)."""


def source_name(name: str) -> str:
    """``claude`` → ``claude-code``; an unknown name is a ValueError naming the known ones."""
    found = SOURCE_ALIASES.get(name.strip().lower())
    if found is None:
        raise ValueError(f"unknown agent {name!r}: use one of {', '.join(AGENT_SOURCES)}")
    return found


def roots(source: str, path: Path | None = None, env: Mapping[str, str] | None = None) -> list[LogRoot]:
    return roots_for(source, path) if path is not None else default_roots(source, env)


def discovered(env: Mapping[str, str] | None = None) -> list[str]:
    """The agents whose default log folders exist on this machine."""
    return [s for s in AGENT_SOURCES if any(r.path.is_dir() for r in default_roots(s, env))]


def import_logs(
    store: Store,
    sources: Iterable[str] | None = None,
    *,
    path: Path | None = None,
    progress: Progress | None = None,
    env: Mapping[str, str] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[ScanReport]:
    """Import (the new part of) each agent's logs; ``sources`` None = every agent found here."""
    chosen = list(sources) if sources is not None else discovered(env)
    scanner = Scanner(store, progress=progress, should_stop=should_stop)
    return [scanner.scan(source, roots(source, path, env)) for source in chosen]


def watch(
    db: Path,
    stop: threading.Event,
    *,
    interval: float = WATCH_SECONDS,
    on_report: Callable[[list[ScanReport]], None] | None = None,
    progress: Progress | None = None,
    env: Mapping[str, str] | None = None,
) -> None:
    """Import every agent's logs now and then every ``interval`` seconds until ``stop`` is set.

    Blocking: run it in a thread (a Textual thread worker, ``asyncio.to_thread``). It opens its
    own Store (a writer per thread). A failing pass is logged and retried at the next interval.
    """
    store = Store(db)
    try:
        first = True
        while not stop.is_set():
            try:
                reports = import_logs(store, progress=progress if first else None, env=env, should_stop=stop.is_set)
            except Exception as exc:  # a bad file or a busy database must not end the watch
                log.warning("agent log import failed: %s", exc)
                reports = []
            if on_report is not None and (first or any(r.changed for r in reports)):
                on_report(reports)
            first = False
            stop.wait(interval)
    finally:
        store.close()
