"""Parse and validate ``POST /ingest`` bodies into :class:`~costtui.models.UsageEvent` records.

A body is one event object, a JSON list of them, or ``{"events": [...]}``. Two event shapes:

* **Cost Guardian**: ``tracking_token``, ``model``, ``prompt_tokens``, ``completion_tokens``,
  ``total_tokens``, optional ``timestamp``. ``prompt_tokens`` counts *every* input token
  (OpenAI's convention); the provider is inferred from the model name when not given.
* **the full costtui record**: the fields of ``UsageEvent`` (``provider``, ``operation``,
  ``input_tokens`` = uncached input, ``cache_read_tokens``, ``cache_write_tokens``,
  ``reasoning_tokens``, ``cost_usd``, ``latency_ms``, ``status``, ``user``, ``team``,
  ``project``, ``tags``, ``event_id``...), or a provider's raw ``usage`` object (OpenAI's or
  Anthropic's, normalised by :func:`costtui.models.openai_usage` / ``anthropic_usage``).

Every problem is reported per event with its index and a reason that names the field. Unknown
fields are refused (a typo must not silently drop data). Server-side fields (``source``,
``cost_source``, ``price_version``, ``unpriced``, ``api_key_fp``) cannot be set by a client.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from costtui.listener import jsonbody
from costtui.models import (
    CLIENT_FIELDS,
    MAX_LATENCY_MS,
    MAX_TOKENS,
    SERVER_FIELDS,
    TOKEN_FIELDS,
    UsageEvent,
    anthropic_usage,
    openai_usage,
)
from costtui.vocabulary import canonical_provider, infer_provider

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)

# Accepted beside the record's own fields: the Cost Guardian shape and a provider's usage object.
INGEST_ONLY_FIELDS = ("timestamp", "tracking_token", "prompt_tokens", "completion_tokens", "total_tokens", "usage")
KNOWN_FIELDS = frozenset((*CLIENT_FIELDS, *INGEST_ONLY_FIELDS))
TOKEN_FIELD_SET = frozenset(TOKEN_FIELDS)
ZERO_TOKENS = dict.fromkeys(TOKEN_FIELDS, 0)
# The record's fields parse_event reads itself; every other client field passes through to the
# model's own validation.
_READ_HERE = frozenset({"ts", "app", "latency_ms", "status_code", "cache_hit", *TOKEN_FIELDS})
PASS_THROUGH = tuple(name for name in CLIENT_FIELDS if name not in _READ_HERE)
PASS_THROUGH_SET = frozenset(PASS_THROUGH)


# The model's own compiled validator (UsageEvent.model_validate without its per-call Python).
_validate_event = UsageEvent.__pydantic_validator__.validate_python


def _string_fields() -> tuple[str, ...]:
    """Pass-through fields that only a string (or null) can fill: checked here so that the message
    says what was sent ("got a number")."""
    props = UsageEvent.model_json_schema()["properties"]
    found = []
    for name in PASS_THROUGH:
        schema = props[name]
        types = {part.get("type") for part in schema.get("anyOf", [schema])}
        if types <= {"string", "null"}:
            found.append(name)
    return tuple(found)


STRING_FIELDS = _string_fields()


class BodyError(Exception):
    """The request as a whole is unusable (bad JSON, wrong shape, too many events)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class EventInvalid(Exception):
    """One event is invalid; the message names the field and the problem."""


@dataclass(frozen=True)
class EventError:
    index: int
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "reason": self.reason}


@dataclass
class ParsedBatch:
    events: list[UsageEvent] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    """Position in the request of each entry of ``events``."""
    errors: list[EventError] = field(default_factory=list)


