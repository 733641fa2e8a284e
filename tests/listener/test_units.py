"""Unit tests of the listener's pure parts: rate limiter, event parsing, span mapping, snippets."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from costtui.listener import ingest, otlp
from costtui.listener.keys import is_loopback, same_key
from costtui.listener.ratelimit import RateLimiter, retry_after
from costtui.listener.tokens import snippets
from costtui.vocabulary import infer_provider

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_token_bucket_refills_and_reports_wait() -> None:
    t = [0.0]
    rl = RateLimiter(rate=2, burst=3, clock=lambda: t[0])
    assert [rl.check("a") for _ in range(3)] == [0, 0, 0]
    assert rl.check("a") == pytest.approx(0.5)
    assert rl.check("b") == 0  # buckets are per key
    t[0] += 0.5
    assert rl.check("a") == 0
    assert retry_after(0.01) == "1" and retry_after(2.2) == "3"
    assert RateLimiter(rate=0, burst=1).check("x") == 0  # disabled


def test_rate_limiter_memory_is_bounded() -> None:
    t = [0.0]
    rl = RateLimiter(rate=1, burst=1, clock=lambda: t[0], max_keys=100)
    for i in range(1000):
        rl.check(f"k{i}")
    assert len(rl._buckets) <= 100


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("gpt-4o-mini", "openai"),
        ("o3-mini", "openai"),
        ("claude-sonnet-4-5", "anthropic"),
        ("gemini-2.5-pro", "gemini"),
        ("grok-4", "xai"),
        ("kimi-k2-0905-preview", "moonshot"),
        ("x-ai/grok-4", "xai"),
        ("moonshotai/kimi-k2", "moonshot"),
        ("google/gemini-2.5-flash", "gemini"),
        ("deepseek-chat", "deepseek"),
        ("openrouter/auto", "openrouter"),
        ("my-local-model", "unknown"),
    ],
)
def test_provider_inferred_from_model(model: str, provider: str) -> None:
    assert infer_provider(model) == provider


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-02-01T10:00:00Z", datetime(2026, 2, 1, 10, tzinfo=UTC)),
        ("2026-02-01T12:00:00+02:00", datetime(2026, 2, 1, 10, tzinfo=UTC)),
        (1769940000, datetime(2026, 2, 1, 10, tzinfo=UTC)),
        (1769940000000, datetime(2026, 2, 1, 10, tzinfo=UTC)),  # JavaScript milliseconds
        (Decimal("1769940000.5"), datetime(2026, 2, 1, 10, 0, 0, 500000, tzinfo=UTC)),
    ],
)
def test_timestamps(value: object, expected: datetime) -> None:
    assert ingest.parse_ts(value, NOW) == expected


def test_prompt_tokens_include_cache_reads() -> None:
    e = ingest.parse_event(
        {
            "model": "gpt-4o",
            "prompt_tokens": 1500,
            "cache_read_tokens": 1024,
            "completion_tokens": 10,
            "total_tokens": 1510,
        },
        now=NOW,
    )
    assert (e.input_tokens, e.cache_read_tokens, e.output_tokens) == (476, 1024, 10)
    assert e.ts == NOW and e.source == "ingest" and e.provider == "openai"


def test_tracking_token_decides_the_app_and_unknown_is_refused() -> None:
    e = ingest.parse_event({"model": "gpt-4o", "tracking_token": "t1", "app": "spoofed"}, now=NOW, apps={"t1": "real"})
    assert e.app == "real"
    with pytest.raises(ingest.EventInvalid, match="unknown tracking token"):
        ingest.parse_event({"model": "gpt-4o", "tracking_token": "t2"}, now=NOW, apps={"t1": "real"})


def test_client_cost_kept_exact() -> None:
    e = ingest.parse_event({"model": "gpt-4o", "cost_usd": Decimal("0.1234567891")}, now=NOW)
    assert e.cost_usd == Decimal("0.1234567891") and e.cost_source == "client"


def test_span_without_genai_attributes_is_ignored() -> None:
    span = otlp.Span("t", "s", "GET /", 1, 2, {"http.method": "GET"}, {})
    assert otlp.span_to_event(span, app=None) is None
    agent = otlp.Span(
        "t",
        "s",
        "agent",
        1,
        2,
        {"gen_ai.operation.name": "invoke_agent", "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 5},
        {},
    )
    assert otlp.span_to_event(agent, app=None) is None


def test_span_openlit_cost_and_providers() -> None:
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "gcp.gemini",
        "gen_ai.request.model": "gemini-2.5-flash",
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 10,
        "gen_ai.usage.cost": 0.25,
    }
    e = otlp.span_to_event(
        otlp.Span("ab", "cd", "chat", 1_785_750_000_000_000_000, 1_785_750_001_000_000_000, attrs, {}), app="x"
    )
    assert e is not None and e.provider == "gemini" and e.cost_usd == Decimal("0.25") and e.latency_ms == 1000
    assert e.event_id == "otlp:ab:cd"


def test_keys_helpers() -> None:
    assert same_key("abc", "abc") and not same_key("abc", "abd") and not same_key(None, "abc") and not same_key("", "")
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2") and not is_loopback("::")


def test_snippets_are_copy_ready() -> None:
    s = snippets("http://127.0.0.1:8787", "ctt_abc")
    assert s["curl"].startswith("curl -sS http://127.0.0.1:8787/ingest")
    assert '"tracking_token": "ctt_abc"' in s["python"] and "resp.usage.model_dump()" in s["python"]
    assert "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:8787" in s["otel"]
    compile(s["python"], "<snippet>", "exec")
