"""OTLP/HTTP traces (``POST /v1/traces``, JSON or protobuf) → usage events.

Only GenAI *inference* spans become events (``gen_ai.operation.name`` in chat, text_completion,
generate_content, embeddings, or the older ``llm.request.type``); agent, tool, workflow and every
other span is ignored (they wrap the same tokens and would double count). Attribute names follow
the OTel GenAI semantic conventions, with the deprecated names and the OpenLIT / OpenLLMetry
aliases listed in ``providers.md`` §5. The event id is ``gen_ai.response.id`` when present (so the
same call pushed through /ingest with its response id is stored once), else the span id.

Token convention: semconv's ``gen_ai.usage.input_tokens`` *includes* cache reads and writes; if
the cache counts exceed it, the emitter counted them on top (old Anthropic instrumentations) and
the input is taken as uncached.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from pydantic import ValidationError

from costtui.listener.ingest import BodyError, EventError, EventInvalid, check_window, format_validation, loads
from costtui.listener.jsonbody import number_from_text
from costtui.models import MAX_LATENCY_MS, MAX_NAME, MAX_TEXT, MAX_TOKENS, UsageEvent, to_decimal
from costtui.vocabulary import canonical_provider, infer_provider

INFERENCE_OPERATIONS = {"chat", "text_completion", "generate_content", "embeddings"}
LEGACY_REQUEST_TYPES = {
    "chat": "chat",
    "completion": "text_completion",
    "embedding": "embeddings",
    "embeddings": "embeddings",
}
TRACKING_TOKEN_ATTR = "costtui.tracking_token"

ALIASES: dict[str, tuple[str, ...]] = {
    "provider": ("gen_ai.provider.name", "gen_ai.system"),
    "model": ("gen_ai.response.model", "gen_ai.request.model"),
    "input": ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
    "output": ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
    "cache_read": (
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_read_input_tokens",
        "gen_ai.usage.prompt_tokens_details.cached_tokens",
    ),
    "cache_write": (
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.cache_creation_input_tokens",
        "gen_ai.usage.prompt_tokens_details.cache_creation_tokens",
    ),
    "reasoning": (
        "gen_ai.usage.reasoning.output_tokens",
        "gen_ai.usage.reasoning_tokens",
        "gen_ai.usage.completion_tokens_details.reasoning_tokens",
        "llm.usage.reasoning_tokens",
    ),
    "cost": ("gen_ai.usage.cost",),
    "user": ("user.id", "enduser.id"),
}


@dataclass
class Span:
    trace_id: str
    span_id: str
    name: str
    start_ns: int
    end_ns: int
    attrs: dict[str, Any]
    resource: dict[str, Any]
    status_code: int = 0
    status_message: str = ""


@dataclass
class OtlpBatch:
    events: list[UsageEvent] = field(default_factory=list)
    errors: list[EventError] = field(default_factory=list)
    """Rejected GenAI spans (index = position among all spans of the request)."""
    spans: int = 0
    ignored: int = 0
    tokens: set[str] = field(default_factory=set)


# --------------------------------------------------------------------------- decoding
#
# OTLP/JSON is read the way a protobuf JSON decoder reads it: every field must have its proto
# type (a raw number where an AnyValue belongs, ``intValue: true`` or ``intValue: 10.7`` are
# refused, never read as 0 or 10), unknown fields are ignored as the OTLP spec asks. A body that
# does not decode is a 400, as a protobuf body that does not decode is.

ANY_VALUE_KINDS = frozenset(
    {"stringValue", "boolValue", "intValue", "doubleValue", "arrayValue", "kvlistValue", "bytesValue"}
)
INT64 = (-(2**63), 2**63 - 1)
UINT64 = (0, 2**64 - 1)
_DIGITS = re.compile(r"-?[0-9]{1,20}")
_HEX = re.compile(r"[0-9a-fA-F]*")
_SPECIAL_DOUBLES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
STATUS_CODES = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}


def _bad(where: str, message: str) -> BodyError:
    return BodyError(f"invalid OTLP JSON: {where} {message}")


def _json_int(raw: Any, where: str, bounds: tuple[int, int]) -> int:
    """A proto int64/uint64 in JSON: a number or a decimal string, integral, in range."""
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif (isinstance(raw, Decimal) and raw == raw.to_integral_value()) or (
        isinstance(raw, str) and _DIGITS.fullmatch(raw)
    ):
        value = int(raw)  # the parser bounded the Decimal, the pattern the string
    if value is None:
        raise _bad(where, f"must be an integer, got {_shown(raw)}")
    if not bounds[0] <= value <= bounds[1]:
        raise _bad(where, f"is out of range ({value})")
    return value


def _json_double(raw: Any, where: str) -> Any:
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        if raw in _SPECIAL_DOUBLES:
            return _SPECIAL_DOUBLES[raw]  # proto JSON's spelling; refused later where a count is read
        try:
            return number_from_text(raw)
        except ValueError:
            pass
    raise _bad(where, f"must be a number, got {_shown(raw)}")


def _json_value(v: Any, where: str) -> Any:
    """One AnyValue → a Python value (None for an empty one)."""
    if not isinstance(v, dict):
        raise _bad(where, f'must be an AnyValue object such as {{"intValue": "5"}}, got {_shown(v)}')
    kinds = [k for k in v if k in ANY_VALUE_KINDS and v[k] is not None]
    if not kinds:
        return None
    if len(kinds) > 1:
        raise _bad(where, f"holds more than one value ({', '.join(sorted(kinds))})")
    kind = kinds[0]
    raw = v[kind]
    at = f"{where}.{kind}"
    if kind == "stringValue":
        if not isinstance(raw, str):
            raise _bad(at, f"must be a string, got {_shown(raw)}")
        return raw
    if kind == "boolValue":
        if not isinstance(raw, bool):
            raise _bad(at, f"must be true or false, got {_shown(raw)}")
        return raw
    if kind == "intValue":
        return _json_int(raw, at, INT64)
    if kind == "doubleValue":
        return _json_double(raw, at)
    if kind == "bytesValue":
        if not isinstance(raw, str):
            raise _bad(at, f"must be a base64 string, got {_shown(raw)}")
        try:
            return base64.b64decode(raw, validate=True)
        except (ValueError, TypeError):
            try:
                return base64.urlsafe_b64decode(raw)
            except (ValueError, TypeError):
                raise _bad(at, "is not base64") from None
    # arrayValue / kvlistValue: {"values": [...]}
    if not isinstance(raw, dict):
        raise _bad(at, f"must be an object with a values list, got {_shown(raw)}")
    values = raw.get("values")
    if kind == "kvlistValue":
        return _json_attrs(values, f"{at}.values")
    if values is None:
        return []
    if not isinstance(values, list):
        raise _bad(f"{at}.values", f"must be a list, got {_shown(values)}")
    return [_json_value(x, f"{at}.values[{i}]") for i, x in enumerate(values)]


def _shown(value: Any) -> str:
    """A wrong value, named by its JSON type and (shortened) text, for a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value[:30]!r}" + ("…" if len(value) > 30 else "")
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _json_attrs(kvs: Any, where: str) -> dict[str, Any]:
    if kvs is None:
        return {}
    if not isinstance(kvs, list):
        raise _bad(where, "must be a list of {key, value}")
    out: dict[str, Any] = {}
    for i, kv in enumerate(kvs):
        if not isinstance(kv, dict) or not isinstance(kv.get("key"), str):
            raise _bad(f"{where}[{i}]", "is not a {key, value} object (an attribute needs a string key)")
        key = kv["key"]
        if key in out:
            raise _bad(f"{where}[{i}]", f"repeats the key {key[:60]!r} (attribute keys must be unique)")
        out[key] = _json_value(kv.get("value"), f"{where}[{key[:60]!r}]")
    return out


