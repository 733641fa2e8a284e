"""POST /ingest: shapes, mixed batches, idempotency, attribution, commit-before-ack."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import aiohttp
from listener_helpers import AUTH, count_rows, good_event, rows

from costtui.listener import Listener
from costtui.store import Store
from costtui.store.db import NANO_PER_USD


async def post(client: aiohttp.ClientSession, body: object, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    async with client.post("/ingest", json=body, headers=headers or AUTH) as resp:
        return resp.status, await resp.json()


async def test_cost_guardian_shape_single_event(
    client: aiohttp.ClientSession, db_path: Path, tokens: dict[str, str]
) -> None:
    status, doc = await post(client, good_event(tracking_token=tokens["good"], timestamp="2026-03-01T10:00:00Z"))
    assert status == 200
    assert doc == {"accepted": 1, "duplicates": 0, "rejected": 0, "errors": []}
    (row,) = rows(db_path)
    assert row["app"] == "billing-bot"  # attributed to the token's app
    assert row["provider"] == "openai"  # inferred from the model name
    assert row["source"] == "ingest"
    # prompt_tokens counts cached tokens too; none here, so all 1000 are uncached input.
    assert (row["input_tokens"], row["output_tokens"]) == (1000, 200)
    assert row["cost_nusd"] is not None and row["cost_nusd"] > 0


async def test_full_record_with_client_cost_is_exact(client: aiohttp.ClientSession, db_path: Path) -> None:
    event = {
        "event_id": "req-1",
        "ts": "2026-03-01T10:00:00+02:00",
        "provider": "anthropic",
        "model": "claude-sonnet-4-5",
        "operation": "messages",
        "input_tokens": 10,
        "cache_read_tokens": 1000,
        "cache_write_tokens": 200,
        "cache_write_1h_tokens": 50,
        "output_tokens": 300,
        "reasoning_tokens": 100,
        "cost_usd": 0.000000123,
        "latency_ms": 812,
        "status": "error",
        "status_code": 529,
        "error": "overloaded",
        "user": "ana",
        "team": "core",
        "project": "bot",
        "tags": {"env": "prod"},
        "app": "bot-frontend",
    }
    status, doc = await post(client, event)
    assert status == 200, doc
    (row,) = rows(db_path)
    assert row["cost_nusd"] == 123 and row["cost_source"] == "client"
    assert Decimal(row["cost_nusd"]) / NANO_PER_USD == Decimal("0.000000123")
    assert row["app"] == "bot-frontend" and row["user"] == "ana" and row["tags"] == '["env=prod"]'
    assert row["status"] == "error" and row["status_code"] == 529 and row["latency_ms"] == 812
    assert row["cache_write_1h_tokens"] == 50 and row["reasoning_tokens"] == 100


async def test_provider_usage_objects_are_normalised(client: aiohttp.ClientSession, db_path: Path) -> None:
    openai = {
        "provider": "openai",
        "model": "gpt-4o",
        "event_id": "chatcmpl-1",
        "usage": {
            "prompt_tokens": 1500,
            "completion_tokens": 100,
            "total_tokens": 1600,
            "prompt_tokens_details": {"cached_tokens": 1024},
        },
    }
    anthropic = {
        "provider": "anthropic",
        "model": "claude-sonnet-4-5",
        "event_id": "msg_1",
        "usage": {
            "input_tokens": 20,
            "cache_read_input_tokens": 1000,
            "cache_creation_input_tokens": 300,
            "output_tokens": 50,
        },
    }
    status, doc = await post(client, {"events": [openai, anthropic]})
    assert status == 200 and doc["accepted"] == 2
    by_id = {r["event_id"]: r for r in rows(db_path)}
    # OpenAI: cached is a subset of prompt_tokens.
    assert (by_id["chatcmpl-1"]["input_tokens"], by_id["chatcmpl-1"]["cache_read_tokens"]) == (476, 1024)
    # Anthropic: cache fields are on top of input_tokens.
    a = by_id["msg_1"]
    assert (a["input_tokens"], a["cache_read_tokens"], a["cache_write_tokens"]) == (20, 1000, 300)


async def test_mixed_batch_stores_valid_and_reports_invalid(client: aiohttp.ClientSession, db_path: Path) -> None:
    batch = [
        good_event(event_id="a"),
        good_event(event_id="b", prompt_tokens=-1, total_tokens=None),
        good_event(event_id="c"),
        "not an event",
        good_event(event_id="d", colour="blue"),
    ]
    status, doc = await post(client, batch)
    assert status == 200
    assert doc["accepted"] == 2 and doc["duplicates"] == 0 and doc["rejected"] == 3
    assert [e["index"] for e in doc["errors"]] == [1, 3, 4]
    assert "prompt_tokens must not be negative" in doc["errors"][0]["reason"]
    assert "must be a JSON object" in doc["errors"][1]["reason"]
    assert "colour" in doc["errors"][2]["reason"]
    assert sorted(r["event_id"] for r in rows(db_path)) == ["a", "c"]


async def test_all_invalid_is_422_with_every_reason(client: aiohttp.ClientSession, db_path: Path) -> None:
    status, doc = await post(client, [{"model": 1}, {"prompt_tokens": 3}])
    assert status == 422
    assert doc["accepted"] == 0 and doc["rejected"] == 2
    assert doc["error"].startswith("no valid events: event 0: model must be a string")
    assert count_rows(db_path) == 0


async def test_same_event_twice_is_a_duplicate(client: aiohttp.ClientSession, db_path: Path) -> None:
    event = good_event(event_id="once", timestamp="2026-03-01T10:00:00Z")
    assert (await post(client, event))[1]["accepted"] == 1
    status, doc = await post(client, event)
    assert status == 200 and doc["accepted"] == 0 and doc["duplicates"] == 1 and doc["duplicate_indexes"] == [0]
    # Without an event id, the content hash dedupes a re-sent event with a timestamp.
    plain = good_event(timestamp="2026-03-01T11:00:00Z")
    await post(client, plain)
    _, doc = await post(client, [plain, plain])
    assert doc["duplicates"] == 2
    assert count_rows(db_path) == 2


async def test_concurrent_requests_share_commits_and_each_is_acknowledged(
    listener: Listener, client: aiohttp.ClientSession, db_path: Path
) -> None:
    writer = listener._writer
    assert writer is not None
    before = writer.commits
    results = await asyncio.gather(*(post(client, good_event(event_id=f"c{i}")) for i in range(200)))
    assert all(status == 200 and doc["accepted"] == 1 for status, doc in results)
    assert count_rows(db_path) == 200
    assert writer.commits - before < 200  # many requests shared a transaction


async def test_on_events_callback_and_stats(db_path: Path, monkeypatch, tokens: dict[str, str]) -> None:
    from listener_helpers import INGEST_KEY

    from costtui.config import ListenerSettings

    monkeypatch.setenv("COSTTUI_INGEST_KEY", INGEST_KEY)
    seen = []
    async with Listener(db_path, ListenerSettings(port=0), on_events=seen.append) as lst:
        async with aiohttp.ClientSession(base_url=lst.url) as c:
            await post(c, [good_event(event_id="x"), good_event(event_id="y")])
        assert sum(r.accepted for r in seen) == 2
        assert lst.events_last_minute() == 2 and lst.last_event_at is not None
        assert "events/min" in lst.status_line()


async def test_header_token_applies_to_events_without_one(
    client: aiohttp.ClientSession, db_path: Path, tokens: dict[str, str]
) -> None:
    status, _ = await post(client, [good_event(event_id="h1")], {**AUTH, "X-Costtui-Token": tokens["good"]})
    assert status == 200
    assert rows(db_path)[0]["app"] == "billing-bot"


async def test_token_disabled_by_another_process_is_refused_soon(
    client: aiohttp.ClientSession, db_path: Path, tokens: dict[str, str], listener: Listener
) -> None:
    from listener_helpers import wait_for

    assert (await post(client, good_event(tracking_token=tokens["good"], event_id="t1")))[0] == 200
    with Store(db_path) as other:
        other.tokens.set_enabled("billing-bot", False)

    async def refused() -> bool:
        status, _ = await post(client, good_event(tracking_token=tokens["good"], event_id="t2"))
        return status == 403

    await wait_for(refused, timeout=5)  # token lookups are cached for at most a second
    assert count_rows(db_path) <= 2


async def test_loopback_without_key_when_allowed(db_path: Path, monkeypatch, tokens: dict[str, str]) -> None:
    from listener_helpers import INGEST_KEY

    from costtui.config import ListenerSettings

    monkeypatch.setenv("COSTTUI_INGEST_KEY", INGEST_KEY)
    async with Listener(db_path, ListenerSettings(port=0, require_key_on_loopback=False)) as lst:
        async with aiohttp.ClientSession(base_url=lst.url) as c:
            assert (await post(c, good_event(), {}))[0] == 200
            # A wrong key is still refused.
            assert (await post(c, good_event(), {"X-Ingest-Key": "wrong"}))[0] == 401
