"""Shared fixtures: every test runs with its own XDG folders, database path and an in-memory keyring."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from costtui.secrets import Credentials


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in a dict: the real keyring API, nothing on disk."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.store:
            raise PasswordDeleteError(f"no password for {service}/{username}")
        del self.store[(service, username)]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads or writes the developer's real config, data or keyring."""
    for var in list(__import__("os").environ):
        if var.startswith("COSTTUI_"):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("COSTTUI_DB", str(tmp_path / "costtui.db"))
    monkeypatch.setenv("COSTTUI_CONFIG", str(tmp_path / "config.toml"))
    # Coding-agent logs: never the developer's own (the TUI imports them when it starts).
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "agents" / "claude"))
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "agents" / "codex"))
    monkeypatch.setenv("GEMINI_DATA_DIR", str(tmp_path / "agents" / "gemini"))
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    backend = keyring.get_keyring()
    assert isinstance(backend, MemoryKeyring)
    return backend


@pytest.fixture
def credentials() -> Credentials:
    """Credentials with the default ``[secrets]`` settings (environment overrides apply per call)."""
    return Credentials()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "costtui.db"


class SQLiteOnLoop(AssertionError):
    """The store was used from a thread that runs an asyncio loop."""


@pytest.fixture
def no_sqlite_on_loop(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """From here on, any store read or write made on a thread that runs an asyncio loop raises
    (and is listed): SQLite blocks, so it belongs in a worker thread. Yields the list of offenders."""
    import asyncio

    from costtui.store import Store

    offenders: list[str] = []

    def guarded(name: str) -> object:
        original = getattr(Store, name)

        def call(self: Store, *args: object, **kwargs: object) -> object:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return original(self, *args, **kwargs)
            offenders.append(name)
            raise SQLiteOnLoop(f"Store.{name} called on the event loop")

        return call

    for name in ("query", "scalar", "transaction"):
        monkeypatch.setattr(Store, name, guarded(name))
    yield offenders


@pytest.fixture(autouse=True)
def _costtui_logger_restored() -> Iterator[None]:
    """`costtui serve` run in-process (CliRunner) gives the ``costtui`` logger its own handler and
    stops propagation; later tests read logs through caplog, so each test starts from the default."""
    import logging

    logger = logging.getLogger("costtui")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]
