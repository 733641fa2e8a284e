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
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
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

# Bounded strings: a client cannot push a megabyte into a model name.
ShortStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)]
LongStr = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
TokenCount = Annotated[int, Field(ge=0, le=MAX_TOKENS), TOKENS]

EventStatus = Literal["ok", "error"]
SOURCES = ("ingest", "otlp", "proxy", "claude_code", "codex", "gemini_cli", "manual", "demo", "provider")


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

    event_id: Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)] | None = None
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

    cost_usd: Decimal | None = None
    """Cost in USD; None until priced (or when the client did not know it)."""
    cost_source: Annotated[Literal["client", "priced", "override", "unpriced"] | None, SERVER] = None
    price_version: Annotated[Annotated[str, StringConstraints(max_length=MAX_NAME)] | None, SERVER] = None
    unpriced: Annotated[bool, SERVER] = False

    @field_validator("ts")
    @classmethod
    def _ts_utc(cls, value: datetime) -> datetime:
        return utc(value)

    @field_validator("cost_usd", mode="before")
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
        digest = hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()
        return "h:" + digest[:32]


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