def loads(raw: bytes, what: str = "JSON") -> Any:
    """Strict JSON (:mod:`costtui.listener.jsonbody`): UTF-8, bounded finite numbers, decimals kept
    exact (money stays Decimal), no duplicate keys, no lone surrogates. ``what`` names the format
    in messages ("OTLP JSON")."""
    if not raw.strip():
        raise BodyError('empty request body: send a JSON event, a list of events, or {"events": [...]}')
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(f"invalid {what}: the body is not UTF-8 text (byte {exc.start})") from None
    try:
        return jsonbody.loads(text)
    except json.JSONDecodeError as exc:
        raise BodyError(f"invalid {what}: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise BodyError(f"invalid {what}: nested too deeply") from None
    except ValueError as exc:  # jsonbody's refusals: numbers, duplicate keys, lone surrogates
        raise BodyError(f"invalid {what}: {exc}") from None


def event_list(doc: Any, max_events: int) -> list[Any]:
    """The events of a body: one object, a list, or ``{"events": [...]}``."""
    if isinstance(doc, dict) and "events" in doc:
        extra = set(doc) - {"events"}
        if extra:
            raise BodyError(f"unknown top-level field(s) beside 'events': {', '.join(sorted(map(str, extra)))}")
        items = doc["events"]
        if not isinstance(items, list):
            raise BodyError(f"'events' must be a list of event objects, got {_type(items)}")
    elif isinstance(doc, dict):
        items = [doc]
    elif isinstance(doc, list):
        items = doc
    else:
        raise BodyError(f'the body must be an event object, a list of events or {{"events": [...]}}, got {_type(doc)}')
    if not items:
        raise BodyError("no events in the request (the list is empty)")
    if len(items) > max_events:
        raise BodyError(
            f"too many events in one request: {len(items):,} (the limit is {max_events:,}); split the batch", 413
        )
    return items


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, Decimal)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def count(obj: dict[str, Any], name: str) -> int | None:
    """A token count: a non-negative integer (an integral number is accepted), or None if absent."""
    value = obj.get(name)
    if value is None:
        return None
    if type(value) is int and 0 <= value <= MAX_TOKENS:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)):
        raise EventInvalid(f"{name} must be a non-negative integer, got {_type(value)}")
    if not isinstance(value, int):
        number = Decimal(value)  # exact for a float too
        if not number.is_finite() or number != number.to_integral_value():
            raise EventInvalid(f"{name} must be a whole number, got {value}")
        value = int(number)
    if value < 0:
        raise EventInvalid(f"{name} must not be negative, got {value}")
    if value > MAX_TOKENS:
        raise EventInvalid(f"{name} is implausibly large ({value} > {MAX_TOKENS:,})")
    return value


def parse_ts(value: Any, now: datetime) -> datetime:
    if isinstance(value, bool) or value is None:
        raise EventInvalid(f"timestamp must be an ISO 8601 string or Unix seconds, got {_type(value)}")
    if isinstance(value, (int, float, Decimal)):
        seconds = Decimal(value)
        if not seconds.is_finite():
            raise EventInvalid("timestamp must be finite")
        if seconds > 100_000_000_000:  # Unix milliseconds (JavaScript's Date.now())
            seconds = seconds / 1000
        try:
            ts = datetime.fromtimestamp(float(seconds), UTC)
        except (OverflowError, OSError, ValueError):
            raise EventInvalid(f"timestamp {value} is out of range") from None
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > 64:
            raise EventInvalid("timestamp string is too long")
        try:
            ts = datetime.fromisoformat(text)
        except ValueError:
            raise EventInvalid(f"timestamp {text!r} is not ISO 8601 (e.g. 2026-01-31T12:00:00Z)") from None
        if ts.tzinfo is None or ts.utcoffset() is None:
            raise EventInvalid(f"timestamp {text!r} has no timezone; add Z or +00:00")
        ts = ts.astimezone(UTC)
    else:
        raise EventInvalid(f"timestamp must be an ISO 8601 string or Unix seconds, got {_type(value)}")
    return check_window(ts, now)


def check_window(ts: datetime, now: datetime, what: str = "timestamp") -> datetime:
    """The time window every pushed event must fall in (from 2000 to a day ahead of ``now``), for
    /ingest and OTLP alike."""
    if ts < EARLIEST:
        raise EventInvalid(f"{what} {ts.isoformat()} is before 2000")
    if ts > now + FUTURE_SLACK:
        raise EventInvalid(f"{what} {ts.isoformat()} is in the future")
    return ts


