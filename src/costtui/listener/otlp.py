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

from costtui.listener.ingest import BodyError, EventError, EventInvalid, format_validation
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


def _json_value(v: Any) -> Any:
    if not isinstance(v, dict):
        return None
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        raw = v["intValue"]
        if isinstance(raw, bool):
            return None
        try:
            return int(raw)
        except (TypeError, ValueError):
            return _Bad(raw)
    if "doubleValue" in v:
        raw = v["doubleValue"]
        return raw if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool) else _Bad(raw)
    if "boolValue" in v:
        return v["boolValue"]
    if "arrayValue" in v:
        values = (v["arrayValue"] or {}).get("values") or []
        return [_json_value(x) for x in values] if isinstance(values, list) else None
    if "kvlistValue" in v:
        return _json_attrs((v["kvlistValue"] or {}).get("values"))
    if "bytesValue" in v:
        try:
            return base64.b64decode(v["bytesValue"])
        except (ValueError, TypeError):
            return None
    return None


class _Bad:
    """An attribute value of the wrong type (kept so the error can name it)."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def __repr__(self) -> str:
        return repr(self.raw)[:40]


def _json_attrs(kvs: Any) -> dict[str, Any]:
    if kvs is None:
        return {}
    if not isinstance(kvs, list):
        raise BodyError("invalid OTLP JSON: attributes must be a list of {key, value}")
    out: dict[str, Any] = {}
    for kv in kvs:
        if not isinstance(kv, dict) or not isinstance(kv.get("key"), str):
            raise BodyError("invalid OTLP JSON: an attribute is not a {key, value} object")
        out[kv["key"]] = _json_value(kv.get("value"))
    return out


def _list(doc: Any, key: str, where: str) -> list[Any]:
    value = doc.get(key) if isinstance(doc, dict) else None
    if value is None:
        return []
    if not isinstance(value, list):
        raise BodyError(f"invalid OTLP JSON: {where}{key} must be a list")
    return value


def _nanos(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError
    return int(value)


def spans_from_json(raw: bytes) -> Iterator[Span]:
    try:
        doc = json.loads(raw.decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError:
        raise BodyError("invalid OTLP JSON: the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BodyError(f"invalid OTLP JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:
        raise BodyError(f"invalid OTLP JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise BodyError("invalid OTLP JSON: the body must be an ExportTraceServiceRequest object")
    if "resource_spans" in doc:
        raise BodyError("invalid OTLP JSON: keys are lowerCamelCase (resourceSpans, not resource_spans)")
    for i, rs in enumerate(_list(doc, "resourceSpans", "")):
        if not isinstance(rs, dict):
            raise BodyError(f"invalid OTLP JSON: resourceSpans[{i}] must be an object")
        resource = _json_attrs(
            (rs.get("resource") or {}).get("attributes") if isinstance(rs.get("resource") or {}, dict) else None
        )
        for j, ss in enumerate(_list(rs, "scopeSpans", f"resourceSpans[{i}].")):
            for k, sp in enumerate(_list(ss, "spans", f"resourceSpans[{i}].scopeSpans[{j}].")):
                where = f"resourceSpans[{i}].scopeSpans[{j}].spans[{k}]"
                if not isinstance(sp, dict):
                    raise BodyError(f"invalid OTLP JSON: {where} must be an object")
                status = sp.get("status") or {}
                try:
                    start, end = _nanos(sp.get("startTimeUnixNano")), _nanos(sp.get("endTimeUnixNano"))
                    code = int(status.get("code") or 0) if isinstance(status, dict) else 0
                except (TypeError, ValueError):
                    raise BodyError(f"invalid OTLP JSON: {where} has a non-integer time or status code") from None
                yield Span(
                    trace_id=str(sp.get("traceId") or "").lower(),
                    span_id=str(sp.get("spanId") or "").lower(),
                    name=str(sp.get("name") or ""),
                    start_ns=start,
                    end_ns=end,
                    attrs=_json_attrs(sp.get("attributes")),
                    resource=resource,
                    status_code=code,
                    status_message=str(status.get("message") or "") if isinstance(status, dict) else "",
                )


def _pb_value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_pb_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _pb_value(kv.value) for kv in v.kvlist_value.values}
    return getattr(v, kind)


def spans_from_protobuf(raw: bytes) -> Iterator[Span]:
    req = ExportTraceServiceRequest()
    try:
        req.ParseFromString(raw)
    except (DecodeError, RuntimeWarning, ValueError) as exc:
        raise BodyError(f"invalid OTLP protobuf: cannot decode an ExportTraceServiceRequest ({exc})") from None
    for rs in req.resource_spans:
        resource = {kv.key: _pb_value(kv.value) for kv in rs.resource.attributes}
        for ss in rs.scope_spans:
            for sp in ss.spans:
                yield Span(
                    trace_id=sp.trace_id.hex(),
                    span_id=sp.span_id.hex(),
                    name=sp.name,
                    start_ns=sp.start_time_unix_nano,
                    end_ns=sp.end_time_unix_nano,
                    attrs={kv.key: _pb_value(kv.value) for kv in sp.attributes},
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
    if isinstance(value, (float, Decimal)) and not isinstance(value, bool) and value == int(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise EventInvalid(f"{name} must be an integer, got {value!r}")
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


def span_to_event(span: Span, *, app: str | None) -> UsageEvent | None:
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
        ts = datetime.fromtimestamp(end_ns / 1e9, UTC)
    except (OverflowError, OSError, ValueError):
        raise EventInvalid(f"span time {end_ns} is out of range") from None
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
            data["cost_usd"] = to_decimal(cost.raw if isinstance(cost, _Bad) else cost)
        except ValueError as exc:
            raise EventInvalid(f"{name}: {exc}") from None
        data["cost_source"] = "client"
    try:
        return UsageEvent.model_validate(data)
    except ValidationError as exc:
        raise EventInvalid(format_validation(exc)) from None


def tracking_token_of(span: Span) -> str | None:
    value = span.resource.get(TRACKING_TOKEN_ATTR) or span.attrs.get(TRACKING_TOKEN_ATTR)
    return value if isinstance(value, str) and value else None


def decode(raw: bytes, content_type: str) -> list[Span]:
    if content_type == "application/x-protobuf":
        return list(spans_from_protobuf(raw))
    return list(spans_from_json(raw))


def convert(spans: list[Span], *, apps: dict[str, str], header_token: str | None) -> OtlpBatch:
    """Spans → events. ``apps`` maps every tracking token in play to its app name."""
    batch = OtlpBatch(spans=len(spans))
    for i, span in enumerate(spans):
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
            event = span_to_event(span, app=app)
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
