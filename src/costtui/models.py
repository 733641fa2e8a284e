"""The records every source hands to the store.

Token semantics are normalised here, once, at the edge: a :class:`UsageEvent` always holds
*uncached* input tokens in ``input_tokens`` and the cache tokens beside them, whatever the
provider called them. ``openai_usage`` and ``anthropic_usage`` translate the two conventions
(OpenAI's ``cached_tokens`` is a subset of ``prompt_tokens``; Anthropic's cache fields are on top
of ``input_tokens``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

# The limits of one event, stated once: the model enforces them and every edge (ingest, OTLP)
# names them in its own messages.
MAX_NAME = 200
"""Names, ids and labels (model, app, user, a tag...)."""
MAX_TEXT = 2000
"""Free text (an error message)."""
MAX_TOKENS = 10**12
"""Any one token count."""
MAX_TAGS = 32
MAX_LATENCY_MS = 86_400_000
"""One day."""
MAX_EVENT_COST_USD = Decimal(1_000_000)


@dataclass(frozen=True)
class FieldRole:
    """A marker in a field's annotation that the ingest edge and the store read (see fields_with)."""

    name: str


TOKENS = FieldRole("tokens")
"""A token count, in the costtui convention (input = uncached)."""
SERVER = FieldRole("server")
"""Set by the server (source, pricing, key fingerprint), never by an ingest client."""

# Characters no identifier may hold: they reach terminals (`costtui status`, the TUI), shells
# (the commands costtui suggests) and /metrics. C0 controls (NUL, TAB, CR, LF, ESC...), DEL and
# C1 controls can retitle a terminal or forge output lines; bidirectional formatting characters
# make a name read as something else. One compiled class, so the hot ingest path pays one regex
# search per string, never a Python loop per character.
UNSAFE_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


_find_unsafe = UNSAFE_CHARS.search  # bound once: this runs for every name of every ingested event


def char_name(ch: str) -> str:
    """``U+001B``: how a refused character is named in messages (the raw character would be invisible)."""
    return f"U+{ord(ch):04X}"


def check_identifier(value: str) -> str:
    """Refuse an identifier holding a control or bidi character (see :data:`UNSAFE_CHARS`).

    Raised as ValueError so that pydantic names the field: ``model: contains U+001B ...``.
    """
    bad = _find_unsafe(value)
    if bad is not None:
        raise ValueError(
            f"contains {char_name(bad.group())} at position {bad.start()}: names and ids may not hold"
            " control characters (U+0000-U+001F, U+007F-U+009F) or bidirectional formatting characters"
        )
    return value


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def neutralise(text: str) -> str:
    """``text`` with every unsafe character replaced by a visible escape (ESC becomes ``\\x1b``,
    U+202E becomes ``\\u202e``): for free text such as error messages, where refusing would lose
    data, and for printing anything that came from outside (old rows stored before the rule)."""
    return UNSAFE_CHARS.sub(_escape_char, text) if _find_unsafe(text) else text


# Bounded strings: a client cannot push a megabyte into a model name. Identifiers refuse unsafe
# characters; free text keeps its content with those characters made visible.
ShortStr = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME), AfterValidator(check_identifier)
]
LongStr = Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(neutralise)]
TokenCount = Annotated[int, Field(ge=0, le=MAX_TOKENS), TOKENS]

EventStatus = Literal["ok", "error"]
SOURCES = ("ingest", "otlp", "proxy", "claude-code", "codex", "gemini-cli", "manual", "demo", "provider")