def provider_of(given: Any, model: str) -> str:
    """The event's provider: the one the client gave, else guessed from the model name. Every
    ingested event's provider is settled here."""
    if given is None:
        return infer_provider(model)
    if not isinstance(given, str):
        raise EventInvalid(f"provider must be a string, got {_type(given)}")
    return canonical_provider(given)


def _tokens(obj: dict[str, Any], provider: str) -> dict[str, int]:
    """Token fields in the costtui convention (input = uncached), whatever shape was sent."""
    prompt = count(obj, "prompt_tokens") if "prompt_tokens" in obj else None
    completion = count(obj, "completion_tokens") if "completion_tokens" in obj else None
    total = count(obj, "total_tokens") if "total_tokens" in obj else None
    given: dict[str, int | None] = {}
    for name in TOKEN_FIELDS:
        if name in obj:
            given[name] = count(obj, name)

    if obj.get("usage") is not None:
        usage = obj["usage"]
        if not isinstance(usage, dict):
            raise EventInvalid(f"usage must be an object (a provider's usage), got {_type(usage)}")
        clash = [n for n in ("prompt_tokens", "completion_tokens", *TOKEN_FIELDS) if obj.get(n) is not None]
        if clash:
            raise EventInvalid(f"give either usage or token fields, not both (also got {', '.join(clash)})")
        usage = _plain(usage)
        try:
            out = anthropic_usage(usage) if provider == "anthropic" else openai_usage(usage)
        except ValueError as exc:
            raise EventInvalid(f"usage: {exc}") from None
        for name, value in out.items():
            if value < 0 or value > MAX_TOKENS:
                raise EventInvalid(f"usage: {name} out of range ({value})")
    else:
        if prompt is not None and given.get("input_tokens") is not None:
            raise EventInvalid(
                "give either prompt_tokens (every input token, OpenAI-style) or input_tokens (uncached only), not both"
            )
        if completion is not None and given.get("output_tokens") is not None and completion != given["output_tokens"]:
            raise EventInvalid("completion_tokens and output_tokens disagree")
        out = dict(ZERO_TOKENS)
        for name, sent in given.items():
            if sent:
                out[name] = sent
        if completion is not None:
            out["output_tokens"] = completion
        if prompt is not None:
            uncached = prompt - out["cache_read_tokens"] - out["cache_write_tokens"]
            if uncached < 0:
                raise EventInvalid(
                    "cache_read_tokens + cache_write_tokens exceed prompt_tokens (prompt_tokens counts cached tokens too)"
                )
            out["input_tokens"] = uncached
        elif total is not None and not any(given.values()) and completion is None:
            raise EventInvalid("total_tokens alone cannot be priced: send prompt_tokens and completion_tokens")
    if total is not None:
        actual = out["input_tokens"] + out["cache_read_tokens"] + out["cache_write_tokens"] + out["output_tokens"]
        if total != actual:
            raise EventInvalid(f"total_tokens ({total}) is not input + output ({actual})")
    return out


