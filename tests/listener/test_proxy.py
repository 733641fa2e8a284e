"""The proxy with the official SDKs (openai, anthropic, google-genai) pointed at a real listener
on a real socket, in front of a local stand-in upstream."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import types as gtypes
from listener_helpers import rows
from proxy_standin import StandIn

from costtui.config import ListenerSettings, ProxySettings
from costtui.listener import Listener
from costtui.models import UsageEvent
from costtui.pricing import Pricer
from costtui.rules.policy import Decision, ProxyCall

OPENAI_KEY = "sk-proj-test0123456789abcdefWXYZ"
ANTHROPIC_KEY = "sk-ant-api03-test0123456789abcdefQRST"
GEMINI_KEY = "AIzaTest0123456789abcdefghijklmnopqrs"


@pytest.fixture
async def upstream() -> AsyncIterator[StandIn]:
    standin = StandIn(slow_seconds=3.0)
    await standin.start()
    try:
        yield standin
    finally:
        await standin.stop()


@pytest.fixture
def proxy_settings() -> ProxySettings:
    return ProxySettings(quota_interval_seconds=0, read_timeout_seconds=1.0)


@pytest.fixture
async def proxied(
    db_path: Path, upstream: StandIn, proxy_settings: ProxySettings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Listener]:
    monkeypatch.setenv("COSTTUI_UPSTREAM_OPENAI", upstream.url + "/v1")
    monkeypatch.setenv("COSTTUI_UPSTREAM_ANTHROPIC", upstream.url)
    monkeypatch.setenv("COSTTUI_UPSTREAM_GEMINI", upstream.url)
    lst = Listener(db_path, ListenerSettings(port=0), port=0, proxy=proxy_settings)
    await lst.start()
    try:
        yield lst
    finally:
        await lst.stop()


async def recorded(lst: Listener, db_path: Path) -> list[dict[str, Any]]:
    assert lst.proxy is not None
    await lst.proxy.drain()
    return rows(db_path)


def priced(**tokens: Any) -> Decimal:
    """What costtui's pricer says these tokens cost (the store prices the same way)."""
    event = UsageEvent(ts="2026-01-01T00:00:00Z", **tokens)
    price = Pricer().price(event)
    assert price.cost_usd is not None
    return price.cost_usd


def nusd(amount: Decimal) -> int:
    return int(amount.scaleb(9))


def openai_client(lst: Listener, **kw: Any) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key=OPENAI_KEY, base_url=lst.url + "/v1", max_retries=0, **kw)


async def test_openai_chat_is_relayed_and_recorded_with_tokens_split_and_cost(
    proxied: Listener, upstream: StandIn, db_path: Path
) -> None:
    client = openai_client(proxied)
    reply = await client.chat.completions.create(
        model="gpt-5-mini",
        messages=[{"role": "user", "content": "hi"}],
        user="alice",
        extra_headers={"X-Costtui-Team": "search", "X-Costtui-Tags": "exp1, blue"},
    )
    assert reply.choices[0].message.content == "Hi"
    assert reply.usage is not None and reply.usage.prompt_tokens == 1530
    # The key reached the upstream as sent; costtui's own headers did not.
    sent = upstream.requests[-1]["headers"]
    assert sent["Authorization"] == f"Bearer {OPENAI_KEY}"
    assert not any(h.lower().startswith("x-costtui") for h in sent)
    [row] = await recorded(proxied, db_path)
    assert row["source"] == "proxy" and row["provider"] == "openai" and row["operation"] == "chat"
    assert row["model"] == "gpt-5-mini-2025-08-07"
    assert (row["input_tokens"], row["cache_read_tokens"], row["output_tokens"], row["reasoning_tokens"]) == (
        506,
        1024,
        212,
        128,
    )
    assert (row["user"], row["team"], row["tags"]) == ("alice", "search", '["exp1", "blue"]')
    assert row["status"] == "ok" and row["status_code"] == 200 and row["error"] is None
    expected = priced(
        provider="openai",
        model="gpt-5-mini-2025-08-07",
        input_tokens=506,
        cache_read_tokens=1024,
        output_tokens=212,
        reasoning_tokens=128,
    )
    assert expected > 0 and row["cost_nusd"] == nusd(expected)
    # The key is never stored: only its fingerprint, prefix…last4 plus an HMAC tag.
    assert row["api_key_fp"].startswith("sk-proj…WXYZ#") and len(row["api_key_fp"].split("#")[1]) == 8
    dump = b"".join(Path(db_path).read_bytes().split(b"\x00"))
    assert OPENAI_KEY.encode() not in dump
    assert row["latency_ms"] is not None and row["ttft_ms"] is None