def utc(value: datetime) -> datetime:
    """Return an aware UTC datetime; naive values are refused (we never guess a zone)."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError("timestamp must include a timezone (e.g. 2026-01-31T12:00:00Z)")
    return value.astimezone(UTC)


def to_decimal(value: Any) -> Decimal:
    """Money from JSON: numbers and strings both arrive; floats go through str() to stay exact."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValueError("money must be a number or a decimal string, not a boolean")
    elif isinstance(value, (int, float, str)):
        try:
            result = Decimal(str(value).strip())
        except Exception as exc:  # decimal.InvalidOperation
            raise ValueError(f"not a decimal amount: {value!r}") from exc
    else:
        raise ValueError(f"money must be a number or a decimal string, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError("money must be finite")
    return result


class UsageEvent(BaseModel):
    """One metered request (or pushed event), whatever its source."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    event_id: (
        Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME), AfterValidator(check_identifier)] | None
    ) = None
    """Stable id: the client's, the provider's response id, or a hash of the content."""
    ts: datetime
    """When the request happened (UTC)."""
    provider: ShortStr
    model: ShortStr
    operation: ShortStr = "chat"
    source: Annotated[ShortStr, SERVER] = "ingest"
    app: ShortStr | None = None
    """The app a tracking token belongs to."""
    api_key_fp: Annotated[ShortStr | None, SERVER] = None
    """Fingerprint of the API key used (prefix…last4), never the key."""
    user: ShortStr | None = None
    team: ShortStr | None = None
    project: ShortStr | None = None
    session: ShortStr | None = None
    """A coding-agent session (or any client's conversation id)."""
    tags: list[ShortStr] = Field(default_factory=list, max_length=MAX_TAGS)

    input_tokens: TokenCount = 0
    """Uncached input tokens."""
    cache_read_tokens: TokenCount = 0
    cache_write_tokens: TokenCount = 0
    """All cache writes (5-minute and 1-hour)."""
    cache_write_1h_tokens: TokenCount = 0
    """The part of ``cache_write_tokens`` written with a 1-hour TTL (priced at 2x input)."""
    output_tokens: TokenCount = 0
    """Output tokens, reasoning included."""
    reasoning_tokens: TokenCount = 0
    """The part of ``output_tokens`` spent on reasoning."""

    latency_ms: Annotated[int, Field(ge=0, le=MAX_LATENCY_MS)] | None = None
    status: EventStatus = "ok"
    status_code: Annotated[int, Field(ge=100, le=599)] | None = None
    error: LongStr | None = None
    cache_hit: bool = False
    ttft_ms: Annotated[Annotated[int, Field(ge=0, le=MAX_LATENCY_MS)] | None, SERVER] = None
    """Time to the first streamed byte of the answer (the proxy measures it)."""
    retries: Annotated[int, Field(ge=0, le=1000), SERVER] = 0
    """How many times the client had already tried this call (the SDK's retry header)."""
    flags: Annotated[list[ShortStr], Field(max_length=MAX_TAGS), SERVER] = Field(default_factory=list)
    """Quality flags (``truncated``, ``empty``, ``refusal``) and the rules that flagged the call."""
    saved_usd: Annotated[Decimal | None, SERVER] = None
    """What a call answered from the proxy's cache would have cost upstream."""

    cost_usd: Decimal | None = None
    """Cost in USD; None until priced (or when the client did not know it)."""
    cost_source: Annotated[Literal["client", "priced", "override", "unpriced"] | None, SERVER] = None
    price_version: Annotated[
        Annotated[str, StringConstraints(max_length=MAX_NAME), AfterValidator(check_identifier)] | None, SERVER
    ] = None
    unpriced: Annotated[bool, SERVER] = False

    @field_validator("ts")
    @classmethod
    def _ts_utc(cls, value: datetime) -> datetime:
        return utc(value)

    @field_validator("cost_usd", "saved_usd", mode="before")
    @classmethod
    def _cost_decimal(cls, value: Any) -> Decimal | None:
        if value is None:
            return None
        result = to_decimal(value)
        if result < 0:
            raise ValueError("cost_usd must not be negative")
        if result > MAX_EVENT_COST_USD:
            raise ValueError("cost_usd is implausibly large for one event (> $1,000,000)")
        return result

    @field_validator("tags", mode="before")
    @classmethod
    def _tags_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [t for t in (part.strip() for part in value.split(",")) if t]
        if isinstance(value, dict):
            return [f"{k}={v}" for k, v in value.items()]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> UsageEvent:
        if self.cache_write_1h_tokens > self.cache_write_tokens:
            raise ValueError("cache_write_1h_tokens cannot exceed cache_write_tokens")
        if self.reasoning_tokens > self.output_tokens:
            raise ValueError("reasoning_tokens cannot exceed output_tokens")
        if self.event_id is None:
            object.__setattr__(self, "event_id", self.content_id())
        return self

    @property
    def cache_write_5m_tokens(self) -> int:
        return self.cache_write_tokens - self.cache_write_1h_tokens

    @property
    def total_input_tokens(self) -> int:
        """Every input token, cached or not (what OpenAI calls prompt_tokens)."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    @property
    def total_tokens(self) -> int:
        return self.total_input_tokens + self.output_tokens

    def content_id(self) -> str:
        """A stable id derived from what the event says, so a re-sent event is stored once."""
        basis = self.model_dump(
            mode="json",
            exclude={"event_id", "cost_usd", "cost_source", "price_version", "unpriced"},
        )
        # Fields added after events were first stored count only when set, so an event re-sent
        # after an upgrade keeps its id.
        for name in _LATER_FIELDS:
            if not basis[name]:
                del basis[name]
        digest = hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()
        return "h:" + digest[:32]


_LATER_FIELDS = ("ttft_ms", "retries", "flags", "saved_usd")


def fields_with(role: FieldRole) -> tuple[str, ...]:
    """The UsageEvent fields marked with ``role``, in the model's order."""
    return tuple(name for name, info in UsageEvent.model_fields.items() if role in info.metadata)


EVENT_FIELDS: tuple[str, ...] = tuple(UsageEvent.model_fields)
"""Every field of the record, in the model's order (the store's column order follows it)."""
TOKEN_FIELDS = fields_with(TOKENS)
SERVER_FIELDS = fields_with(SERVER)
CLIENT_FIELDS = tuple(name for name in EVENT_FIELDS if name not in SERVER_FIELDS)
"""What an ingest client may send under the record's own names."""


def decimal_str(amount: Decimal) -> str:
    """A decimal as a plain JSON string: "0.00021", "12", never "1E+1" or "0.00000"."""
    return format(amount.normalize(), "f") if amount else "0"


def _int(data: dict[str, Any] | None, *path: str) -> int:
    """Dig an integer out of a usage dict; missing or null counts as 0."""
    cur: Any = data
    for key in path:
        if not isinstance(cur, dict):
            return 0
        cur = cur.get(key)
    if cur is None:
        return 0
    if isinstance(cur, bool) or not isinstance(cur, int):
        raise ValueError(f"usage field {'.'.join(path)} must be an integer, got {cur!r}")
    return cur


def openai_usage(usage: dict[str, Any]) -> dict[str, int]:
    """Normalise an OpenAI-style usage object (chat completions, responses, embeddings).

    ``prompt_tokens``/``input_tokens`` *include* cached and cache-write tokens; we subtract them
    so that ``input_tokens`` is uncached input. DeepSeek reports ``prompt_cache_hit_tokens``.
    """
    total_in = _int(usage, "prompt_tokens") or _int(usage, "input_tokens")
    details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
    cache_read = _int(details, "cached_tokens") or _int(usage, "prompt_cache_hit_tokens")
    cache_write = _int(details, "cache_write_tokens")
    output = _int(usage, "completion_tokens") or _int(usage, "output_tokens")
    out_details = usage.get("completion_tokens_details") or usage.get("output_tokens_details") or {}
    reasoning = _int(out_details, "reasoning_tokens")
    if cache_read + cache_write > total_in:
        raise ValueError("cached tokens exceed prompt tokens (OpenAI counts them inside prompt_tokens)")
    return {
        "input_tokens": total_in - cache_read - cache_write,
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "cache_write_1h_tokens": 0,
        "output_tokens": output,
        "reasoning_tokens": min(reasoning, output),
    }


def anthropic_usage(usage: dict[str, Any]) -> dict[str, int]:
    """Normalise an Anthropic Messages usage object.

    ``input_tokens`` is already *uncached*; ``cache_creation_input_tokens`` and
    ``cache_read_input_tokens`` come on top. The 5m/1h split, when present, decides the price.
    """
    creation = usage.get("cache_creation") or {}
    write_5m = _int(creation, "ephemeral_5m_input_tokens")
    write_1h = _int(creation, "ephemeral_1h_input_tokens")
    cache_write = _int(usage, "cache_creation_input_tokens") or (write_5m + write_1h)
    output = _int(usage, "output_tokens")
    thinking = _int(usage, "output_tokens_details", "thinking_tokens")
    return {
        "input_tokens": _int(usage, "input_tokens"),
        "cache_read_tokens": _int(usage, "cache_read_input_tokens"),
        "cache_write_tokens": cache_write,
        "cache_write_1h_tokens": min(write_1h, cache_write),
        "output_tokens": output,
        "reasoning_tokens": min(thinking, output),
    }


class Totals(BaseModel):
    """Aggregated usage over some rows (a period, a provider, a model...)."""

    model_config = ConfigDict(frozen=True)

    cost_usd: Decimal = Decimal(0)
    events: int = 0
    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    unpriced_events: int = 0
    errors: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens + self.output_tokens

    @property
    def cost_per_1k_tokens(self) -> Decimal | None:
        if not self.total_tokens:
            return None
        return self.cost_usd * 1000 / self.total_tokens

    def as_json(self) -> dict[str, Any]:
        return {
            "cost_usd": decimal_str(self.cost_usd),
            "events": self.events,
            "input_tokens": self.input_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "unpriced_events": self.unpriced_events,
            "errors": self.errors,
        }


class GroupTotals(Totals):
    """Totals for one value of a dimension (a provider, a model, an app...)."""

    name: str


class DayTotals(Totals):
    day: date


class UnpricedModel(BaseModel):
    model_config = ConfigDict(frozen=True)

    provider: str
    model: str
    events: int
    tokens: int
    last_seen: datetime


class PriceOverride(BaseModel):
    """A user's own price for a model, per million tokens, optionally effective from a date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int | None = None
    model: ShortStr
    provider: ShortStr | None = None
    input_per_mtok: Decimal = Field(ge=0)
    output_per_mtok: Decimal = Field(ge=0)
    cache_read_per_mtok: Decimal | None = Field(default=None, ge=0)
    cache_write_per_mtok: Decimal | None = Field(default=None, ge=0)
    effective_from: date | None = None
    effective_to: date | None = None
    """Exclusive end date."""

    @property
    def version(self) -> str:
        start = self.effective_from.isoformat() if self.effective_from else "always"
        return f"override#{self.id}@{start}"


class EventFilter(BaseModel):
    """What the Activity screen (and the CLI) can filter events by."""

    model_config = ConfigDict(frozen=True)

    start: datetime | None = None
    end: datetime | None = None
    """Exclusive."""
    provider: str | None = None
    model: str | None = None
    app: str | None = None
    user: str | None = None
    source: str | None = None
    status: EventStatus | None = None
    search: str | None = None
    """Free text matched against model, app, user, project, team, error and event id."""

    def is_empty(self) -> bool:
        return not any(self.model_dump().values())


EventSortColumn = Literal[
    "time", "provider", "model", "app", "user", "tokens", "input", "output", "cost", "latency", "status"
]
EVENT_SORT_COLUMNS: tuple[str, ...] = get_args(EventSortColumn)
"""What a list of events can be ordered by (Activity's columns)."""


class EventSort(BaseModel):
    """The order of an events list: one column, ties broken by row id in the same direction."""

    model_config = ConfigDict(frozen=True)

    column: EventSortColumn = "time"
    descending: bool = True

    def reversed(self) -> EventSort:
        return self.model_copy(update={"descending": not self.descending})


class StoredEvent(UsageEvent):
    """An event as read back from the store (with its row id)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    row_id: int


class RecordResult(BaseModel):
    """What the store's single entry point did with a batch."""

    accepted: int = 0
    duplicates: int = 0
    accepted_ids: list[str] = Field(default_factory=list)
    duplicate_ids: list[str] = Field(default_factory=list)


# --------------------------------------------------------------------------- billed and limits planes
#
# Records of the billed and limits planes: accounts, billed cost lines, quota snapshots.
#
# Usage events (the metered plane, above) are requests; these are what a
# provider *says*: daily buckets of cost and usage, balances, spend limits and rate limits.
#
# Where provider **token usage** goes: usage-API buckets (OpenAI ``/organization/usage/*``,
# Anthropic ``usage_report/messages``, Claude Code) are stored as :class:`BilledLine` rows with
# ``kind="usage"`` in the same ``billed_costs`` table as the money rows (``kind="cost"``), not as
# metered :class:`UsageEvent` records. Reasons: they are daily aggregates, not requests
# (turning them into events would fake request counts and be re-priced by our price table); they
# share the upsert key (account, day, model, line item, project, key) and the window-replace rule
# of the cost rows; and reconciliation can compare, per day and model, billed tokens, billed
# dollars and metered events with one query. Totals of *money* only ever sum ``kind in
# ("cost", "manual")``: OpenAI's docs say Usage and Costs need not reconcile, and Costs is the
# invoice.


KeyKind = Literal["admin", "inference", "management", "none"]
"""admin: org admin/billing key (OpenAI ``sk-admin-``, Anthropic ``sk-ant-admin``);
inference: an ordinary API key; management: OpenRouter/xAI management keys; none: manual only."""

BilledKind = Literal["cost", "usage", "manual", "estimate"]
MONEY_KINDS: tuple[BilledKind, ...] = ("cost", "manual")
"""Kinds that are money owed; ``usage`` and ``estimate`` rows never add to billed totals."""
Health = Literal["ok", "stale", "error", "never", "disabled"]
HEALTH_ORDER = {"error": 0, "stale": 1, "never": 2, "ok": 3, "disabled": 4}


def cents_to_usd(value: Any) -> Decimal:
    """Dollars from an amount in cents (Anthropic cost report strings, Claude Code numbers, xAI)."""
    return to_decimal(value) / 100


DEMO_OPTION = "demo"
"""``Account.options`` entry that marks a demo account (value ``"true"``)."""


class Account(BaseModel):
    """A provider account: where to pull from and with which kind of key (the key is in the keyring)."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    provider: str
    name: str = "default"
    key_kind: KeyKind = "inference"
    base_url: str | None = None
    """Override of the provider's API base (a gateway, a test server)."""
    enabled: bool = True
    key_fp: str | None = None
    """Fingerprint of the key (prefix…last4); never the key."""
    options: dict[str, str] = Field(default_factory=dict)
    """Provider-specific settings, e.g. xAI ``team_id``; never secrets."""
    created_at: datetime | None = None

    @property
    def label(self) -> str:
        return f"{self.provider}/{self.name}"

    @property
    def is_demo(self) -> bool:
        """A synthetic account of the demo database: it has no key and is never synced."""
        return self.options.get(DEMO_OPTION) == "true"

    @property
    def secret_name(self) -> str:
        return account_secret_name(self.provider, self.name, admin=self.key_kind == "admin")


class AccountHealth(BaseModel):
    """How an account's last syncs went."""

    model_config = ConfigDict(frozen=True)

    account_id: int
    health: Health = "never"
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    usage_synced_through: date | None = None
    """Last UTC day fully covered by a usage/cost sync (the next sync starts a few days before)."""


class BilledLine(BaseModel):
    """One daily bucket of billed cost or provider-reported usage.

    Upsert key: (provider, account, stream, day, model, line_item, project, api_key).
    """

    model_config = ConfigDict(frozen=True)

    provider: str
    account: str
    stream: str
    """Which endpoint produced it (``openai.costs``, ``anthropic.usage.messages``, ``manual``…)."""
    kind: BilledKind
    day: date
    model: str = ""
    line_item: str = ""
    project: str = ""
    """Project (OpenAI) or workspace (Anthropic); '' when not grouped or the default."""
    api_key: str = ""
    """Provider's API key id (not a secret), or ''."""
    cost_usd: Decimal | None = None
    currency: str = "usd"
    input_tokens: int = 0
    """Uncached input tokens (normalised: cache reads and writes are separate)."""
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    quantity: Decimal | None = None
    quantity_unit: str | None = None
    note: str | None = None

    @field_validator("cost_usd", "quantity", mode="before")
    @classmethod
    def _dec(cls, value: Any) -> Decimal | None:
        return None if value is None else to_decimal(value)

    @field_validator("model", "line_item", "project", "api_key", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> str:
        return "" if value is None else str(value)

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> str:
        return (str(value) if value else "usd").lower()


class StoredBilledLine(BilledLine):
    id: int
    updated_at: datetime


class BilledWindow(BaseModel):
    """A complete re-read of one stream for one account over [start, end]: rows of that stream in
    the window that the provider no longer returns are deleted (late corrections, regrouping)."""

    model_config = ConfigDict(frozen=True)

    provider: str
    account: str
    stream: str
    start: date
    end: date


class QuotaSnapshot(BaseModel):
    """One limit of one account at one moment: a balance, a spend limit or a rate limit."""

    model_config = ConfigDict(frozen=True)

    provider: str
    account: str
    kind: str
    """``balance``, ``spend_limit``, ``key_limit``, ``credits``, ``rate_limit.requests``,
    ``rate_limit.tokens``, ``rate_limit.input_tokens``, ``configured_rate_limit``…"""
    scope: str = ""
    """What the limit applies to within the account: a model, a project, a currency; '' = all."""
    used: Decimal | None = None
    limit: Decimal | None = None
    remaining: Decimal | None = None
    unit: str = "usd"
    """``usd``, ``cny``, ``requests``, ``tokens``, ``requests/min``…"""
    window: str | None = None
    """``month``, ``day``, ``minute``… when the limit is periodic."""
    resets_at: datetime | None = None
    taken_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    source: Literal["api", "probe", "proxy", "manual", "log", "statusline"] = "api"
    detail: str | None = None

    @field_validator("used", "limit", "remaining", mode="before")
    @classmethod
    def _dec(cls, value: Any) -> Decimal | None:
        return None if value is None else to_decimal(value)

    @field_validator("resets_at", "taken_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else utc(value)

    @property
    def fraction_used(self) -> float | None:
        if self.limit is None or self.limit <= 0:
            return None
        if self.used is not None:
            used = self.used
        elif self.remaining is not None:
            used = self.limit - self.remaining
        else:
            return None
        return float(max(Decimal(0), min(used / self.limit, Decimal(1))))


class ManualCost(BaseModel):
    """A cost typed in by the user (providers with no billing API); spread evenly over its days."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    provider: str
    account: str = "default"
    start: date
    end: date
    """Inclusive."""
    amount_usd: Decimal
    input_tokens: int = 0
    output_tokens: int = 0
    note: str | None = None
    created_at: datetime | None = None

    @field_validator("amount_usd", mode="before")
    @classmethod
    def _dec(cls, value: Any) -> Decimal:
        result = to_decimal(value)
        if result < 0:
            raise ValueError("amount must not be negative")
        return result

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class TrackingToken(BaseModel):
    """A tracking token as stored: its app name and display prefix, never the token itself."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    prefix: str
    enabled: bool
    created_at: datetime
    disabled_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def display(self) -> str:
        return self.prefix + "…"

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "prefix": self.display,
            "enabled": self.enabled,
            "created_at": self.created_at.isoformat(),
            "disabled_at": self.disabled_at.isoformat() if self.disabled_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
        }


def billed_notes(lines: Iterable[BilledLine]) -> list[str]:
    """The distinct caveats a provider attached to its billed lines (what its figure leaves out,
    how a day was estimated), in first-seen order. Manual entries' notes are the user's own text."""
    notes: list[str] = []
    for line in lines:
        if line.kind != "manual" and line.note and line.note not in notes:
            notes.append(line.note)
    return notes


def account_secret_name(provider: str, account: str, *, admin: bool = False) -> str:
    """Keyring entry of an account's key: ``openai:default``, ``anthropic:work``.

    ``admin`` only changes the environment names that are also consulted (see :func:`env_names`).
    """
    return f"{provider.lower()}:{account}" + (":admin" if admin else "")


# --------------------------------------------------------------------------- budgets

BudgetScope = Literal["all", "provider", "account", "app", "user", "team", "project", "model", "key"]
"""What a budget counts: everything, or the events of one provider, account (its billed costs),
app (tracking token), user, team, project, model or API key fingerprint."""
BUDGET_SCOPES: tuple[BudgetScope, ...] = get_args(BudgetScope)
BudgetPeriod = Literal["day", "week", "month"]
"""Budgets run over UTC calendar periods: a day, a week from Monday, a month from the 1st."""
BUDGET_PERIODS: tuple[BudgetPeriod, ...] = get_args(BudgetPeriod)
DEFAULT_THRESHOLDS: tuple[int, ...] = (50, 80, 100)
MAX_BUDGET_USD = Decimal(1_000_000_000)


def period_bounds(period: BudgetPeriod, at: datetime) -> tuple[datetime, datetime]:
    """The UTC period holding ``at``: ``[start, end)``."""
    at = utc(at)
    start = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return start, start + timedelta(days=1)
    if period == "week":
        start -= timedelta(days=start.weekday())
        return start, start + timedelta(days=7)
    start = start.replace(day=1)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


class Budget(BaseModel):
    """A spending limit over a period for one scope, with the thresholds (percent of the limit)
    that raise an alert once per period. ``enforce`` makes the proxy refuse calls in its scope
    once the period's spend reaches the limit; every budget raises alerts."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    name: ShortStr
    scope: BudgetScope = "all"
    scope_value: ShortStr | None = None
    """The provider id, ``provider/account`` name, app, user, team, project, model or key
    fingerprint; None for ``all``."""
    period: BudgetPeriod = "month"
    limit_usd: Decimal
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
    enforce: bool = False
    created_at: datetime | None = None

    @field_validator("limit_usd", mode="before")
    @classmethod
    def _limit(cls, value: Any) -> Decimal:
        result = to_decimal(value)
        if result <= 0:
            raise ValueError("the limit must be more than 0")
        if result > MAX_BUDGET_USD:
            raise ValueError(f"the limit must be at most {MAX_BUDGET_USD} USD")
        return result

    @field_validator("thresholds", mode="before")
    @classmethod
    def _thresholds(cls, value: Any) -> tuple[int, ...]:
        if isinstance(value, str):
            value = [part for part in re.split(r"[,\s]+", value.strip()) if part]
        try:
            numbers = sorted({int(str(v).strip().rstrip("%")) for v in value})
        except (TypeError, ValueError):
            raise ValueError("thresholds are whole percentages, e.g. 50,80,100") from None
        if not numbers or len(numbers) > 10:
            raise ValueError("give between 1 and 10 thresholds")
        if numbers[0] < 1 or numbers[-1] > 1000:
            raise ValueError("each threshold is a percentage from 1 to 1000")
        return tuple(numbers)

    @model_validator(mode="after")
    def _scope(self) -> Budget:
        if self.scope == "all":
            if self.scope_value:
                raise ValueError("a budget over everything takes no scope value")
        elif not self.scope_value:
            raise ValueError(f"a {self.scope} budget needs the {self.scope} it counts")
        elif self.scope == "account" and "/" not in self.scope_value:
            raise ValueError("an account budget names the account as provider/name, e.g. openai/default")
        return self

    @property
    def scope_label(self) -> str:
        return "everything" if self.scope == "all" else f"{self.scope} {self.scope_value}"

    def bounds(self, at: datetime) -> tuple[datetime, datetime]:
        return period_bounds(self.period, at)


class BudgetAlert(BaseModel):
    """A threshold of a budget crossed in one period; stored once, whoever noticed it first."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    budget_id: int
    budget_name: str
    period_start: date
    threshold: int
    spend_usd: Decimal
    limit_usd: Decimal
    fired_at: datetime


AlertChannel = Literal["webhook", "slack", "email"]
"""Where an alert is sent beyond the TUI: a generic JSON webhook, a Slack-compatible one, email."""
DeliveryStatus = Literal["sending", "sent", "failed"]


class AlertDelivery(BaseModel):
    """One alert sent (or being sent, or failed) through one channel; ``target`` names where
    without secrets (a webhook's host, the email recipients)."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    alert_id: int
    channel: AlertChannel
    target: str
    status: DeliveryStatus = "sending"
    attempts: int = 0
    error: str | None = None
    created_at: datetime
    sent_at: datetime | None = None
