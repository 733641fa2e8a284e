"""Reading usage out of relayed answers, and what the client of a stripped stream receives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from costtui.analytics.proxy import load_proxy, split_refusal
from costtui.listener.proxy.usage import StreamReader, from_body
from costtui.models import UsageEvent
from costtui.store import Store


def sse(obj: object) -> bytes:
    return b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()) + b"\n\n"


BASE = {"id": "c1", "object": "chat.completion.chunk", "model": "gpt-5-mini-2025-08-07"}
USAGE = {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25}


def chat_stream(with_usage: bool) -> bytes:
    extra = {"usage": None} if with_usage else {}
    parts = [
        sse({**BASE, "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}], **extra}),
        sse({**BASE, "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}], **extra}),
    ]
    if with_usage:
        parts.append(sse({**BASE, "choices": [], "usage": USAGE}))
    parts.append(sse(b"[DONE]"))
    return b"".join(parts)


def test_a_stream_asked_for_usage_upstream_reaches_the_client_as_if_it_had_not_been_even_byte_by_byte() -> None:
    upstream = chat_stream(with_usage=True)
    for size in (1, 7, len(upstream)):
        reader = StreamReader("openai", "chat", strip_usage=True)
        out = b"".join(reader.feed(upstream[i : i + size]) for i in range(0, len(upstream), size)) + reader.close()
        assert out == chat_stream(with_usage=False)
        assert reader.out.tokens is not None and reader.out.tokens["output_tokens"] == 5
        assert reader.out.flags == ["truncated"] and reader.out.model == "gpt-5-mini-2025-08-07"


def test_anthropic_stream_takes_the_last_non_null_counts_and_never_adds() -> None:
    reader = StreamReader("anthropic", "messages")
    events = [
        {"type": "message_start", "message": {"model": "claude-x", "usage": {"input_tokens": 10, "output_tokens": 1}}},
        {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "a"}},
        {"type": "message_delta", "delta": {"stop_reason": "max_tokens"}, "usage": {"output_tokens": 30}},
        {
            "type": "message_delta",
            "delta": {},
            "usage": {"output_tokens": 40, "input_tokens": None, "cache_read_input_tokens": 5},
        },
    ]
    for e in events:
        reader.feed(b"event: " + e["type"].encode() + b"\n" + sse(e))  # type: ignore[union-attr]
    reader.close()
    assert reader.out.tokens is not None
    assert (reader.out.tokens["input_tokens"], reader.out.tokens["cache_read_tokens"]) == (10, 5)
    assert reader.out.tokens["output_tokens"] == 40 and reader.out.flags == ["truncated"]


def test_empty_and_refused_answers_are_flagged() -> None:
    empty = from_body(
        "openai", "chat", json.dumps({"choices": [{"message": {"content": ""}}], "usage": USAGE}).encode()
    )
    empty.finish("chat")
    assert empty.flags == ["empty"]
    refused = from_body("gemini", "generate_content", json.dumps({"candidates": [{"finishReason": "SAFETY"}]}).encode())
    refused.finish("generate_content")
    assert refused.flags == ["refusal"]


def test_proxy_figures_per_key_and_refusals(tmp_path: Path) -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    events = [
        UsageEvent(
            ts=now - timedelta(minutes=i),
            provider="openai",
            model="gpt-4o-mini",
            source="proxy",
            api_key_fp="sk-proj…abcd#00000000",
            input_tokens=100,
            latency_ms=10 * (i + 1),
        )
        for i in range(10)
    ]
    events.append(
        UsageEvent(
            ts=now,
            provider="openai",
            model="gpt-4o",
            source="proxy",
            api_key_fp="sk-proj…abcd#00000000",
            status="error",
            status_code=429,
            error="blocked by rule budget:team: over $5",
        )
    )
    events.append(
        UsageEvent(
            ts=now,
            provider="openai",
            model="gpt-4o-mini",
            source="proxy",
            api_key_fp="sk-proj…abcd#00000000",
            cache_hit=True,
            cost_usd=Decimal(0),
            saved_usd=Decimal("0.25"),
        )
    )
    with Store(tmp_path / "p.db") as store:
        store.record(events)
        snap = load_proxy(store, now)
    assert snap.summary.requests == 12 and snap.summary.blocked == 1 and snap.summary.cache_hits == 1
    assert snap.summary.saved_usd == Decimal("0.25")
    [key] = snap.keys
    assert key.requests == 12 and key.ok == 11 and key.p50_ms == 50 and key.p95_ms == 100
    [refusal] = snap.refusals
    assert (refusal.rule, refusal.message) == ("budget:team", "over $5")
    assert split_refusal("blocked by rule rpm:key: too fast") == ("rpm:key", "too fast")
