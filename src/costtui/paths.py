"""Where costtui keeps things: XDG base directories (platformdirs), each overridable.

Precedence for the database: ``--db`` flag > ``COSTTUI_DB`` > ``db_path`` in the config file >
``$XDG_DATA_HOME/costtui/costtui.db``. The config file: ``--config`` > ``COSTTUI_CONFIG`` >
``$XDG_CONFIG_HOME/costtui/config.toml``.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "costtui"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def state_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "costtui.db"


def demo_db_path() -> Path:
    return data_dir() / "demo.db"


def backups_dir() -> Path:
    return data_dir() / "backups"


def exports_dir() -> Path:
    """Where the TUI writes exports, reports and receipts (the CLI writes where it is told)."""
    return data_dir() / "exports"


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("COSTTUI_CONFIG")
    if env:
        return Path(env).expanduser()
    return config_dir() / "config.toml"


def db_path(explicit: str | os.PathLike[str] | None = None, configured: str | None = None) -> Path:
    return db_path_and_source(explicit, configured)[0]


def db_path_and_source(
    explicit: str | os.PathLike[str] | None = None, configured: str | None = None
) -> tuple[Path, str]:
    """The database path and where it came from: ``flag``, ``env``, ``config`` or ``default``.

    The source matters to read-only commands: a file named on the command line that does not
    exist is a mistake (a typo), while the other sources say where costtui *will* keep its data.
    """
    if explicit:
        return Path(explicit).expanduser(), "flag"
    env = os.environ.get("COSTTUI_DB")
    if env:
        return Path(env).expanduser(), "env"
    if configured:
        return Path(configured).expanduser(), "config"
    return default_db_path(), "default"
