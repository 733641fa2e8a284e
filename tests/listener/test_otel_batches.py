"""Many machines into one home: the OTel SDK's batching OTLP/HTTP exporter (what a Collector's
``otlphttp`` exporter sends too: protobuf ExportTraceServiceRequests on /v1/traces, batched,
gzip, retried on 429/503) against the real listener."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
import pytest
from listener_helpers import INGEST_KEY, rows

from costtui.config import ListenerSettings
from costtui.listener import Listener

SPANS = 450


@pytest.fixture
def listener_settings() -> ListenerSettings:
    # A tight per-token limit, so that some batches are refused with 429 and must be retried.
    return ListenerSettings(
        port=0, max_events_per_request=1000, rate_limit_token_per_second=2, rate_limit_token_burst=2
    )


async def test_batched_gzip_exports_are_all_stored_even_when_some_are_refused_and_retried(
    listener: Listener, db_path: Path, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    def emit() -> None:
        exporter = OTLPSpanExporter(
            endpoint=f"{listener.url}/v1/traces",
            headers={"x-ingest-key": INGEST_KEY, "x-costtui-token": tokens["good"]},
            compression=Compression.Gzip,
            timeout=30,
        )
        provider = TracerProvider(resource=Resource.create({"service.name": "agent-host-7"}))
        provider.add_span_processor(BatchSpanProcessor(exporter, max_export_batch_size=100, schedule_delay_millis=50))
        tracer = provider.get_tracer("test")
        for i in range(SPANS):
            with tracer.start_as_current_span("invoke_agent", attributes={"gen_ai.operation.name": "invoke_agent"}):
                with tracer.start_as_current_span("chat") as span:
                    span.set_attributes(
                        {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "anthropic" if i % 3 else "openai",
                            "gen_ai.request.model": "claude-haiku-4-5" if i % 3 else "gpt-4o-mini",
                            "gen_ai.response.id": f"resp-{i}",
                            "gen_ai.usage.input_tokens": 100 + i,
                            "gen_ai.usage.output_tokens": 10,
                        }
                    )
        provider.shutdown()  # flushes every batch, retrying refused ones within the timeout

    await asyncio.to_thread(emit)
    stored = rows(db_path, "SELECT event_id, provider, input_tokens, app, source FROM events ORDER BY id")
    assert len(stored) == SPANS == len({r["event_id"] for r in stored})  # every span once: agent spans ignored
    assert sum(r["input_tokens"] for r in stored) == sum(100 + i for i in range(SPANS))
    assert {r["provider"] for r in stored} == {"anthropic", "openai"}
    assert {(r["app"], r["source"]) for r in stored} == {("billing-bot", "otlp")}
    async with aiohttp.ClientSession() as client:
        async with client.get(f"{listener.url}/metrics", headers={"x-ingest-key": INGEST_KEY}) as resp:
            metrics = await resp.text()
    refused = re.search(r'costtui_ingest_rate_limited_total\{limit="token",route="[^"]*"\} (\S+)', metrics)
    assert refused is not None and float(refused.group(1)) >= 1  # the retries were needed, and worked
