"""Settings: a TOML file at the XDG config path, overridden by ``COSTTUI_*`` environment variables.

Nested sections use ``__`` in environment names (``COSTTUI_LISTENER__PORT=9000``). Secrets never
live here: provider keys are in the keyring (see ``secrets.py``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from costtui import paths


class ListenerSettings(BaseModel):
    host: str = "127.0.0.1"
    """Address the embedded listener binds; loopback by default."""
    port: int = Field(default=8787, ge=0, le=65535)
    """Port of the embedded listener (0 picks a free one)."""
    enabled: bool = True
    """Start the listener with the TUI."""


class UISettings(BaseModel):
    theme: str = "textual-dark"
    """Textual theme name; ``t`` toggles dark/light in the app."""
    refresh_seconds: float = Field(default=2.0, gt=0, le=3600)
    """How often the TUI checks the database for changes made by other processes."""
    keymap: dict[str, str] = Field(default_factory=dict)
    """Rebind keys by binding id, e.g. ``{"screen.activity" = "a"}``."""


class Settings(BaseSettings):
    """All of costtui's settings."""

    model_config = SettingsConfigDict(env_prefix="COSTTUI_", env_nested_delimiter="__", extra="ignore")

    db_path: str | None = None
    """Database file; ``--db`` and ``COSTTUI_DB`` take precedence."""
    retention_days: int | None = Field(default=None, ge=1)
    """Prune raw events older than this many days (their daily totals are kept). None keeps all."""
    listener: ListenerSettings = Field(default_factory=ListenerSettings)
    ui: UISettings = Field(default_factory=UISettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit arguments (the TOML file's contents) first, then the environment.
        return (env_settings, init_settings)


class ConfigError(Exception):
    """The config file cannot be read; the message names the file and the problem."""


def load_settings(config_file: str | Path | None = None) -> Settings:
    path = paths.config_path(config_file)
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(f"invalid setting in {path} or COSTTUI_* environment: {exc}") from exc