def _object(doc: Any, key: str, where: str) -> dict[str, Any]:
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad(f"{where}{key}", f"must be an object, got {_shown(value)}")
    return value


def _list(doc: Any, key: str, where: str) -> list[Any]:
    value = doc.get(key) if isinstance(doc, dict) else None
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(f"{where}{key}", "must be a list")
    return value


def _string(sp: dict[str, Any], key: str, where: str) -> str:
    value = sp.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _bad(f"{where}.{key}", f"must be a string, got {_shown(value)}")
    return value


def _id(sp: dict[str, Any], key: str, where: str, size: int) -> str:
    """traceId / spanId: hex in OTLP/JSON (not base64), ``size`` bytes, or empty."""
    value = _string(sp, key, where)
    if value and (len(value) != 2 * size or not _HEX.fullmatch(value)):
        raise _bad(f"{where}.{key}", f"must be {2 * size} hex digits, got {_shown(value)}")
    return value.lower()


def _status(sp: dict[str, Any], where: str) -> tuple[int, str]:
    status = _object(sp, "status", f"{where}.")
    code = status.get("code")
    if code is None:
        number = 0
    elif isinstance(code, str) and code in STATUS_CODES:
        number = STATUS_CODES[code]
    else:
        number = _json_int(code, f"{where}.status.code", (0, 2))
    return number, _string(status, "message", f"{where}.status")


