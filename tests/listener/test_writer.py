"""The batched writer: shared commits, per-request results, failure isolation, 503 on DB errors."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from listener_helpers import AUTH, count_rows, good_event

from costtui.listener import Listener
from costtui.listener.writer import BatchWriter, WriterClosed
from costtui.models import UsageEvent

TS = datetime(2026, 3, 1, 10, tzinfo=UTC)


def ev(event_id: str, model: str = "gpt-4o-mini") -> UsageEvent:
    return UsageEvent(event_id=event_id, ts=TS, provider="openai", model=model, input_tokens=10, output_tokens=2)


async def test_requests_share_a_commit_and_get_their_own_split(db_path: Path) -> None:
    writer = BatchWriter(db_path)
    await writer.start()
    try:
        await writer.submit([ev("old")])
        commits = writer.commits
        results = await asyncio.gather(
            writer.submit([ev("a"), ev("old")]),
            writer.submit([ev("b"), ev("a")]),  # "a" is stored by the first request of the batch
            writer.submit([ev("c")]),
        )
        assert [r.accepted for r in results] == [[True, False], [True, False], [True]]
        assert writer.commits - commits == 1
    finally:
        await writer.stop()
    assert count_rows(db_path) == 4
    with pytest.raises(WriterClosed):
        await writer.submit([ev("late")])


async def test_a_failing_request_does_not_fail_the_others(db_path: Path) -> None:
    writer = BatchWriter(db_path)
    await writer.start()
    store = writer._store
    assert store is not None
    real = store.record

    def record(events: list[UsageEvent]):  # type: ignore[no-untyped-def]
        if any(e.model == "boom" for e in events):
            raise RuntimeError("disk on fire")
        return real(events)

    store.record = record  # type: ignore[method-assign]
    try:
        results = await asyncio.gather(
            writer.submit([ev("ok1")]),
            writer.submit([ev("bad", "boom")]),
            writer.submit([ev("ok2")]),
            return_exceptions=True,
        )
    finally:
        await writer.stop()
    assert isinstance(results[1], RuntimeError)
    assert results[0].accepted == [True] and results[2].accepted == [True]  # type: ignore[union-attr]
    assert count_rows(db_path) == 2


async def test_database_failure_is_a_503_and_nothing_is_acknowledged(
    listener: Listener, client: aiohttp.ClientSession, db_path: Path
) -> None:
    store = listener._writer._store  # type: ignore[union-attr]

    def broken(events):  # type: ignore[no-untyped-def]
        raise __import__("sqlite3").OperationalError("database is locked")

    original = store.record
    store.record = broken
    async with client.post("/ingest", json=good_event(), headers=AUTH) as resp:
        assert resp.status == 503
        assert "nothing was stored" in (await resp.json())["error"]
        assert resp.headers["Retry-After"] == "1"
    store.record = original
    async with client.post("/ingest", json=good_event(), headers=AUTH) as resp:
        assert resp.status == 200
    assert count_rows(db_path) == 1
