"""The listener never reads or writes SQLite on its event loop: /health and token lookups use threads."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from listener_helpers import AUTH, good_event, rows

from costtui.store import Store


async def test_health_and_token_cache_misses_stay_off_the_loop(
    client: aiohttp.ClientSession, db_path: Path, tokens: dict[str, str], no_sqlite_on_loop: list[str]
) -> None:
    # The guard is live: a store call made right here, on the loop, is refused.
    probe = await asyncio.to_thread(Store, db_path)
    with pytest.raises(AssertionError, match="on the event loop"):
        probe.scalar("SELECT 1")
    probe.close()
    no_sqlite_on_loop.clear()

    async with client.get("/health") as resp:
        health = await resp.json()
    assert resp.status == 200 and health["status"] == "ok" and health["database"]["reachable"] is True

    # First sight of each token: a cache miss, looked up in the store.
    async with client.post("/ingest", json=good_event(tracking_token=tokens["good"], event_id="l1"), headers=AUTH) as r:
        assert r.status == 200 and (await r.json())["accepted"] == 1
    async with client.post(
        "/ingest", json=good_event(tracking_token=tokens["disabled"], event_id="l2"), headers=AUTH
    ) as r:
        assert r.status == 403
    async with client.post(
        "/ingest", json=good_event(tracking_token=tokens["unknown"], event_id="l3"), headers=AUTH
    ) as r:
        assert r.status == 403

    async with client.get("/health") as resp:  # now with a last event
        assert resp.status == 200 and (await resp.json())["last_event_at"] is not None

    assert no_sqlite_on_loop == []
    assert [r["app"] for r in rows(db_path)] == ["billing-bot"]
