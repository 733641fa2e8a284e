"""POST /v1/traces: OTLP JSON and protobuf, gzip, GenAI attributes and aliases, a real SDK."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from listener_helpers import AUTH, INGEST_KEY, count_rows, rows
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from costtui.listener import Listener

NOW_NS = 1_785_750_000_123_000_000  # 2026-08-03


def attr_json(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        v: dict[str, Any] = {"boolValue": value}
    elif isinstance(value, int):
        v = {"intValue": str(value)}
    elif isinstance(value, float):
        v = {"doubleValue": value}
    elif isinstance(value, list):
        v = {"arrayValue": {"values": [{"stringValue": x} for x in value]}}
    else:
        v = {"stringValue": value}
    return {"key": key, "value": v}


def span_json(span_id: str, attrs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "traceId": "4fd0b6131f19f39af59518d127b0cafe",
        "spanId": span_id,
        "name": "span",
        "kind": 3,
        "startTimeUnixNano": str(NOW_NS),
        "endTimeUnixNano": str(NOW_NS + 1_754_000_000),
        "attributes": [attr_json(k, v) for k, v in attrs.items()],
        "status": {"code": 1},
        **extra,
    }


def request_json(spans: list[dict[str, Any]], resource: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [attr_json(k, v) for k, v in (resource or {"service.name": "billing-bot"}).items()]
                },
                "scopeSpans": [{"scope": {"name": "openlit.otel.tracing", "version": "1.40.0"}, "spans": spans}],
            }
        ]
    }


OPENLIT_CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.response.id": "chatcmpl-C7x2fLq9",
    "gen_ai.usage.input_tokens": 1530,
    "gen_ai.usage.output_tokens": 212,
    "gen_ai.usage.cache_read.input_tokens": 1024,
    "gen_ai.usage.cost": 0.000931,
    "gen_ai.response.finish_reasons": ["stop"],
}


async def post_json(client: aiohttp.ClientSession, doc: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    async with client.post(
        "/v1/traces", data=json.dumps(doc), headers={**AUTH, "Content-Type": "application/json", **(headers or {})}
    ) as resp:
        return resp.status, await resp.json()


async def test_openlit_json_span_becomes_an_event(client: aiohttp.ClientSession, db_path: Path) -> None:
    agent = span_json(
        "aaaaaaaaaaaaaaaa",
        {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.usage.input_tokens": 1530,
            "gen_ai.request.model": "gpt-4o-mini",
        },
    )
    http = span_json("bbbbbbbbbbbbbbbb", {"http.method": "POST"})
    status, doc = await post_json(client, request_json([span_json("2e1c4b7a9d3f0a11", OPENLIT_CHAT), agent, http]))
    assert status == 200 and doc == {}
    (row,) = rows(db_path)  # agent and HTTP spans ignored
    assert row["event_id"] == "chatcmpl-C7x2fLq9"
    assert row["source"] == "otlp" and row["app"] == "billing-bot" and row["operation"] == "chat"
    assert row["model"] == "gpt-4o-mini-2024-07-18" and row["provider"] == "openai"
    # semconv input includes the cached tokens
    assert (row["input_tokens"], row["cache_read_tokens"], row["output_tokens"]) == (506, 1024, 212)
    assert row["cost_nusd"] == 931_000 and row["cost_source"] == "client"
    assert row["latency_ms"] == 1754


async def test_legacy_and_openllmetry_aliases(client: aiohttp.ClientSession, db_path: Path) -> None:
    legacy = {
        "gen_ai.system": "Anthropic",
        "llm.request.type": "chat",
        "gen_ai.request.model": "claude-sonnet-4-5",
        "gen_ai.usage.prompt_tokens": 20,
        "gen_ai.usage.completion_tokens": 50,
        "gen_ai.usage.cache_read_input_tokens": 1000,  # more than prompt: counted on top
        "gen_ai.usage.cache_creation_input_tokens": 300,
        "llm.usage.reasoning_tokens": 10,
    }
    status, _ = await post_json(client, request_json([span_json("cccccccccccccccc", legacy)]))
    assert status == 200
    (row,) = rows(db_path)
    assert (
        row["provider"] == "anthropic" and row["event_id"] == "otlp:4fd0b6131f19f39af59518d127b0cafe:cccccccccccccccc"
    )
    assert (row["input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"]) == (20, 1000, 300)
    assert (row["output_tokens"], row["reasoning_tokens"]) == (50, 10)


async def test_partial_success_counts_rejected_spans(client: aiohttp.ClientSession, db_path: Path) -> None:
    bad = span_json("dddddddddddddddd", {**OPENLIT_CHAT, "gen_ai.response.id": "x2", "gen_ai.usage.input_tokens": -5})
    nomodel = span_json("eeeeeeeeeeeeeeee", {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 1})
    status, doc = await post_json(client, request_json([span_json("2e1c4b7a9d3f0a11", OPENLIT_CHAT), bad, nomodel]))
    assert status == 200
    assert doc["partialSuccess"]["rejectedSpans"] == "2"
    assert "must not be negative" in doc["partialSuccess"]["errorMessage"]
    assert "without a model" in doc["partialSuccess"]["errorMessage"]
    assert count_rows(db_path) == 1


async def test_error_span_and_duplicate(client: aiohttp.ClientSession, db_path: Path) -> None:
    span = span_json(
        "ffffffffffffffff",
        {**OPENLIT_CHAT, "error.type": "rate_limit"},
        status={"code": 2, "message": "429 Too Many Requests"},
    )
    for _ in range(2):
        assert (await post_json(client, request_json([span])))[0] == 200
    (row,) = rows(db_path)
    assert row["status"] == "error" and row["error"] == "429 Too Many Requests"


def protobuf_request(
    attrs: dict[str, Any], span_id: bytes = b"\x01" * 8, resource: dict[str, str] | None = None
) -> bytes:
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    for k, v in (resource or {"service.name": "pb-app"}).items():
        rs.resource.attributes.append(KeyValue(key=k, value=AnyValue(string_value=v)))
    span = rs.scope_spans.add().spans.add()
    span.trace_id = b"\x02" * 16
    span.span_id = span_id
    span.name = "chat"
    span.start_time_unix_nano = NOW_NS
    span.end_time_unix_nano = NOW_NS + 500_000_000
    for k, v in attrs.items():
        if isinstance(v, bool):
            value = AnyValue(bool_value=v)
        elif isinstance(v, int):
            value = AnyValue(int_value=v)
        elif isinstance(v, float):
            value = AnyValue(double_value=v)
        elif isinstance(v, list):
            value = AnyValue()
            for x in v:
                value.array_value.values.append(AnyValue(string_value=x))
        else:
            value = AnyValue(string_value=v)
        span.attributes.append(KeyValue(key=k, value=value))
    return req.SerializeToString()


@pytest.mark.parametrize("compress", [False, True])
async def test_protobuf_and_gzip(
    client: aiohttp.ClientSession, db_path: Path, tokens: dict[str, str], compress: bool
) -> None:
    body = protobuf_request(OPENLIT_CHAT, resource={"service.name": "pb-app", "costtui.tracking_token": tokens["good"]})
    headers = {**AUTH, "Content-Type": "application/x-protobuf"}
    if compress:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    async with client.post("/v1/traces", data=body, headers=headers) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/x-protobuf"
        answer = ExportTraceServiceResponse()
        answer.ParseFromString(await resp.read())
        assert answer.partial_success.rejected_spans == 0
    (row,) = rows(db_path)
    assert row["app"] == "billing-bot"  # the tracking token wins over service.name
    assert row["cost_nusd"] == 931_000


async def test_protobuf_partial_success(client: aiohttp.ClientSession, db_path: Path) -> None:
    body = protobuf_request({**OPENLIT_CHAT, "gen_ai.usage.output_tokens": -1})
    async with client.post("/v1/traces", data=body, headers={**AUTH, "Content-Type": "application/x-protobuf"}) as resp:
        assert resp.status == 200
        answer = ExportTraceServiceResponse()
        answer.ParseFromString(await resp.read())
    assert answer.partial_success.rejected_spans == 1
    assert "gen_ai.usage.output_tokens must not be negative" in answer.partial_success.error_message
    assert count_rows(db_path) == 0


@pytest.mark.parametrize("compression", ["none", "gzip"])
async def test_real_opentelemetry_sdk_exports_to_the_listener(
    listener: Listener, db_path: Path, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch, compression: str
) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", listener.url)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"x-ingest-key={INGEST_KEY},x-costtui-token={tokens['good']}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", compression)

    def emit() -> None:
        provider = TracerProvider(resource=Resource.create({"service.name": "sdk-app"}))
        provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
        tracer = provider.get_tracer("test")
        with tracer.start_as_current_span("invoke_agent helper", attributes={"gen_ai.operation.name": "invoke_agent"}):
            with tracer.start_as_current_span("chat gpt-4o-mini") as span:
                span.set_attributes(
                    {
                        "gen_ai.operation.name": "chat",
                        "gen_ai.provider.name": "openai",
                        "gen_ai.request.model": "gpt-4o-mini",
                        "gen_ai.response.id": f"chatcmpl-sdk-{compression}",
                        "gen_ai.usage.input_tokens": 100,
                        "gen_ai.usage.output_tokens": 20,
                    }
                )
        provider.shutdown()

    # The exporter blocks; the listener runs in this loop, so export from a thread.
    await asyncio.to_thread(emit)
    (row,) = rows(db_path)
    assert row["event_id"] == f"chatcmpl-sdk-{compression}"
    assert row["app"] == "billing-bot" and row["source"] == "otlp"
    assert (row["input_tokens"], row["output_tokens"]) == (100, 20)


def _pb_answer(body: bytes) -> ExportTraceServiceResponse:
    answer = ExportTraceServiceResponse()
    answer.ParseFromString(body)
    return answer


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
async def test_protobuf_non_finite_token_count_is_rejected(
    client: aiohttp.ClientSession, db_path: Path, value: float
) -> None:
    body = protobuf_request({**OPENLIT_CHAT, "gen_ai.usage.input_tokens": value})
    async with client.post("/v1/traces", data=body, headers={**AUTH, "Content-Type": "application/x-protobuf"}) as resp:
        assert resp.status == 200
        answer = _pb_answer(await resp.read())
    assert answer.partial_success.rejected_spans == 1
    assert "gen_ai.usage.input_tokens must be a finite integer" in answer.partial_success.error_message
    assert count_rows(db_path) == 0


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
async def test_json_non_finite_double_token_count_is_rejected(
    client: aiohttp.ClientSession, db_path: Path, value: str
) -> None:
    span = span_json("2e1c4b7a9d3f0a11", {k: v for k, v in OPENLIT_CHAT.items() if k != "gen_ai.usage.input_tokens"})
    span["attributes"].append({"key": "gen_ai.usage.input_tokens", "value": {"doubleValue": value}})
    status, doc = await post_json(client, request_json([span]))
    assert status == 200
    assert doc["partialSuccess"]["rejectedSpans"] == "1"
    assert "must be a finite integer" in doc["partialSuccess"]["errorMessage"]
    assert count_rows(db_path) == 0


async def test_protobuf_non_finite_cost_is_rejected(client: aiohttp.ClientSession, db_path: Path) -> None:
    body = protobuf_request({**OPENLIT_CHAT, "gen_ai.usage.cost": float("nan")})
    async with client.post("/v1/traces", data=body, headers={**AUTH, "Content-Type": "application/x-protobuf"}) as resp:
        assert resp.status == 200
        answer = _pb_answer(await resp.read())
    assert answer.partial_success.rejected_spans == 1 and "gen_ai.usage.cost" in answer.partial_success.error_message
    assert count_rows(db_path) == 0


SPAN_TIMES = {
    "2200": (7_258_118_400 * 10**9, "is in the future"),
    "1970": (1_000, "is before 2000"),
    "uint64-max": (2**64 - 1, "is in the future"),
}


@pytest.mark.parametrize("when", list(SPAN_TIMES))
async def test_span_times_outside_the_ingest_window_are_rejected(
    client: aiohttp.ClientSession, db_path: Path, when: str
) -> None:
    ns, reason = SPAN_TIMES[when]
    span = span_json("2e1c4b7a9d3f0a11", OPENLIT_CHAT, startTimeUnixNano=str(ns), endTimeUnixNano=str(ns))
    status, doc = await post_json(client, request_json([span]))
    assert status == 200 and doc["partialSuccess"]["rejectedSpans"] == "1"
    assert f"span time {'' if when == 'uint64-max' else when}" in doc["partialSuccess"]["errorMessage"]
    assert reason in doc["partialSuccess"]["errorMessage"]

    req = ExportTraceServiceRequest()
    req.ParseFromString(protobuf_request(OPENLIT_CHAT))
    pb = req.resource_spans[0].scope_spans[0].spans[0]
    pb.start_time_unix_nano = pb.end_time_unix_nano = ns
    async with client.post(
        "/v1/traces", data=req.SerializeToString(), headers={**AUTH, "Content-Type": "application/x-protobuf"}
    ) as resp:
        answer = _pb_answer(await resp.read())
    assert answer.partial_success.rejected_spans == 1 and reason in answer.partial_success.error_message
    assert count_rows(db_path) == 0


async def test_empty_tracking_token_attribute_is_rejected(client: aiohttp.ClientSession, db_path: Path) -> None:
    doc = request_json([span_json("2e1c4b7a9d3f0a11", OPENLIT_CHAT)], resource={"costtui.tracking_token": ""})
    status, answer = await post_json(client, doc)
    assert status == 200 and answer["partialSuccess"]["rejectedSpans"] == "1"
    assert "costtui.tracking_token is empty" in answer["partialSuccess"]["errorMessage"]
    assert count_rows(db_path) == 0


async def test_well_typed_proto_json_spellings_still_accepted(client: aiohttp.ClientSession, db_path: Path) -> None:
    """What a protobuf JSON encoder may write: int64 as a number or a string, enum names, empty values."""
    span = span_json("2e1c4b7a9d3f0a11", OPENLIT_CHAT, status={"code": "STATUS_CODE_OK"})
    span["startTimeUnixNano"] = NOW_NS  # a number, not a string
    span["attributes"].append({"key": "gen_ai.usage.output_tokens_extra", "value": {}})
    for attr in span["attributes"]:
        if attr["key"] == "gen_ai.usage.output_tokens":
            attr["value"] = {"intValue": 212}
    status, doc = await post_json(client, request_json([span]))
    assert (status, doc) == (200, {})
    (row,) = rows(db_path)
    assert row["output_tokens"] == 212 and row["latency_ms"] == 1754
