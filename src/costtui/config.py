"""Settings: a TOML file at the XDG config path, overridden by ``COSTTUI_*`` environment variables.

Nested sections use ``__`` in environment names (``COSTTUI_LISTENER__PORT=9000``). Secrets never
live here: provider keys are in the keyring (see ``secrets.py``).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from costtui import paths
from costtui.models import to_decimal


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


class ProxySettings(BaseModel):
    """The proxy on the listener: point an SDK's base URL at it and every call is recorded."""

    enabled: bool = True
    """Serve the proxy routes (``/v1/chat/completions``, ``/v1/messages``...) on the listener."""
    upstreams: dict[str, str] = Field(default_factory=dict)
    """Extra or replaced upstreams by name → base URL (OpenAI-compatible ones end in ``/v1``);
    ``/<name>/v1/...`` reaches one. ``openai``, ``anthropic``, ``gemini``, ``openrouter``, ``groq``,
    ``deepseek`` and ``mistral`` are known already."""
    model_routes: dict[str, str] = Field(default_factory=dict)
    """Model name (``*`` wildcards allowed) → upstream name, for calls sent to the plain ``/v1/...``."""
    connect_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    read_timeout_seconds: float = Field(default=600.0, gt=0, le=3600)
    """Longest wait for the upstream's next byte (a reasoning model may think for minutes)."""
    max_body_bytes: int = Field(default=32 * 1024 * 1024, ge=1024, le=512 * 1024 * 1024)
    """Largest request body the proxy forwards (images and documents make prompts big)."""
    cache: bool = False
    """Answer repeated non-streaming calls from the response cache (``X-Costtui-Cache: on|off`` per request)."""
    cache_ttl_seconds: int = Field(default=24 * 3600, ge=1)
    cache_max_mb: int = Field(default=256, ge=1)
    """Oldest cached answers go first past this size."""
    store_bodies: bool = False
    """Keep request and response bodies (secrets and PII masked) to show in an event's detail."""
    body_retention_days: int = Field(default=7, ge=1, le=3650)
    quota_interval_seconds: float = Field(default=30.0, ge=0)
    """At most one rate-limit snapshot write per key in this many seconds."""

    @field_validator("upstreams")
    @classmethod
    def _urls(cls, value: dict[str, str]) -> dict[str, str]:
        for name, url in value.items():
            if not url.strip().startswith(("http://", "https://")):
                raise ValueError(f"upstream {name!r}: {url!r} is not an http:// or https:// URL")
        return value


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


# --- alerts: where budget alerts go ---------------------------------------------

_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+")


def check_email(value: str) -> str:
    """An address as name@host.tld (no display name); the error says which one is wrong."""
    value = value.strip()
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"{value!r} is not an email address (expected name@example.com)")
    return value


class WebhookSettings(BaseModel):
    url: str
    """Where to POST each alert: ``https://...`` (or ``http://`` on your own network)."""
    format: Literal["json", "slack"] = "json"
    """``json``: the alert as a JSON object; ``slack``: ``{"text": ...}`` (Slack, Mattermost, Discord's /slack)."""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
            raise ValueError(f"webhook url must be an http:// or https:// address with a host, got {value[:60]!r}")
        return value


class EmailSettings(BaseModel):
    host: str = Field(min_length=1)
    """SMTP server."""
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    """Upgrade the connection with STARTTLS before logging in (turn off only for a local relay)."""
    username: str | None = None
    """SMTP login; its password lives in the keyring (``costtui alerts email-password``), never here."""
    sender: str
    """The From address."""
    to: list[str] = Field(min_length=1)
    """Recipients."""

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return check_email(value)

    @field_validator("to", mode="before")
    @classmethod
    def _to(cls, value: object) -> object:
        items = [value] if isinstance(value, str) else value
        if isinstance(items, list):
            return [check_email(str(v)) for v in items]
        return value