def spans_from_json(raw: bytes) -> Iterator[Span]:
    doc = loads(raw, "OTLP JSON")
    if not isinstance(doc, dict):
        raise BodyError("invalid OTLP JSON: the body must be an ExportTraceServiceRequest object")
    if "resource_spans" in doc:
        raise BodyError("invalid OTLP JSON: keys are lowerCamelCase (resourceSpans, not resource_spans)")
    for i, rs in enumerate(_list(doc, "resourceSpans", "")):
        at_rs = f"resourceSpans[{i}]"
        if not isinstance(rs, dict):
            raise _bad(at_rs, "must be an object")
        res = _object(rs, "resource", f"{at_rs}.")
        resource = _json_attrs(res.get("attributes"), f"{at_rs}.resource.attributes")
        for j, ss in enumerate(_list(rs, "scopeSpans", f"{at_rs}.")):
            at_ss = f"{at_rs}.scopeSpans[{j}]"
            if not isinstance(ss, dict):
                raise _bad(at_ss, "must be an object")
            _object(ss, "scope", f"{at_ss}.")
            for k, sp in enumerate(_list(ss, "spans", f"{at_ss}.")):
                where = f"{at_ss}.spans[{k}]"
                if not isinstance(sp, dict):
                    raise _bad(where, "must be an object")
                code, message = _status(sp, where)
                yield Span(
                    trace_id=_id(sp, "traceId", where, 16),
                    span_id=_id(sp, "spanId", where, 8),
                    name=_string(sp, "name", where),
                    start_ns=_time(sp, "startTimeUnixNano", where),
                    end_ns=_time(sp, "endTimeUnixNano", where),
                    attrs=_json_attrs(sp.get("attributes"), f"{where}.attributes"),
                    resource=resource,
                    status_code=code,
                    status_message=message,
                )


def _time(sp: dict[str, Any], key: str, where: str) -> int:
    value = sp.get(key)
    if value is None:
        return 0
    try:
        return _json_int(value, f"{where}.{key}", UINT64)
    except BodyError:
        raise _bad(f"{where}.{key}", f"is a non-integer time (nanoseconds since 1970), got {_shown(value)}") from None


def _pb_value(v: Any, where: str) -> Any:
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_pb_value(x, where) for x in v.array_value.values]
    if kind == "kvlist_value":
        return _pb_attrs(v.kvlist_value.values, where)
    return getattr(v, kind)


