"""Settings: a TOML file at the XDG config path, overridden by ``COSTTUI_*`` environment variables.

Nested sections use ``__`` in environment names (``COSTTUI_LISTENER__PORT=9000``). Secrets never
live here: provider keys are in the keyring (see ``secrets.py``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

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
    # --- listener options -------------------------------------------------------
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    """Largest request body accepted (after gunzip); larger ones get 413."""
    max_events_per_request: int = Field(default=10_000, ge=1, le=1_000_000)
    """Most events in one /ingest request."""
    require_key_on_loopback: bool = True
    """Ask for the ingest key even from clients on 127.0.0.1 (a non-loopback bind always does)."""
    rate_limit_address_per_second: float = Field(default=200.0, ge=0)
    """Requests per second allowed per client address (0 = no limit)."""
    rate_limit_address_burst: int = Field(default=400, ge=1)
    rate_limit_loopback: bool = False
    """Also rate-limit clients on the loopback address (local apps are not limited by default)."""
    rate_limit_token_per_second: float = Field(default=100.0, ge=0)
    """Requests per second allowed per tracking token (0 = no limit)."""
    rate_limit_token_burst: int = Field(default=200, ge=1)
    cors_origins: list[str] = Field(default_factory=list)
    """Browser origins allowed to call the listener (e.g. ``https://dash.example.com``); none by default."""
    allowed_hosts: list[str] = Field(default_factory=list)
    """Extra Host header names accepted while bound to loopback (localhost and 127.x are always
    accepted; other names are refused to stop DNS-rebinding pages from reading the listener)."""
    tracking_token_header: str = Field(default="X-Costtui-Token", min_length=1, max_length=100)
    """Header that carries a tracking token (OTLP exporters cannot put it in the body)."""
    batch_max_events: int = Field(default=20_000, ge=1)
    """Most events the batched writer commits in one transaction."""


class UISettings(BaseModel):
    theme: str = "textual-dark"
    """Textual theme name; ``t`` toggles dark/light in the app."""
    refresh_seconds: float = Field(default=2.0, gt=0, le=3600)
    """How often the TUI checks the database for changes made by other processes."""
    keymap: dict[str, str] = Field(default_factory=dict)
    """Rebind keys by binding id, e.g. ``{"screen.activity" = "a"}``."""
    timezone: Literal["local", "utc"] = "local"
    """The zone of every time the UI shows and every date typed into it (Activity's filters and
    jump): ``local`` (the machine's zone, named next to the times) or ``utc``. Daily totals are
    always UTC days, and are labelled so."""


# --- providers: sync and secrets ------------------------------------------------


class SyncSettings(BaseModel):
    quota_interval_minutes: float = Field(default=5.0, gt=0, le=24 * 60)
    """How often balances, spend limits and rate limits are refreshed."""
    usage_interval_minutes: float = Field(default=60.0, gt=0, le=7 * 24 * 60)
    """How often usage and billed costs are pulled from provider APIs."""
    backfill_days: int = Field(default=90, ge=1, le=400)
    """How far back the first sync of an account goes."""
    overlap_days: int = Field(default=3, ge=0, le=31)
    """Later syncs re-read this many days before the last success (providers correct late)."""
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    """Timeout of one provider HTTP request."""
    max_retries: int = Field(default=4, ge=0, le=10)
    """Retries after a timeout, 5xx or 429 (honouring Retry-After) before the sync gives up."""
    account_timeout_seconds: float = Field(default=180.0, gt=0, le=3600)
    """The longest one account's sync may take: past it the sync gives up on that account, keeps
    what it had committed, records the failure and goes on (a hung provider cannot hold a sync)."""
    claude_oauth_usage: bool = False
    """Opt in: also read the Claude plan's windows (including the model-specific weekly ones) from the
    endpoint Claude Code's /usage calls, with Claude Code's own sign-in (read at fetch time, never
    copied, never refreshed). Off by default: it is not a public API."""
    codex_usage: bool = False
    """Opt in: also read the ChatGPT/Codex plan's windows from the endpoint Codex itself calls, with
    Codex's sign-in (``~/.codex/auth.json``, read only). Off by default: it is not a public API."""
    auto: bool = True
    """Sync on the timers above while the TUI (or ``costtui serve``) runs; ``costtui sync`` always works."""


class SecretsSettings(BaseModel):
    backend: str = "auto"
    """Where keys live: ``auto`` (system keyring, else the encrypted file), ``system``, ``file``
    (encrypted file), or ``plaintext`` (an unencrypted file: an explicit opt-in)."""
    allow_plaintext: bool = False
    """In ``auto`` mode, fall back to a plaintext file when there is no system keyring and no
    passphrase. Off by default: keys then go to the encrypted file, which asks for a passphrase."""


class PlansSettings(BaseModel):
    """Flat subscription plans (Claude Pro/Max, ChatGPT/Codex): what costtui may read of them."""

    statusline_previous_command: str | None = None
    """The status-line command you had before ``costtui claude-statusline``: it is run with the
    same stdin and its first line is appended to costtui's."""


class Settings(BaseSettings):
    """All of costtui's settings."""

    model_config = SettingsConfigDict(env_prefix="COSTTUI_", env_nested_delimiter="__", extra="ignore")

    db_path: str | None = None
    """Database file; ``--db`` and ``COSTTUI_DB`` take precedence."""
    retention_days: int | None = Field(default=None, ge=1)
    """Prune raw events older than this many days (their daily totals are kept). None keeps all."""
    listener: ListenerSettings = Field(default_factory=ListenerSettings)
    ui: UISettings = Field(default_factory=UISettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
    plans: PlansSettings = Field(default_factory=PlansSettings)

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