async def test_openai_stream_without_usage_gets_the_stream_it_asked_for_and_usage_is_recorded(
    proxied: Listener, upstream: StandIn, db_path: Path
) -> None:
    # Raw bytes first: the client sees exactly the stream of an upstream asked without usage.
    async with aiohttp.ClientSession() as http:
        body = {"model": "gpt-5-mini", "messages": [{"role": "user", "content": "hi"}], "stream": True}
        auth = {"Authorization": f"Bearer {OPENAI_KEY}"}
        async with http.post(proxied.url + "/v1/chat/completions", json=body, headers=auth) as resp:
            via_proxy = await resp.read()
        async with http.post(upstream.url + "/v1/chat/completions", json=body, headers=auth) as resp:
            direct = await resp.read()
    assert via_proxy == direct
    assert b'"usage"' not in via_proxy
    assert upstream.requests[0]["body"]["stream_options"] == {"include_usage": True}
    assert "stream_options" not in upstream.requests[1]["body"]
    # And through the SDK.
    client = openai_client(proxied)
    stream = await client.chat.completions.create(
        model="gpt-5-mini", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "Hi there"
    records = await recorded(proxied, db_path)
    assert len(records) == 2
    for row in records:
        assert (row["input_tokens"], row["cache_read_tokens"], row["output_tokens"]) == (506, 1024, 212)
        assert row["ttft_ms"] is not None and row["status"] == "ok"


async def test_openai_stream_that_asked_for_usage_keeps_its_usage_chunk(proxied: Listener, db_path: Path) -> None:
    client = openai_client(proxied)
    stream = await client.chat.completions.create(
        model="gpt-5-mini",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [c async for c in stream]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 212
    [row] = await recorded(proxied, db_path)
    assert row["output_tokens"] == 212


async def test_embeddings_and_responses(proxied: Listener, db_path: Path) -> None:
    client = openai_client(proxied)
    emb = await client.embeddings.create(model="text-embedding-3-small", input="hello")
    assert emb.data[0].embedding == [0.0123, -0.0456]
    resp = await client.responses.create(model="gpt-5", input="hello")
    assert resp.output_text == "Hello"
    stream = await client.responses.create(model="gpt-5", input="hello", stream=True)
    kinds = [event.type async for event in stream]
    assert kinds[-1] == "response.completed"
    emb_row, resp_row, stream_row = await recorded(proxied, db_path)
    assert emb_row["operation"] == "embeddings" and emb_row["input_tokens"] == 12 and emb_row["flags"] is None
    assert emb_row["cost_nusd"] == nusd(priced(provider="openai", model="text-embedding-3-small", input_tokens=12))
    for row in (resp_row, stream_row):
        assert row["operation"] == "responses" and row["model"] == "gpt-5-2025-08-07"
        assert (row["input_tokens"], row["cache_read_tokens"], row["output_tokens"], row["reasoning_tokens"]) == (
            876,
            2944,
            907,
            640,
        )
        cost = priced(
            provider="openai",
            model="gpt-5-2025-08-07",
            input_tokens=876,
            cache_read_tokens=2944,
            output_tokens=907,
            reasoning_tokens=640,
        )
        assert row["cost_nusd"] == nusd(cost)
    assert stream_row["ttft_ms"] is not None


async def test_anthropic_messages_whole_and_streamed(proxied: Listener, upstream: StandIn, db_path: Path) -> None:
    client = anthropic.AsyncAnthropic(api_key=ANTHROPIC_KEY, base_url=proxied.url, max_retries=0)
    msg = await client.messages.create(
        model="claude-haiku-4-5", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
    )
    assert msg.content[0].type == "text" and msg.content[0].text == "Hello"
    async with client.messages.stream(
        model="claude-haiku-4-5", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        final = await stream.get_final_message()
    assert final.usage.output_tokens == 37
    assert upstream.requests[0]["headers"]["X-Api-Key"] == ANTHROPIC_KEY
    records = await recorded(proxied, db_path)
    assert len(records) == 2
    cost = priced(
        provider="anthropic",
        model="claude-haiku-4-5-20251001",
        input_tokens=18,
        cache_read_tokens=4096,
        output_tokens=37,
    )
    for row in records:
        assert row["provider"] == "anthropic" and row["operation"] == "messages"
        assert (row["input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"], row["output_tokens"]) == (
            18,
            4096,
            0,
            37,
        )
        assert row["cost_nusd"] == nusd(cost) and row["api_key_fp"].startswith("sk-ant-…QRST#")


async def test_gemini_generate_content_whole_and_streamed(proxied: Listener, db_path: Path) -> None:
    client = genai.Client(api_key=GEMINI_KEY, http_options=gtypes.HttpOptions(base_url=proxied.url))
    reply = await client.aio.models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert reply.text == "Hello"
    parts = [
        c.text async for c in await client.aio.models.generate_content_stream(model="gemini-2.5-flash", contents="hi")
    ]
    assert "".join(p or "" for p in parts) == "HelHello"
    records = await recorded(proxied, db_path)
    assert len(records) == 2
    cost = priced(
        provider="gemini",
        model="gemini-2.5-flash",
        input_tokens=100,
        cache_read_tokens=20,
        output_tokens=40,
        reasoning_tokens=10,
    )
    for row in records:
        assert row["provider"] == "gemini" and row["operation"] == "generate_content"
        assert (row["input_tokens"], row["cache_read_tokens"], row["output_tokens"], row["reasoning_tokens"]) == (
            100,
            20,
            40,
            10,
        )
        assert row["cost_nusd"] == nusd(cost)


async def test_no_key_is_refused_in_each_providers_shape(proxied: Listener, db_path: Path) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(proxied.url + "/v1/chat/completions", json={"model": "gpt-5-mini"}) as resp:
            assert resp.status == 401
            body = await resp.json()
            assert "no API key" in body["error"]["message"] and body["error"]["code"] == "missing_api_key"
        headers = {"anthropic-version": "2023-06-01"}
        async with http.post(proxied.url + "/v1/messages", json={"model": "claude-haiku-4-5"}, headers=headers) as resp:
            assert resp.status == 401
            body = await resp.json()
            assert body["type"] == "error" and body["error"]["type"] == "authentication_error"
        async with http.post(proxied.url + "/v1beta/models/gemini-2.5-flash:generateContent", json={}) as resp:
            assert resp.status == 401
            assert (await resp.json())["error"]["status"] == "UNAUTHENTICATED"
    assert await recorded(proxied, db_path) == []


async def test_upstream_error_is_returned_untouched_and_recorded(proxied: Listener, db_path: Path) -> None:
    client = openai_client(proxied)
    with pytest.raises(openai.InternalServerError) as info:
        await client.chat.completions.create(model="fail", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 500
    assert info.value.response.headers["x-request-id"] == "req_fail"
    assert "The server had an error" in str(info.value)
    [row] = await recorded(proxied, db_path)
    assert row["status"] == "error" and row["status_code"] == 500
    assert row["error"] == "upstream 500: server_error: The server had an error"


async def test_upstream_timeout_answers_504_and_is_recorded(proxied: Listener, db_path: Path) -> None:
    client = openai_client(proxied)
    with pytest.raises(openai.APIStatusError) as info:
        await client.chat.completions.create(model="slow", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 504
    [row] = await recorded(proxied, db_path)
    assert row["status"] == "error" and row["status_code"] == 504 and "timed out" in row["error"]


async def test_stream_cut_midway_reaches_the_client_and_the_proxy_stays_up(proxied: Listener, db_path: Path) -> None:
    client = openai_client(proxied)
    got: list[str] = []
    # The SDK sees the cut as the transport's error (an unfinished chunked body), as it would
    # from the provider itself.
    with pytest.raises(httpx.RemoteProtocolError):
        stream = await client.chat.completions.create(
            model="cut", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        async for chunk in stream:
            got.append(chunk.choices[0].delta.content or "")
    assert got == ["Hi", " there"]
    # Still serving.
    reply = await client.chat.completions.create(model="gpt-5-mini", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == "Hi"
    cut, ok = await recorded(proxied, db_path)
    assert cut["status"] == "error" and "mid-stream" in cut["error"]
    assert ok["status"] == "ok"


async def test_quality_flags_and_retry_count(proxied: Listener, db_path: Path) -> None:
    client = openai_client(proxied)
    await client.chat.completions.create(
        model="long",
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"x-stainless-retry-count": "2"},
    )
    [row] = await recorded(proxied, db_path)
    assert row["flags"] == '["truncated"]' and row["retries"] == 2


async def test_other_v1_calls_pass_through_unrecorded(proxied: Listener, db_path: Path) -> None:
    client = openai_client(proxied)
    models = await client.models.list()
    assert [m.id for m in models.data] == ["gpt-5-mini"]
    assert await recorded(proxied, db_path) == []


async def test_path_prefix_reaches_a_configured_upstream(
    db_path: Path, upstream: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = ProxySettings(quota_interval_seconds=0, upstreams={"groq": upstream.url + "/v1"})
    async with Listener(db_path, ListenerSettings(port=0), port=0, proxy=settings) as lst:
        client = openai.AsyncOpenAI(
            api_key="gsk_test0123456789abcdefghij", base_url=lst.url + "/groq/v1", max_retries=0
        )
        await client.chat.completions.create(model="llama-3.1-8b-instant", messages=[{"role": "user", "content": "x"}])
        [row] = await recorded(lst, db_path)
    assert row["provider"] == "groq"


async def test_rate_limit_headers_become_quota_snapshots_per_key(
    db_path: Path, upstream: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COSTTUI_UPSTREAM_OPENAI", upstream.url + "/v1")
    settings = ProxySettings(quota_interval_seconds=3600)
    async with Listener(db_path, ListenerSettings(port=0), port=0, proxy=settings) as lst:
        client = openai_client(lst)
        for _ in range(3):
            await client.chat.completions.create(model="gpt-5-mini", messages=[{"role": "user", "content": "x"}])
    # Coalesced: one snapshot per limit for the three calls, written at the latest on shutdown.
    conn = sqlite3.connect(db_path)
    got = conn.execute("SELECT account, kind, remaining FROM quota_latest ORDER BY kind").fetchall()
    history = conn.execute("SELECT COUNT(*) FROM quota_history").fetchone()[0]
    conn.close()
    assert [(k, r) for _, k, r in got] == [("rate_limit.requests", "499"), ("rate_limit.tokens", "199000")]
    assert got[0][0].startswith("sk-proj…WXYZ#") and history == 2


class RecordingPolicy:
    """Blocks one model, flags every other call, and remembers what was settled."""

    def __init__(self) -> None:
        self.admitted: list[ProxyCall] = []
        self.settled: list[tuple[str, Decimal | None, int]] = []

    async def admit(self, call: ProxyCall) -> Decision:
        self.admitted.append(call)
        if call.model == "gpt-blocked":
            return Decision(allowed=False, rule="model_blocklist", message="gpt-blocked is not allowed", status=403)
        return Decision(flags=["content:pii.email"], reservation="held")

    async def settle(self, call: ProxyCall, decision: Decision, cost_usd: Decimal | None, tokens: int) -> None:
        self.settled.append((call.model, cost_usd, tokens))

    def redact(self, text: str) -> str:
        return text.replace("alice@example.com", "[email]")


async def test_policy_refusal_answers_in_the_providers_shape_and_is_recorded(
    db_path: Path, upstream: StandIn, monkeypatch: pytest.MonkeyPatch, tokens: dict[str, str]
) -> None:
    monkeypatch.setenv("COSTTUI_UPSTREAM_OPENAI", upstream.url + "/v1")
    policy = RecordingPolicy()
    settings = ProxySettings(quota_interval_seconds=0)
    async with Listener(db_path, ListenerSettings(port=0), port=0, proxy=settings, policy=policy) as lst:
        client = openai_client(lst)
        with pytest.raises(openai.PermissionDeniedError) as info:
            await client.chat.completions.create(model="gpt-blocked", messages=[{"role": "user", "content": "hi"}])
        body = info.value.body
        assert isinstance(body, dict)
        assert body["code"] == "model_blocklist" and "blocked by rule model_blocklist" in body["message"]
        await client.chat.completions.create(
            model="gpt-5-mini",
            messages=[{"role": "user", "content": "mail alice@example.com"}],
            extra_headers={"X-Costtui-Token": tokens["good"], "X-Costtui-Project": "atlas"},
        )
        blocked, passed = await recorded(lst, db_path)
    assert len(upstream.requests) == 1  # the refused call never left
    assert blocked["status"] == "error" and blocked["status_code"] == 403
    assert blocked["error"] == "blocked by rule model_blocklist: gpt-blocked is not allowed"
    assert passed["flags"] == '["content:pii.email"]'
    assert (passed["app"], passed["project"]) == ("billing-bot", "atlas")
    call = policy.admitted[1]
    assert call.text == "mail alice@example.com" and call.app == "billing-bot" and call.key_fp == passed["api_key_fp"]
    [(model, cost, used)] = [s for s in policy.settled if s[0] == "gpt-5-mini"]
    assert used == 1742 and cost is not None and nusd(cost) == passed["cost_nusd"]


async def test_unknown_tracking_token_is_refused(proxied: Listener, db_path: Path) -> None:
    client = openai_client(proxied)
    with pytest.raises(openai.PermissionDeniedError) as info:
        await client.chat.completions.create(
            model="gpt-5-mini",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"X-Costtui-Token": "ctt_nosuchtoken0123456789"},
        )
    assert "unknown tracking token" in str(info.value)


async def test_cache_answers_a_repeated_call_for_free_records_the_saving_and_survives_a_restart(
    db_path: Path, upstream: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COSTTUI_UPSTREAM_OPENAI", upstream.url + "/v1")
    settings = ProxySettings(quota_interval_seconds=0, cache=True)
    question = {"model": "gpt-5-mini", "messages": [{"role": "user", "content": "cache me"}]}
    async with Listener(db_path, ListenerSettings(port=0), port=0, proxy=settings) as lst:
        client = openai_client(lst)
        first = await client.chat.completions.with_raw_response.create(**question)  # type: ignore[call-overload]
        second = await client.chat.completions.with_raw_response.create(**question, user="bob")  # type: ignore[call-overload]
        assert second.headers["x-costtui-cache"] == "hit" and "x-costtui-cache" not in first.headers
        assert second.parse().choices[0].message.content == first.parse().choices[0].message.content
        # Another key never reads this key's answers; "off" asks the upstream.
        other = openai.AsyncOpenAI(api_key="sk-proj-another0123456789abcdEFGH", base_url=lst.url + "/v1", max_retries=0)
        await other.chat.completions.create(**question)  # type: ignore[call-overload]
        await client.chat.completions.create(**question, extra_headers={"X-Costtui-Cache": "off"})  # type: ignore[call-overload]
        await lst.proxy.drain()  # type: ignore[union-attr]
    assert len(upstream.requests) == 3
    # A new listener on the same database still has the answer.
    async with Listener(db_path, ListenerSettings(port=0), port=0, proxy=settings) as lst:
        client = openai_client(lst)
        third = await client.chat.completions.with_raw_response.create(**question)  # type: ignore[call-overload]
        assert third.headers["x-costtui-cache"] == "hit"
        records = await recorded(lst, db_path)
    assert len(upstream.requests) == 3
    miss, hit1, _, _, hit2 = records
    assert miss["cache_hit"] == 0 and miss["cost_nusd"] > 0 and miss["saved_nusd"] is None
    for hit in (hit1, hit2):
        assert hit["cache_hit"] == 1 and hit["cost_nusd"] == 0 and hit["saved_nusd"] == miss["cost_nusd"]
        assert hit["status"] == "ok" and hit["output_tokens"] == 0
    assert hit1["user"] == "bob"


async def test_streams_are_never_cached(db_path: Path, upstream: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COSTTUI_UPSTREAM_OPENAI", upstream.url + "/v1")
    settings = ProxySettings(quota_interval_seconds=0, cache=True)
    async with Listener(db_path, ListenerSettings(port=0), port=0, proxy=settings) as lst:
        client = openai_client(lst)
        for _ in range(2):
            stream = await client.chat.completions.create(
                model="gpt-5-mini", messages=[{"role": "user", "content": "s"}], stream=True
            )
            _ = [c async for c in stream]
        await recorded(lst, db_path)
    assert len(upstream.requests) == 2


async def test_bodies_are_kept_redacted_only_when_asked(
    db_path: Path, upstream: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COSTTUI_UPSTREAM_OPENAI", upstream.url + "/v1")
    message = "my key is sk-proj-leaked0123456789abcdefgh, mail alice@example.com"
    for store_bodies in (False, True):
        settings = ProxySettings(quota_interval_seconds=0, store_bodies=store_bodies)
        async with Listener(db_path, ListenerSettings(port=0), port=0, proxy=settings, policy=RecordingPolicy()) as lst:
            client = openai_client(lst)
            await client.chat.completions.create(model="gpt-5-mini", messages=[{"role": "user", "content": message}])
            await recorded(lst, db_path)
    # Only the second call (store_bodies on) left its bodies, passed through the policy's redact().
    kept = rows(db_path, "SELECT request, response FROM proxy_bodies")
    assert len(kept) == 1
    request, response = kept[0]["request"], kept[0]["response"]
    assert "[email]" in request and "alice@example.com" not in request
    assert '"content":"Hi"' in response.replace(" ", "")


async def test_a_gzipped_request_reaches_the_upstream_as_json(proxied: Listener, upstream: StandIn) -> None:
    import gzip

    body = json.dumps({"model": "gpt-5-mini", "messages": [{"role": "user", "content": "zip"}]}).encode()
    headers = {"Authorization": f"Bearer {OPENAI_KEY}", "Content-Encoding": "gzip", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as http:
        async with http.post(proxied.url + "/v1/chat/completions", data=gzip.compress(body), headers=headers) as resp:
            assert resp.status == 200
    assert upstream.requests[-1]["body"]["messages"][0]["content"] == "zip"
    assert "Content-Encoding" not in upstream.requests[-1]["headers"]


async def test_a_model_route_to_no_upstream_stops_the_start_with_a_clear_error(db_path: Path) -> None:
    from costtui.listener import ListenerError

    settings = ProxySettings(model_routes={"llama-*": "nowhere"})
    lst = Listener(db_path, ListenerSettings(port=0), port=0, proxy=settings)
    with pytest.raises(ListenerError, match="'nowhere'"):
        await lst.start()
    assert not lst.running


def test_an_upstream_that_is_not_a_url_is_a_config_error() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="not an http"):
        ProxySettings(upstreams={"local": "localhost:11434"})


async def test_an_enforced_budget_refuses_calls_through_the_real_listener(
    proxied: Listener, upstream: StandIn, db_path: Path
) -> None:
    """The listener's proxy enforces budgets by itself (no policy handed in): once the period's spend
    reaches an enforced budget, the next call gets a 429 naming the budget and never goes upstream."""
    from datetime import UTC, datetime

    from costtui.models import Budget
    from costtui.store import Store

    with Store(db_path) as store:
        store.budgets.add(
            Budget(name="cap", scope="provider", scope_value="openai", period="day", limit_usd="0.01", enforce=True)
        )
        store.record(
            [
                UsageEvent(
                    ts=datetime.now(UTC),
                    provider="openai",
                    model="gpt-5-mini",
                    cost_usd=Decimal("0.02"),
                    input_tokens=1,
                )
            ]
        )
    sent_before = len(upstream.requests)
    client = openai_client(proxied)
    with pytest.raises(openai.RateLimitError) as caught:
        await client.chat.completions.create(model="gpt-5-mini", messages=[{"role": "user", "content": "hi"}])
    assert "cap" in str(caught.value)
    assert len(upstream.requests) == sent_before
    refused = [r for r in await recorded(proxied, db_path) if r["source"] == "proxy"]
    assert refused and refused[-1]["status_code"] == 429 and "cap" in refused[-1]["error"]


async def test_a_gemini_429_keeps_the_quota_it_names(proxied: Listener, db_path: Path) -> None:
    """Gemini API keys have no quota endpoint: the proxy keeps what a 429 says, for the Quotas screen."""
    from google.genai import errors as gerrors

    from costtui.store import Store

    client = genai.Client(api_key=GEMINI_KEY, http_options=gtypes.HttpOptions(base_url=proxied.url))
    with pytest.raises(gerrors.ClientError) as caught:
        await client.aio.models.generate_content(model="exhausted", contents="hi")
    assert caught.value.code == 429  # the client sees Google's own answer
    await recorded(proxied, db_path)
    with Store(db_path) as store:
        [snap] = store.billing.latest_quotas(provider="gemini")
    assert snap.limit == Decimal(20) and snap.remaining == Decimal(0) and snap.source == "proxy"
    assert snap.account.startswith("AIza") and GEMINI_KEY not in snap.account


async def test_a_per_minute_limit_refuses_with_retry_after(
    db_path: Path, upstream: StandIn, proxy_settings: ProxySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """[rules] given to the listener are enforced by its proxy; the refusal says when to retry."""
    from costtui.config import RulesSettings

    monkeypatch.setenv("COSTTUI_UPSTREAM_OPENAI", upstream.url + "/v1")
    lst = Listener(db_path, ListenerSettings(port=0), port=0, proxy=proxy_settings, rules=RulesSettings(rpm_per_key=1))
    await lst.start()
    try:
        async with aiohttp.ClientSession() as http:
            body = {"model": "gpt-5-mini", "messages": [{"role": "user", "content": "hi"}]}
            headers = {"Authorization": f"Bearer {OPENAI_KEY}"}
            async with http.post(lst.url + "/v1/chat/completions", json=body, headers=headers) as first:
                assert first.status == 200
            async with http.post(lst.url + "/v1/chat/completions", json=body, headers=headers) as second:
                assert second.status == 429
                assert 1 <= int(second.headers["Retry-After"]) <= 60
                assert "rpm:key" in (await second.json())["error"]["message"]
    finally:
        await lst.stop()
