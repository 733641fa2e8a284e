"""A battery of hostile and malformed requests: each gets the right 4xx with a JSON message that
names the problem, nothing is stored, and the listener keeps serving valid requests."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from listener_helpers import AUTH, INGEST_KEY, JSON_AUTH, count_rows, good_event

G = good_event()
KEY = INGEST_KEY


def j(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def ev(**changes: Any) -> bytes:
    """A valid Cost Guardian event with some fields changed (None removes a field)."""
    base = dict(G)
    for k, v in changes.items():
        if v is None:
            base.pop(k, None)
        else:
            base[k] = v
    return j(base)


def otlp_json(attrs: Any = None, **span: Any) -> bytes:
    sp = {"traceId": "4fd0b6131f19f39af59518d127b0cafe", "spanId": "2e1c4b7a9d3f0a11", "name": "chat gpt-4o", **span}
    if attrs is not None:
        genai = isinstance(attrs, list) and attrs and attrs[-1].get("key") == TOK
        sp["attributes"] = [*GENAI, *attrs] if genai else attrs
    return _encode({"resourceSpans": [{"scopeSpans": [{"spans": [sp]}]}]}).encode()


class RAW(str):
    """JSON text put into a body as is (NaN, 1e1000000, a lone-surrogate escape)."""


def _encode(obj: Any) -> str:
    raws: list[str] = []

    def mark(value: Any) -> Any:
        if isinstance(value, RAW):
            raws.append(str(value))
            return f"@@RAW{len(raws) - 1}@@"
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v) for v in value]
        return value

    text = json.dumps(mark(obj))
    for i, raw in enumerate(raws):
        text = text.replace(f'"@@RAW{i}@@"', raw)
    return text


def raw_ev(field: str, raw: str) -> bytes:
    """A valid event whose ``field`` is the JSON text ``raw`` (added after the others, so a field
    already there is given twice)."""
    return (json.dumps(G)[:-1] + f', "{field}": {raw}}}').encode()


TOK = "gen_ai.usage.input_tokens"
GENAI = [
    {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
    {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
]


def tok_attr(raw: str) -> dict[str, Any]:
    """The input-token attribute, its AnyValue given as raw JSON text (after the GenAI ones)."""
    return {"key": TOK, "value": RAW(raw)}


DEEP_ANY = '{"arrayValue": {"values": [' * 400 + '{"intValue": 1}' + "]}}" * 400


def pb_span(span_id: bytes) -> bytes:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    req = ExportTraceServiceRequest()
    sp = req.resource_spans.add().scope_spans.add().spans.add()
    sp.trace_id = bytes(16)
    sp.span_id = span_id
    return req.SerializeToString()


PB = {**AUTH, "Content-Type": "application/x-protobuf"}
OJ = {**AUTH, "Content-Type": "application/json"}
TOKEN_HEADER = "X-Costtui-Token"


class Chunked:
    """A body sent without Content-Length (chunked)."""

    def __init__(self, size: int) -> None:
        self.size = size


# (id, method, path, headers, body, status, fragment of the error message)
CASES: list[tuple[str, str, str, dict[str, str], Any, int, str]] = [
    # ---- body / JSON
    ("bad-json", "POST", "/ingest", JSON_AUTH, b'{"model":', 400, "invalid JSON"),
    ("json-trailing-garbage", "POST", "/ingest", JSON_AUTH, b'{"model":"x"} trailing', 400, "invalid JSON"),
    ("empty-body", "POST", "/ingest", JSON_AUTH, b"", 400, "empty request body"),
    ("whitespace-body", "POST", "/ingest", JSON_AUTH, b"  \n ", 400, "empty request body"),
    ("not-utf8", "POST", "/ingest", JSON_AUTH, b'{"model": "\xff\xfe"}', 400, "not UTF-8"),
    ("nan", "POST", "/ingest", JSON_AUTH, b'{"model":"gpt-4o","prompt_tokens":NaN}', 400, "NaN"),
    ("infinity", "POST", "/ingest", JSON_AUTH, b'{"model":"gpt-4o","prompt_tokens":Infinity}', 400, "Infinity"),
    ("top-level-string", "POST", "/ingest", JSON_AUTH, b'"hello"', 400, "got a string"),
    ("top-level-number", "POST", "/ingest", JSON_AUTH, b"42", 400, "got a number"),
    ("top-level-null", "POST", "/ingest", JSON_AUTH, b"null", 400, "got null"),
    ("empty-list", "POST", "/ingest", JSON_AUTH, b"[]", 400, "no events"),
    ("events-not-list", "POST", "/ingest", JSON_AUTH, b'{"events": {"model": "x"}}', 400, "'events' must be a list"),
    ("events-extra-key", "POST", "/ingest", JSON_AUTH, j({"events": [G], "foo": 1}), 400, "unknown top-level"),
    ("too-many-events", "POST", "/ingest", JSON_AUTH, j([G] * 101), 413, "too many events"),
    ("deep-nesting", "POST", "/ingest", JSON_AUTH, b"[" * 100_000 + b"]" * 100_000, 400, "nested too deeply"),
    (
        "huge-int-literal",
        "POST",
        "/ingest",
        JSON_AUTH,
        b'{"model":"x","prompt_tokens":' + b"9" * 5000 + b"}",
        400,
        "invalid JSON",
    ),
    # ---- numbers are bounded by their text before they are built; NaN/Infinity are not JSON
    ("exp-number-token", "POST", "/ingest", JSON_AUTH, raw_ev("prompt_tokens", "1e1000000"), 400, "out of range"),
    ("exp-number-negative", "POST", "/ingest", JSON_AUTH, raw_ev("latency_ms", "-1E999999999"), 400, "out of range"),
    ("exp-number-tiny", "POST", "/ingest", JSON_AUTH, raw_ev("cost_usd", "1e-1000000"), 400, "out of range"),
    ("exp-number-timestamp", "POST", "/ingest", JSON_AUTH, raw_ev("timestamp", "1e400"), 400, "out of range"),
    (
        "exp-number-in-usage",
        "POST",
        "/ingest",
        JSON_AUTH,
        b'{"model":"gpt-4o","usage":{"prompt_tokens":9e99999}}',
        400,
        "out of range",
    ),
    ("long-number", "POST", "/ingest", JSON_AUTH, raw_ev("cost_usd", "0." + "0" * 60 + "1"), 400, "too long"),
    ("minus-infinity", "POST", "/ingest", JSON_AUTH, raw_ev("prompt_tokens", "-Infinity"), 400, "-Infinity"),
    ("cost-string-exp", "POST", "/ingest", JSON_AUTH, ev(cost_usd="1e-1000000"), 422, "cost_usd"),
    ("cost-string-long", "POST", "/ingest", JSON_AUTH, ev(cost_usd="0." + "0" * 5000 + "1"), 422, "cost_usd"),
    (
        "deep-usage",
        "POST",
        "/ingest",
        JSON_AUTH,
        b'{"model":"gpt-4o","usage":' + b'{"a":' * 700 + b"1" + b"}" * 700 + b"}",
        422,
        "nested too deeply",
    ),
    (
        "otlp-deep-array-value",
        "POST",
        "/v1/traces",
        OJ,
        otlp_json(attrs=[tok_attr(DEEP_ANY)]),
        400,
        "nested too deeply",
    ),
    # ---- duplicate keys: two parsers must not read one body two ways
    ("duplicate-key", "POST", "/ingest", JSON_AUTH, raw_ev("prompt_tokens", "5"), 400, "duplicate key 'prompt_tokens'"),
    (
        "duplicate-key-nested",
        "POST",
        "/ingest",
        JSON_AUTH,
        b'{"model":"gpt-4o","usage":{"a":1,"a":2}}',
        400,
        "duplicate key 'a'",
    ),
    (
        "duplicate-key-events",
        "POST",
        "/ingest",
        JSON_AUTH,
        b'{"events":[],"events":[{"model":"x"}]}',
        400,
        "duplicate key 'events'",
    ),
    # ---- text must be Unicode: a lone surrogate is refused with the field's name
    (
        "surrogate-token",
        "POST",
        "/ingest",
        JSON_AUTH,
        raw_ev("tracking_token", '"ctt_\\ud800x"'),
        400,
        "field 'tracking_token'",
    ),
    (
        "surrogate-model",
        "POST",
        "/ingest",
        JSON_AUTH,
        b'{"model":"gpt\\udfff","prompt_tokens":1}',
        400,
        "field 'model'",
    ),
    ("surrogate-tag", "POST", "/ingest", JSON_AUTH, raw_ev("tags", '["ok", "\\udc80"]'), 400, "field 'tags'"),
    ("surrogate-key", "POST", "/ingest", JSON_AUTH, b'{"model":"x","\\ud800":1}', 400, "lone surrogate"),
    ("surrogate-top-level", "POST", "/ingest", JSON_AUTH, b'["\\ud800"]', 400, "lone surrogate"),
    # ---- an empty tracking token is a client bug, not "no token"
    ("empty-tracking-token", "POST", "/ingest", JSON_AUTH, ev(tracking_token=""), 422, "tracking_token is empty"),
    ("empty-token-header", "POST", "/ingest", {**JSON_AUTH, TOKEN_HEADER: ""}, ev(), 400, "empty X-Costtui-Token"),
    ("otlp-empty-token-header", "POST", "/v1/traces", {**OJ, TOKEN_HEADER: ""}, b"{}", 400, "empty X-Costtui-Token"),
    # ---- one invalid event (422, reason names the field)
    ("missing-model", "POST", "/ingest", JSON_AUTH, ev(model=None), 422, "model is missing"),
    ("model-not-string", "POST", "/ingest", JSON_AUTH, ev(model=123), 422, "model must be a string"),
    ("model-empty", "POST", "/ingest", JSON_AUTH, ev(model="  "), 422, "model"),
    ("model-too-long", "POST", "/ingest", JSON_AUTH, ev(model="m" * 500), 422, "model"),
    (
        "tokens-string",
        "POST",
        "/ingest",
        JSON_AUTH,
        ev(prompt_tokens="12", total_tokens=None),
        422,
        "prompt_tokens must be a non-negative integer, got a string",
    ),
    (
        "tokens-negative",
        "POST",
        "/ingest",
        JSON_AUTH,
        ev(prompt_tokens=-5, total_tokens=None),
        422,
        "prompt_tokens must not be negative",
    ),
    (
        "tokens-huge",
        "POST",
        "/ingest",
        JSON_AUTH,
        ev(prompt_tokens=10**13, total_tokens=None),
        422,
        "prompt_tokens is implausibly large",
    ),
    (
        "tokens-fraction",
        "POST",
        "/ingest",
        JSON_AUTH,
        ev(prompt_tokens=1.5, total_tokens=None),
        422,
        "prompt_tokens must be a whole number",
    ),
    ("tokens-bool", "POST", "/ingest", JSON_AUTH, ev(prompt_tokens=True, total_tokens=None), 422, "got a boolean"),
    (
        "tokens-list",
        "POST",
        "/ingest",
        JSON_AUTH,
        ev(completion_tokens=[1], total_tokens=None),
        422,
        "completion_tokens must be a non-negative integer, got a list",
    ),
    ("total-mismatch", "POST", "/ingest", JSON_AUTH, ev(total_tokens=5), 422, "total_tokens (5) is not input + output"),
    (
        "total-alone",
        "POST",
        "/ingest",
        JSON_AUTH,
        j({"model": "gpt-4o", "total_tokens": 10}),
        422,
        "total_tokens alone",
    ),
    ("unknown-field", "POST", "/ingest", JSON_AUTH, ev(colour="red"), 422, "unknown field(s): colour"),
    ("server-field-source", "POST", "/ingest", JSON_AUTH, ev(source="proxy"), 422, "set by the server"),
    ("server-field-cost-source", "POST", "/ingest", JSON_AUTH, ev(cost_source="priced"), 422, "cost_source"),
    ("server-field-api-key-fp", "POST", "/ingest", JSON_AUTH, ev(api_key_fp="sk-…abcd"), 422, "api_key_fp"),
    ("naive-timestamp", "POST", "/ingest", JSON_AUTH, ev(timestamp="2026-01-01T00:00:00"), 422, "has no timezone"),
    ("garbage-timestamp", "POST", "/ingest", JSON_AUTH, ev(timestamp="yesterday"), 422, "not ISO 8601"),
    ("future-timestamp", "POST", "/ingest", JSON_AUTH, ev(timestamp="2099-01-01T00:00:00Z"), 422, "in the future"),
    ("ancient-timestamp", "POST", "/ingest", JSON_AUTH, ev(timestamp=5), 422, "before 2000"),
    ("timestamp-bool", "POST", "/ingest", JSON_AUTH, ev(timestamp=True), 422, "timestamp must be"),
    (
        "ts-and-timestamp",
        "POST",
        "/ingest",
        JSON_AUTH,
        ev(ts="2026-01-01T00:00:00Z", timestamp="2026-01-01T00:00:00Z"),
        422,
        "ts or timestamp",
    ),
    ("cost-negative", "POST", "/ingest", JSON_AUTH, ev(cost_usd=-1), 422, "cost_usd must not be negative"),
    ("cost-huge", "POST", "/ingest", JSON_AUTH, ev(cost_usd=1e9), 422, "implausibly large"),
    ("cost-garbage", "POST", "/ingest", JSON_AUTH, ev(cost_usd="abc"), 422, "cost_usd"),
    ("cost-bool", "POST", "/ingest", JSON_AUTH, ev(cost_usd=True), 422, "cost_usd must be a number"),
    ("status-unknown", "POST", "/ingest", JSON_AUTH, ev(status="weird"), 422, "status"),
    (
        "reasoning-over-output",
        "POST",
        "/ingest",
        JSON_AUTH,
        ev(reasoning_tokens=500),
        422,
        "reasoning_tokens cannot exceed output_tokens",
    ),
    (
        "cache-over-prompt",
        "POST",
        "/ingest",
        JSON_AUTH,
        ev(cache_read_tokens=5000, total_tokens=None),
        422,
        "exceed prompt_tokens",
    ),
    (
        "prompt-and-input",
        "POST",
        "/ingest",
        JSON_AUTH,
        ev(input_tokens=5, total_tokens=None),
        422,
        "either prompt_tokens",
    ),
    (
        "usage-not-object",
        "POST",
        "/ingest",
        JSON_AUTH,
        j({"model": "gpt-4o", "usage": [1, 2]}),
        422,
        "usage must be an object",
    ),
    (
        "usage-and-fields",
        "POST",
        "/ingest",
        JSON_AUTH,
        j({"model": "gpt-4o", "usage": {"prompt_tokens": 1}, "output_tokens": 3}),
        422,
        "either usage or token fields",
    ),
    (
        "usage-cached-over-prompt",
        "POST",
        "/ingest",
        JSON_AUTH,
        j({"model": "gpt-4o", "usage": {"prompt_tokens": 1, "prompt_tokens_details": {"cached_tokens": 9}}}),
        422,
        "cached tokens exceed",
    ),
    ("latency-negative", "POST", "/ingest", JSON_AUTH, ev(latency_ms=-3), 422, "latency_ms must be a non-negative"),
    ("latency-string", "POST", "/ingest", JSON_AUTH, ev(latency_ms="fast"), 422, "latency_ms must be a number"),
    ("too-many-tags", "POST", "/ingest", JSON_AUTH, ev(tags=[f"t{i}" for i in range(40)]), 422, "tags"),
    ("event-id-too-long", "POST", "/ingest", JSON_AUTH, ev(event_id="e" * 300), 422, "event_id"),
    ("event-id-number", "POST", "/ingest", JSON_AUTH, ev(event_id=7), 422, "event_id must be a string"),
    (
        "tracking-token-number",
        "POST",
        "/ingest",
        JSON_AUTH,
        ev(tracking_token=123),
        422,
        "tracking_token must be a string",
    ),
    ("event-is-list", "POST", "/ingest", JSON_AUTH, b"[[1, 2]]", 422, "an event must be a JSON object"),
    ("cache-hit-string", "POST", "/ingest", JSON_AUTH, ev(cache_hit="yes"), 422, "cache_hit must be true or false"),
    ("provider-number", "POST", "/ingest", JSON_AUTH, ev(provider=5), 422, "provider must be a string"),
    ("status-code-out-of-range", "POST", "/ingest", JSON_AUTH, ev(status_code=999), 422, "status_code"),
    # ---- auth, tokens
    ("missing-key", "POST", "/ingest", {"Content-Type": "application/json"}, ev(), 401, "missing ingest key"),
    (
        "wrong-key",
        "POST",
        "/ingest",
        {"Content-Type": "application/json", "X-Ingest-Key": "nope"},
        ev(),
        401,
        "wrong ingest key",
    ),
    (
        "wrong-bearer",
        "POST",
        "/ingest",
        {"Content-Type": "application/json", "Authorization": "Bearer nope"},
        ev(),
        401,
        "wrong ingest key",
    ),
    (
        "empty-bearer",
        "POST",
        "/ingest",
        {"Content-Type": "application/json", "Authorization": "Bearer "},
        ev(),
        401,
        "missing ingest key",
    ),
    (
        "basic-auth",
        "POST",
        "/ingest",
        {"Content-Type": "application/json", "Authorization": "Basic dXNlcjpwYXNz"},
        ev(),
        401,
        "missing ingest key",
    ),
    ("disabled-token", "POST", "/ingest", JSON_AUTH, ev(tracking_token="{disabled}"), 403, "'old-app' is disabled"),
    ("unknown-token", "POST", "/ingest", JSON_AUTH, ev(tracking_token="{unknown}"), 403, "unknown tracking token"),
    ("garbage-token", "POST", "/ingest", JSON_AUTH, ev(tracking_token="x" * 5000), 403, "unknown tracking token"),
    ("disabled-token-header", "POST", "/ingest", {**JSON_AUTH, TOKEN_HEADER: "{disabled}"}, ev(), 403, "disabled"),
    (
        "mixed-good-and-disabled-token",
        "POST",
        "/ingest",
        JSON_AUTH,
        j([good_event(tracking_token="{good}"), good_event(tracking_token="{disabled}")]),
        403,
        "(events 1)",
    ),
    # ---- transport
    ("text-plain", "POST", "/ingest", {**AUTH, "Content-Type": "text/plain"}, ev(), 415, "Content-Type 'text/plain'"),
    (
        "form-urlencoded",
        "POST",
        "/ingest",
        {**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
        ev(),
        415,
        "send application/json",
    ),
    ("10MB-body", "POST", "/ingest", JSON_AUTH, b" " * (10 * 1024 * 1024), 413, "too large"),
    ("2MiB-chunked", "POST", "/ingest", JSON_AUTH, Chunked(2 * 1024 * 1024), 413, "too large"),
    (
        "gzip-bomb",
        "POST",
        "/ingest",
        {**JSON_AUTH, "Content-Encoding": "gzip"},
        gzip.compress(b" " * (20 * 1024 * 1024)),
        413,
        "once decompressed",
    ),
    (
        "truncated-gzip",
        "POST",
        "/ingest",
        {**JSON_AUTH, "Content-Encoding": "gzip"},
        gzip.compress(ev())[:-12],
        400,
        "truncated",
    ),
    ("not-gzip", "POST", "/ingest", {**JSON_AUTH, "Content-Encoding": "gzip"}, ev(), 400, "not valid gzip"),
    (
        "gzip-trailing-garbage",
        "POST",
        "/ingest",
        {**JSON_AUTH, "Content-Encoding": "gzip"},
        gzip.compress(ev()) + b"junk",
        400,
        "after the end of the gzip",
    ),
    ("brotli", "POST", "/ingest", {**JSON_AUTH, "Content-Encoding": "br"}, ev(), 415, "Content-Encoding 'br'"),
    ("get-ingest", "GET", "/ingest", AUTH, None, 405, "method GET not allowed on /ingest"),
    ("unknown-route", "POST", "/v1/nothing", JSON_AUTH, ev(), 404, "no such route"),
    (
        "dns-rebinding-host",
        "POST",
        "/ingest",
        {**JSON_AUTH, "Host": "evil.example:8787"},
        ev(),
        403,
        "Host 'evil.example:8787' is not allowed",
    ),
    ("dns-rebinding-status", "GET", "/api/status", {"Host": "attacker.test"}, None, 403, "not allowed"),
    # ---- Host values that are not a host (RFC 9112 §3.2): a 400 before the host guard reads them
    ("host-list", "POST", "/ingest", {**JSON_AUTH, "Host": "127.0.0.1:1, evil.example"}, ev(), 400, "invalid Host"),
    ("host-port-name", "POST", "/ingest", {**JSON_AUTH, "Host": "127.0.0.1:evil.example"}, ev(), 400, "invalid Host"),
    ("host-userinfo", "GET", "/api/status", {"Host": "localhost:1@evil.example"}, None, 400, "invalid Host"),
    ("host-metrics", "GET", "/metrics", {"Host": "localhost evil.example"}, None, 400, "invalid Host"),
    ("host-health", "GET", "/health", {"Host": "127.0.0.1:99999"}, None, 400, "invalid Host"),
    ("host-bad-ipv6", "POST", "/v1/traces", {**OJ, "Host": "[::1::2]"}, b"{}", 400, "invalid Host"),
    # ---- credentials: only ASCII space and tab are trimmed; two that disagree are refused
    (
        "key-nbsp",
        "POST",
        "/ingest",
        {"Content-Type": "application/json", "X-Ingest-Key": KEY + "\u00a0"},
        ev(),
        401,
        "wrong ingest key",
    ),
    (
        "key-u2028",
        "POST",
        "/ingest",
        {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}\u2028"},
        ev(),
        401,
        "wrong ingest key",
    ),
    (
        "key-and-wrong-bearer",
        "POST",
        "/ingest",
        {**JSON_AUTH, "Authorization": "Bearer nope"},
        ev(),
        400,
        "carry different keys",
    ),
    (
        "otlp-key-and-wrong-bearer",
        "POST",
        "/v1/traces",
        {**OJ, "Authorization": "Bearer nope"},
        b"{}",
        400,
        "carry different keys",
    ),
    # ---- OTLP
    ("otlp-bad-protobuf", "POST", "/v1/traces", PB, b"\x0a\xff\xff\xff\xff\x0f", 400, "invalid OTLP protobuf"),
    ("otlp-bad-json", "POST", "/v1/traces", OJ, b"{resourceSpans", 400, "invalid OTLP JSON"),
    ("otlp-snake-case", "POST", "/v1/traces", OJ, j({"resource_spans": []}), 400, "lowerCamelCase"),
    ("otlp-not-object", "POST", "/v1/traces", OJ, b"[1,2]", 400, "ExportTraceServiceRequest"),
    (
        "otlp-resource-spans-not-list",
        "POST",
        "/v1/traces",
        OJ,
        j({"resourceSpans": {"a": 1}}),
        400,
        "resourceSpans must be a list",
    ),
    (
        "otlp-attributes-not-list",
        "POST",
        "/v1/traces",
        OJ,
        otlp_json(attrs={"gen_ai.request.model": "x"}),
        400,
        "attributes must be a list",
    ),
    ("otlp-bad-time", "POST", "/v1/traces", OJ, otlp_json(attrs=[], startTimeUnixNano="soon"), 400, "non-integer time"),
    ("otlp-text-plain", "POST", "/v1/traces", {**AUTH, "Content-Type": "text/plain"}, b"{}", 415, "for OTLP"),
    (
        "otlp-missing-key",
        "POST",
        "/v1/traces",
        {"Content-Type": "application/x-protobuf"},
        b"",
        401,
        "missing ingest key",
    ),
    (
        "otlp-truncated-gzip",
        "POST",
        "/v1/traces",
        {**PB, "Content-Encoding": "gzip"},
        gzip.compress(b"\x0a\x00" * 100)[:-9],
        400,
        "truncated",
    ),
    ("otlp-disabled-token", "POST", "/v1/traces", {**PB, TOKEN_HEADER: "{disabled}"}, b"", 403, "disabled"),
    ("otlp-too-large", "POST", "/v1/traces", PB, b"\x00" * (2 * 1024 * 1024), 413, "too large"),
    (
        "otlp-deep-nesting",
        "POST",
        "/v1/traces",
        OJ,
        b'{"resourceSpans":' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        400,
        "invalid OTLP JSON",
    ),
    ("otlp-exp-number", "POST", "/v1/traces", OJ, otlp_json(attrs=[tok_attr("1e1000000")]), 400, "out of range"),
    (
        "otlp-exp-time",
        "POST",
        "/v1/traces",
        OJ,
        otlp_json(attrs=[], endTimeUnixNano=RAW("9e999999")),
        400,
        "out of range",
    ),
    ("otlp-nan-literal", "POST", "/v1/traces", OJ, otlp_json(attrs=[tok_attr("NaN")]), 400, "NaN"),
    ("otlp-infinity-literal", "POST", "/v1/traces", OJ, otlp_json(attrs=[tok_attr("Infinity")]), 400, "Infinity"),
    ("otlp-duplicate-key", "POST", "/v1/traces", OJ, b'{"resourceSpans":[],"resourceSpans":[]}', 400, "duplicate key"),
    ("otlp-duplicate-attribute", "POST", "/v1/traces", OJ, otlp_json(attrs=[*GENAI, GENAI[0]]), 400, "repeats the key"),
    ("otlp-surrogate", "POST", "/v1/traces", OJ, otlp_json(attrs=[], name=RAW('"\\ud800"')), 400, "field 'name'"),
    ("otlp-raw-number-value", "POST", "/v1/traces", OJ, otlp_json(attrs=[{"key": TOK, "value": 5}]), 400, "AnyValue"),
    (
        "otlp-int-true",
        "POST",
        "/v1/traces",
        OJ,
        otlp_json(attrs=[tok_attr('{"intValue": true}')]),
        400,
        "intValue must be an integer, got true",
    ),
    (
        "otlp-int-fraction",
        "POST",
        "/v1/traces",
        OJ,
        otlp_json(attrs=[tok_attr('{"intValue": 10.7}')]),
        400,
        "got the number 10.7",
    ),
    (
        "otlp-int-word",
        "POST",
        "/v1/traces",
        OJ,
        otlp_json(attrs=[tok_attr('{"intValue": "ten"}')]),
        400,
        "intValue must be an integer",
    ),
    (
        "otlp-two-values",
        "POST",
        "/v1/traces",
        OJ,
        otlp_json(attrs=[tok_attr('{"intValue": 1, "stringValue": "1"}')]),
        400,
        "more than one value",
    ),
    (
        "otlp-resource-list",
        "POST",
        "/v1/traces",
        OJ,
        j({"resourceSpans": [{"resource": [], "scopeSpans": []}]}),
        400,
        "resource must be an object",
    ),
    (
        "otlp-scope-spans-item",
        "POST",
        "/v1/traces",
        OJ,
        j({"resourceSpans": [{"scopeSpans": [5]}]}),
        400,
        "scopeSpans[0] must be an object",
    ),
    (
        "otlp-span-id-object",
        "POST",
        "/v1/traces",
        OJ,
        otlp_json(attrs=GENAI, spanId={"a": 1}),
        400,
        "spanId must be a string",
    ),
    (
        "otlp-span-id-not-hex",
        "POST",
        "/v1/traces",
        OJ,
        otlp_json(attrs=GENAI, spanId="zz"),
        400,
        "spanId must be 16 hex digits",
    ),
    (
        "otlp-status-code-word",
        "POST",
        "/v1/traces",
        OJ,
        otlp_json(attrs=GENAI, status={"code": "bad"}),
        400,
        "status.code",
    ),
    (
        "otlp-protobuf-bad-span-id",
        "POST",
        "/v1/traces",
        PB,
        pb_span(span_id=b"\x01\x02"),
        400,
        "spanId must be 8 bytes",
    ),
    (
        "otlp-nested-protobuf",
        "POST",
        "/v1/traces",
        PB,
        b"\x0a\x02\x0a\x00" * 10 + b"\x0a\xff",
        400,
        "invalid OTLP protobuf",
    ),
]


def _fill(value: Any, tokens: dict[str, str]) -> Any:
    if isinstance(value, bytes) and b"{" in value:
        for name, secret in tokens.items():
            value = value.replace(b"{" + name.encode() + b"}", secret.encode())
    if isinstance(value, str):
        for name, secret in tokens.items():
            value = value.replace("{" + name + "}", secret)
    return value


async def _send(
    client: aiohttp.ClientSession, method: str, path: str, headers: dict[str, str], body: Any
) -> tuple[int, Any]:
    data: Any = body
    if isinstance(body, Chunked):
        size = body.size

        async def gen() -> Any:
            sent = 0
            while sent < size:
                yield b" " * 65536
                sent += 65536

        data = gen()
    async with client.request(method, path, headers=headers, data=data, compress=None) as resp:
        text = await resp.text()
        assert resp.content_type == "application/json", (resp.status, text[:200])
        return resp.status, json.loads(text)


def test_battery_is_large_enough() -> None:
    assert len(CASES) >= 50
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("name", "method", "path", "headers", "body", "status", "fragment"), CASES, ids=[c[0] for c in CASES]
)
async def test_hostile_request(
    client: aiohttp.ClientSession,
    db_path: Path,
    tokens: dict[str, str],
    name: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any,
    status: int,
    fragment: str,
) -> None:
    headers = {k: _fill(v, tokens) for k, v in headers.items()}
    got_status, doc = await _send(client, method, path, headers, _fill(body, tokens))
    assert got_status == status, doc
    assert isinstance(doc.get("error"), str), doc
    assert fragment in doc["error"] or fragment in json.dumps(doc.get("errors", "")), doc
    assert count_rows(db_path) == 0  # nothing wrong is stored

    # The listener is still up and a valid request still succeeds.
    async with client.get("/health") as resp:
        assert resp.status == 200
    async with client.post("/ingest", json=good_event(event_id=f"ok-{name}"), headers=AUTH) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["accepted"] == 1
    assert count_rows(db_path) == 1
