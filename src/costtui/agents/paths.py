"""Where each agent keeps its logs (the defaults ccusage scans, and the same overrides)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from costtui.agents import CLAUDE_CODE, CODEX, GEMINI_CLI


@dataclass(frozen=True)
class LogRoot:
    """A folder scanned recursively for one agent's log files."""

    source: str
    path: Path
    suffixes: tuple[str, ...]


def _split(value: str) -> list[Path]:
    return [Path(p.strip()).expanduser() for p in value.split(",") if p.strip()]


def claude_roots(env: Mapping[str, str] | None = None, home: Path | None = None) -> list[Path]:
    """``projects/`` folders: each ``CLAUDE_CONFIG_DIR`` entry (comma-separated) when it is set,
    else ``$XDG_CONFIG_HOME/claude`` and ``~/.claude``."""
    env = os.environ if env is None else env
    home = home or Path.home()
    configured = env.get("CLAUDE_CONFIG_DIR", "").strip()
    if configured:
        bases = _split(configured)
    else:
        xdg = env.get("XDG_CONFIG_HOME", "").strip()
        bases = [Path(xdg) / "claude" if xdg else home / ".config" / "claude", home / ".claude"]
    roots: list[Path] = []
    for base in bases:
        root = base if base.name == "projects" else base / "projects"
        if root not in roots:
            roots.append(root)
    return roots


def codex_roots(env: Mapping[str, str] | None = None, home: Path | None = None) -> list[Path]:
    """``sessions/`` then ``archived_sessions/`` of each ``CODEX_HOME`` entry (default ``~/.codex``)."""
    env = os.environ if env is None else env
    home = home or Path.home()
    configured = env.get("CODEX_HOME", "").strip()
    bases = _split(configured) if configured else [home / ".codex"]
    return [base / name for base in bases for name in ("sessions", "archived_sessions")]


def gemini_roots(env: Mapping[str, str] | None = None, home: Path | None = None) -> list[Path]:
    """``~/.gemini/tmp`` (``GEMINI_DATA_DIR``, comma-separated, overrides it as in ccusage)."""
    env = os.environ if env is None else env
    home = home or Path.home()
    configured = env.get("GEMINI_DATA_DIR", "").strip()
    return _split(configured) if configured else [home / ".gemini" / "tmp"]


SUFFIXES = {CLAUDE_CODE: (".jsonl",), CODEX: (".jsonl",), GEMINI_CLI: (".json", ".jsonl")}


def default_roots(source: str, env: Mapping[str, str] | None = None, home: Path | None = None) -> list[LogRoot]:
    finder = {CLAUDE_CODE: claude_roots, CODEX: codex_roots, GEMINI_CLI: gemini_roots}[source]
    return [LogRoot(source, p, SUFFIXES[source]) for p in finder(env, home)]


def roots_for(source: str, path: Path) -> list[LogRoot]:
    """The roots to scan for an explicit ``--path`` (a Claude config dir is accepted too)."""
    if source == CLAUDE_CODE and (path / "projects").is_dir():
        path = path / "projects"
    if source == CODEX and not path.name.endswith("sessions") and (path / "sessions").is_dir():
        return [LogRoot(source, path / n, SUFFIXES[source]) for n in ("sessions", "archived_sessions")]
    return [LogRoot(source, path, SUFFIXES[source])]


def walk(root: LogRoot) -> Iterator[tuple[Path, os.stat_result]]:
    """Every log file under ``root`` with its stat, depth first, without building the tree in memory."""
    stack = [root.path]
    while stack:
        folder = stack.pop()
        try:
            entries = os.scandir(folder)
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.name.endswith(root.suffixes) and entry.is_file():
                        yield Path(entry.path), entry.stat()
                except OSError:
                    continue