def _pb_attrs(kvs: Any, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in kvs:
        if kv.key in out:
            raise BodyError(
                f"invalid OTLP protobuf: {where} repeats the attribute key {kv.key[:60]!r} (keys must be unique)"
            )
        out[kv.key] = _pb_value(kv.value, where)
    return out


def spans_from_protobuf(raw: bytes) -> Iterator[Span]:
    req = ExportTraceServiceRequest()
    try:
        req.ParseFromString(raw)
    except (DecodeError, RuntimeWarning, ValueError) as exc:
        raise BodyError(f"invalid OTLP protobuf: cannot decode an ExportTraceServiceRequest ({exc})") from None
    for i, rs in enumerate(req.resource_spans):
        resource = _pb_attrs(rs.resource.attributes, f"resourceSpans[{i}].resource")
        for j, ss in enumerate(rs.scope_spans):
            for k, sp in enumerate(ss.spans):
                where = f"resourceSpans[{i}].scopeSpans[{j}].spans[{k}]"
                for name, value, size in (("traceId", sp.trace_id, 16), ("spanId", sp.span_id, 8)):
                    if value and len(value) != size:
                        raise BodyError(f"invalid OTLP protobuf: {where}.{name} must be {size} bytes, got {len(value)}")
                yield Span(
                    trace_id=sp.trace_id.hex(),
                    span_id=sp.span_id.hex(),
                    name=sp.name,
                    start_ns=sp.start_time_unix_nano,
                    end_ns=sp.end_time_unix_nano,
                    attrs=_pb_attrs(sp.attributes, where),
                    resource=resource,
                    status_code=int(sp.status.code),
                    status_message=sp.status.message,
                )


# --------------------------------------------------------------------------- spans → events


def _first(attrs: dict[str, Any], what: str) -> tuple[str, Any] | tuple[None, None]:
    for name in ALIASES[what]:
        if attrs.get(name) is not None:
            return name, attrs[name]
    return None, None


def _count(attrs: dict[str, Any], what: str) -> int:
    name, value = _first(attrs, what)
    if name is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise EventInvalid(f"{name} must be an integer, got {_shown(value)}")
    if isinstance(value, (float, Decimal)):
        # A double (protobuf's double_value, or JSON's doubleValue) may be NaN or ±Infinity.
        if not math.isfinite(value):
            raise EventInvalid(f"{name} must be a finite integer, got {value}")
        if value != int(value):
            raise EventInvalid(f"{name} must be a whole number, got {value}")
        value = int(value)
    if value < 0:
        raise EventInvalid(f"{name} must not be negative, got {value}")
    if value > MAX_TOKENS:
        raise EventInvalid(f"{name} is implausibly large ({value})")
    return value


def operation_of(attrs: dict[str, Any]) -> str | None:
    """The inference operation of a span, or None when it is not one (ignored)."""
    op = attrs.get("gen_ai.operation.name")
    if isinstance(op, str) and op:
        return op if op in INFERENCE_OPERATIONS else None
    legacy = attrs.get("llm.request.type")
    if isinstance(legacy, str) and legacy:
        return LEGACY_REQUEST_TYPES.get(legacy.lower())
    # No operation at all: a span that carries a model and usage is still a model call.
    has_model = _first(attrs, "model")[0] is not None
    has_usage = _first(attrs, "input")[0] is not None or _first(attrs, "output")[0] is not None
    return "chat" if has_model and has_usage else None


def span_to_event(span: Span, *, app: str | None, now: datetime | None = None) -> UsageEvent | None:
    """The usage event of an inference span (None for any other span). ``now`` bounds the span's
    time, with the window of /ingest (:func:`costtui.listener.ingest.check_window`)."""
    attrs = span.attrs
    operation = operation_of(attrs)
    if operation is None:
        return None
    _, model = _first(attrs, "model")
    if not isinstance(model, str) or not model.strip():
        raise EventInvalid("GenAI span without a model (gen_ai.request.model / gen_ai.response.model)")
    _, provider = _first(attrs, "provider")
    has_provider = isinstance(provider, str) and provider.strip()
    provider = canonical_provider(provider) if has_provider else infer_provider(model)

    total_in = _count(attrs, "input")
    cache_read = _count(attrs, "cache_read")
    cache_write = _count(attrs, "cache_write")
    output = _count(attrs, "output")
    reasoning = _count(attrs, "reasoning")
    # semconv: input includes cache tokens; legacy emitters counted them on top.
    uncached = total_in if cache_read + cache_write > total_in else total_in - cache_read - cache_write

    end_ns = span.end_ns or span.start_ns
    if end_ns <= 0:
        raise EventInvalid("span has no start or end time")
    try:
        ts = datetime.fromtimestamp(end_ns // 1_000_000_000, UTC).replace(microsecond=end_ns % 1_000_000_000 // 1000)
    except (OverflowError, OSError, ValueError):
        raise EventInvalid(f"span time {end_ns} is out of range") from None
    check_window(ts, now or datetime.now(UTC), "span time")
    latency = (span.end_ns - span.start_ns) // 1_000_000 if span.start_ns and span.end_ns >= span.start_ns else None

    response_id = attrs.get("gen_ai.response.id")
    if isinstance(response_id, str) and response_id.strip():
        event_id = response_id.strip()
    elif span.span_id:
        event_id = f"otlp:{span.trace_id}:{span.span_id}"
    else:
        event_id = None

    data: dict[str, Any] = {
        "event_id": event_id,
        "ts": ts,
        "provider": provider,
        "model": model,
        "operation": operation,
        "source": "otlp",
        "app": app,
        "input_tokens": uncached,
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "output_tokens": output,
        "reasoning_tokens": min(reasoning, output),
        "latency_ms": latency if latency is not None and latency <= MAX_LATENCY_MS else None,
    }
    _, user = _first(attrs, "user")
    if isinstance(user, str) and user.strip():
        data["user"] = user[:MAX_NAME]
    if span.status_code == 2:
        data["status"] = "error"
        err = span.status_message or attrs.get("error.type")
        data["error"] = str(err)[:MAX_TEXT] if err else "error"
    name, cost = _first(attrs, "cost")
    if name is not None:
        try:
            data["cost_usd"] = number_from_text(cost) if isinstance(cost, str) else to_decimal(cost)
        except ValueError as exc:
            raise EventInvalid(f"{name}: {exc}") from None
        data["cost_source"] = "client"
    try:
        return UsageEvent.model_validate(data)
    except ValidationError as exc:
        raise EventInvalid(format_validation(exc)) from None


def tracking_token_of(span: Span) -> str | None:
    """The span's tracking token: the resource's ``costtui.tracking_token``, else the span's."""
    for attrs in (span.resource, span.attrs):
        value = attrs.get(TRACKING_TOKEN_ATTR)
        if value is not None:
            return value if isinstance(value, str) and value else None
    return None


def _token_problem(span: Span) -> str | None:
    """Why the span's token attribute is unusable (empty, not a string), or None."""
    for attrs in (span.resource, span.attrs):
        value = attrs.get(TRACKING_TOKEN_ATTR)
        if value is None:
            continue
        if not isinstance(value, str):
            return f"{TRACKING_TOKEN_ATTR} must be a string, got {_shown(value)}"
        if not value:
            # An empty token is a client bug (an unset variable), not a span without a token.
            return f"{TRACKING_TOKEN_ATTR} is empty: set the app's token (ctt_…) or leave the attribute out"
        return None
    return None


def decode(raw: bytes, content_type: str) -> list[Span]:
    """The spans of a request body; a :class:`BodyError` when it does not decode."""
    try:
        if content_type == "application/x-protobuf":
            return list(spans_from_protobuf(raw))
        return list(spans_from_json(raw))
    except RecursionError:  # attribute values nested as deep as the parser allowed
        raise BodyError(
            f"invalid OTLP {'protobuf' if 'protobuf' in content_type else 'JSON'}: nested too deeply"
        ) from None


def convert(
    spans: list[Span], *, apps: dict[str, str], header_token: str | None, now: datetime | None = None
) -> OtlpBatch:
    """Spans → events. ``apps`` maps every tracking token in play to its app name."""
    batch = OtlpBatch(spans=len(spans))
    now = now or datetime.now(UTC)
    for i, span in enumerate(spans):
        problem = _token_problem(span)
        if problem is not None and operation_of(span.attrs) is not None:
            batch.errors.append(EventError(i, f"span {span.span_id or i}: {problem}"))
            continue
        token = tracking_token_of(span) or header_token
        app = apps.get(token) if token else None
        if app is None:
            service = span.resource.get("service.name")
            app = (
                service.strip()[:MAX_NAME]
                if isinstance(service, str) and service.strip() and not service.startswith("unknown_service")
                else None
            )
        try:
            event = span_to_event(span, app=app, now=now)
        except EventInvalid as exc:
            batch.errors.append(EventError(i, f"span {span.span_id or i}: {exc}"))
            continue
        if event is None:
            batch.ignored += 1
        else:
            batch.events.append(event)
    return batch


def response(content_type: str, rejected: int = 0, message: str = "") -> tuple[bytes, str]:
    """The OTLP success / partial-success response, in the request's encoding."""
    if content_type == "application/x-protobuf":
        msg = ExportTraceServiceResponse()
        if rejected:
            msg.partial_success.rejected_spans = rejected
            msg.partial_success.error_message = message
        return msg.SerializeToString(), "application/x-protobuf"
    body: dict[str, Any] = {}
    if rejected:
        body = {"partialSuccess": {"rejectedSpans": str(rejected), "errorMessage": message}}
    return json.dumps(body).encode(), "application/json"