class AlertSettings(BaseModel):
    toast: bool = True
    """Show a notification in the TUI when a budget threshold is crossed."""
    bell: bool = True
    """Ring the terminal bell with it."""
    check_seconds: float = Field(default=30.0, ge=1, le=3600)
    """How often the TUI and ``costtui serve`` check budgets (serve also checks soon after new events)."""
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    """Timeout of one webhook request or SMTP session."""
    retries: int = Field(default=3, ge=0, le=10)
    """Retries after a failed send, waiting ``retry_backoff_seconds`` × 2ⁿ between them."""
    retry_backoff_seconds: float = Field(default=2.0, ge=0, le=600)
    webhooks: list[WebhookSettings] = Field(default_factory=list)
    email: EmailSettings | None = None


# --- proxy rules ------------------------------------------------------------------

RuleAction = Literal["off", "flag", "block"]
"""What a content detector does when it matches: nothing, mark the call (it goes on), or refuse it."""

MAX_RULE_USD = Decimal(1_000_000)
_PATTERN = re.compile(r"^[^\s\x00-\x1f]{1,200}$")


class RulesSettings(BaseModel):
    """What the proxy enforces before a call goes upstream (``[rules]`` in the config file).

    Budgets are not here: they live in the database (Budgets screen, ``costtui budgets``), and
    the proxy enforces the ones marked ``enforce``.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    allow_models: list[str] = Field(default_factory=list)
    """Glob patterns of the models calls may use; empty allows every model. ``provider:pattern``
    limits a pattern to one provider (``openai:gpt-4o*``)."""
    block_models: list[str] = Field(default_factory=list)
    """Glob patterns of models refused, checked after ``allow_models``."""
    max_cost_per_call_usd: Decimal | None = None
    """Largest estimated cost of one call (input size and ``max_tokens`` at the model's price), a
    decimal string such as ``"0.50"``. A model with no known price is refused while it is set."""
    rpm_per_key: int | None = Field(default=None, ge=1, le=10_000_000)
    """Requests per minute per API key (sliding 60 s window)."""
    tpm_per_key: int | None = Field(default=None, ge=1, le=10_000_000_000)
    """Tokens per minute per API key: input estimate plus ``max_tokens`` at admission, the real
    count once the call is over."""
    rpm_per_app: int | None = Field(default=None, ge=1, le=10_000_000)
    tpm_per_app: int | None = Field(default=None, ge=1, le=10_000_000_000)
    rpm_per_user: int | None = Field(default=None, ge=1, le=10_000_000)
    tpm_per_user: int | None = Field(default=None, ge=1, le=10_000_000_000)
    blocklist: list[str] = Field(default_factory=list)
    """Words or phrases (whole words, any case) that prompts may not contain."""
    blocklist_action: RuleAction = "block"
    detect_email: RuleAction = "off"
    detect_phone: RuleAction = "off"
    detect_card: RuleAction = "off"
    """Card numbers (13-19 digits that pass the Luhn check)."""
    detect_api_key: RuleAction = "off"
    """Strings that look like API keys or bearer tokens."""

    @field_validator("allow_models", "block_models", mode="before")
    @classmethod
    def _patterns(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part for part in re.split(r"[,\s]+", value) if part]
        if isinstance(value, list):
            for item in value:
                if not isinstance(item, str) or not _PATTERN.match(item):
                    raise ValueError(f"model pattern {item!r} must be 1 to 200 characters without spaces")
        return value

    @field_validator("blocklist", mode="before")
    @classmethod
    def _words(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            value = [w.strip() if isinstance(w, str) else w for w in value]
            for item in value:
                if not isinstance(item, str) or not item or len(item) > 200:
                    raise ValueError(f"blocklist entry {item!r} must be a word or phrase of 1 to 200 characters")
            if len(value) > 10_000:
                raise ValueError("at most 10000 blocklist entries")
        return value

    @field_validator("max_cost_per_call_usd", mode="before")
    @classmethod
    def _max_cost(cls, value: Any) -> Decimal | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, float):
            raise ValueError('write the amount as a string, e.g. "0.50" (a TOML float is not exact)')
        try:
            amount = to_decimal(value)
        except ValueError as exc:
            raise ValueError(f'{exc} (write it as a string, e.g. "0.50")') from None
        if amount <= 0 or amount > MAX_RULE_USD:
            raise ValueError(f"must be more than 0 and at most {MAX_RULE_USD} USD")
        return amount

    @property
    def any_rule(self) -> bool:
        """Whether any rule is set (the proxy needs no engine otherwise)."""
        return self != RulesSettings()

    def to_toml_values(self) -> dict[str, Any]:
        """The settings that differ from the defaults, as TOML values (money as strings)."""
        out: dict[str, Any] = {}
        defaults = RulesSettings()
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value == getattr(defaults, name):
                continue
            out[name] = format(value, "f") if isinstance(value, Decimal) else value
        return out


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
    proxy: ProxySettings = Field(default_factory=ProxySettings)
    ui: UISettings = Field(default_factory=UISettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    rules: RulesSettings = Field(default_factory=RulesSettings)
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
        raise ConfigError(f"invalid setting in {path} or COSTTUI_* environment: {describe_errors(exc)}") from exc


def describe_errors(exc: ValidationError) -> str:
    """One line per problem, each naming the setting as it is written in the file (``rules.rpm_per_key``)."""
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "settings"
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return "; ".join(lines)


# --- writing the [rules] table ---------------------------------------------------------

_HEADER = re.compile(r"^\s*\[")
_RULES_HEADER = re.compile(r"^\s*\[\s*rules\s*(?:\.[^\]]*)?\]\s*(?:#.*)?$")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # A JSON string without ASCII escaping is a valid TOML basic string.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def rules_toml(rules: RulesSettings) -> str:
    """The ``[rules]`` table as it is written to the config file (only what differs from the defaults)."""
    lines = ["[rules]"]
    lines += [f"{name} = {_toml_value(value)}" for name, value in rules.to_toml_values().items()]
    return "\n".join(lines) + "\n"


def save_rules(path: str | Path, rules: RulesSettings) -> None:
    """Rewrite the ``[rules]`` table of the config file at ``path`` and keep everything else as it
    was, comments included (the file is created if there is none). The new file is checked to
    read back with the same other settings and the same rules before it replaces the old one."""
    path = Path(path)
    try:
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        before = tomllib.loads(old)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    lines = old.splitlines()
    kept: list[str] = []
    inside = False
    insert_at: int | None = None
    dropped: list[str] = []
    for line in lines:
        if _HEADER.match(line):
            if inside:
                # Comments right above the next table header belong to that table: keep them.
                tail = len(dropped)
                while tail and (not dropped[tail - 1].strip() or dropped[tail - 1].lstrip().startswith("#")):
                    tail -= 1
                kept += dropped[tail:]
                dropped = []
            inside = bool(_RULES_HEADER.match(line))
            if inside:
                if insert_at is None:
                    insert_at = len(kept)
                continue
        (dropped if inside else kept).append(line)
    table = rules_toml(rules).splitlines()
    if insert_at is None:
        while kept and not kept[-1].strip():
            kept.pop()
        kept += ([""] if kept else []) + table
    else:
        gap = [""] if insert_at < len(kept) and kept[insert_at].strip() else []
        kept[insert_at:insert_at] = [*table, *gap]
    new = "\n".join(kept).rstrip("\n") + "\n"
    try:
        after = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"cannot rewrite the [rules] table of {path} safely ({exc}); edit the file by hand") from exc
    before.pop("rules", None)
    written = RulesSettings(**after.pop("rules", {}))
    if after != before or written != rules:
        raise ConfigError(
            f"cannot rewrite the [rules] table of {path} safely (rules are also set elsewhere in the file,"
            " e.g. as dotted keys); edit the file by hand"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(new, encoding="utf-8")
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"cannot write config file {path}: {exc.strerror or exc}") from exc