def _plain(value: Any) -> Any:
    """Decimals from the parser back to ints where the usage normalisers expect ints."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


def format_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def parse_event(
    obj: Any,
    *,
    now: datetime,
    apps: dict[str, str] | None = None,
    header_token: str | None = None,
    source: str = "ingest",
) -> UsageEvent:
    """One event object → a validated UsageEvent. ``apps`` maps tracking tokens to app names."""
    if not isinstance(obj, dict):
        raise EventInvalid(f"an event must be a JSON object, got {_type(obj)}")
    if not obj.keys() <= KNOWN_FIELDS:
        keys = set(obj)
        server = sorted(keys & set(SERVER_FIELDS))
        if server:
            raise EventInvalid(f"field(s) set by the server, not the client: {', '.join(server)}")
        unknown = sorted(str(k) for k in keys - KNOWN_FIELDS)
        raise EventInvalid(f"unknown field(s): {', '.join(unknown[:10])}")

    model = obj.get("model")
    if model is None:
        raise EventInvalid("model is missing")
    if not isinstance(model, str):
        raise EventInvalid(f"model must be a string, got {_type(model)}")
    provider = provider_of(obj.get("provider"), model)

    if "ts" in obj and "timestamp" in obj:
        raise EventInvalid("give ts or timestamp, not both")
    raw_ts = obj.get("ts", obj.get("timestamp"))
    ts = now if raw_ts is None else parse_ts(raw_ts, now)

    data: dict[str, Any] = {k: v for k, v in obj.items() if v is not None and k in PASS_THROUGH_SET}
    data.update(ts=ts, provider=provider, model=model, source=source)
    data.update(_tokens(obj, provider))

    token = obj.get("tracking_token")
    if token is not None and not isinstance(token, str):
        raise EventInvalid(f"tracking_token must be a string, got {_type(token)}")
    if token is not None and not token:
        # An empty token is a client bug (an unset variable), not a request without a token.
        raise EventInvalid("tracking_token is empty: send the app's token (ctt_…) or leave the field out")
    token = token or header_token
    if token:
        if apps is None or token not in apps:
            raise EventInvalid("unknown tracking token")
        data["app"] = apps[token]  # the token decides the app, whatever the body says
    elif obj.get("app") is not None:
        data["app"] = obj["app"]

    if obj.get("latency_ms") is not None:
        latency = obj["latency_ms"]
        if isinstance(latency, bool) or not isinstance(latency, (int, Decimal)):
            raise EventInvalid(f"latency_ms must be a number of milliseconds, got {_type(latency)}")
        if not Decimal(latency).is_finite() or latency < 0:
            raise EventInvalid(f"latency_ms must be a non-negative number, got {latency}")
        if latency > MAX_LATENCY_MS:
            raise EventInvalid(f"latency_ms is implausibly large ({latency} > one day)")
        data["latency_ms"] = int(latency)
    for name in ("status_code",):
        if obj.get(name) is not None:
            v = obj[name]
            if isinstance(v, bool) or not isinstance(v, int):
                raise EventInvalid(f"{name} must be an integer, got {_type(v)}")
            data[name] = v
    if obj.get("cache_hit") is not None:
        if not isinstance(obj["cache_hit"], bool):
            raise EventInvalid(f"cache_hit must be true or false, got {_type(obj['cache_hit'])}")
        data["cache_hit"] = obj["cache_hit"]
    for name in STRING_FIELDS:
        if name in data and not isinstance(data[name], str):
            raise EventInvalid(f"{name} must be a string, got {_type(data[name])}")
    if "cost_usd" in data:
        if isinstance(data["cost_usd"], bool) or not isinstance(data["cost_usd"], (int, Decimal, str)):
            raise EventInvalid(f"cost_usd must be a number or a decimal string, got {_type(data['cost_usd'])}")
        if isinstance(data["cost_usd"], str):
            # A decimal string gets the bounds of a JSON number (no million-digit amounts).
            try:
                data["cost_usd"] = jsonbody.number_from_text(data["cost_usd"])
            except ValueError as exc:
                raise EventInvalid(f"cost_usd: {exc}") from None
        data["cost_source"] = "client"
    try:
        return _validate_event(data)
    except ValidationError as exc:
        raise EventInvalid(format_validation(exc)) from None


def tracking_tokens_in(items: list[Any]) -> dict[str, list[int]]:
    """Distinct tracking tokens named in the events, with the indexes that name them."""
    found: dict[str, list[int]] = {}
    for i, obj in enumerate(items):
        if isinstance(obj, dict):
            token = obj.get("tracking_token")
            if isinstance(token, str) and token:
                found.setdefault(token, []).append(i)
    return found


def parse_batch(
    items: list[Any],
    *,
    now: datetime | None = None,
    apps: dict[str, str] | None = None,
    header_token: str | None = None,
    source: str = "ingest",
) -> ParsedBatch:
    now = now or datetime.now(UTC)
    batch = ParsedBatch()
    for i, obj in enumerate(items):
        try:
            event = parse_event(obj, now=now, apps=apps, header_token=header_token, source=source)
        except EventInvalid as exc:
            batch.errors.append(EventError(i, str(exc)))
        except RecursionError:  # a usage object nested as deep as the parser allowed
            batch.errors.append(EventError(i, "the event is nested too deeply"))
        else:
            batch.events.append(event)
            batch.indexes.append(i)
    return batch
