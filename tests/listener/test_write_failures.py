"""When commits fail (full disk, read-only database, a lock held too long): the 503 names the cause,
/health turns "degraded" with it and /metrics shows it, until a commit succeeds again; nothing that
was acknowledged is missing."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from listener_helpers import AUTH, good_event, rows

from costtui.listener import Listener
from costtui.store.db import write_error_cause


class CommitFails:
    """The writer's connection, with COMMIT failing while ``error`` is set (as SQLite does on a full
    disk: the transaction is rolled back)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.real = conn
        self.error: Exception | None = None

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "COMMIT" and self.error is not None:
            raise self.error
        return self.real.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def commit_fails(listener: Listener) -> CommitFails:
    store = listener._writer._store  # type: ignore[union-attr]
    assert store is not None
    wrapper = CommitFails(store.conn)
    store.conn = wrapper  # type: ignore[assignment]
    return wrapper


async def post(client: aiohttp.ClientSession, event_id: str) -> tuple[int, dict[str, Any], str | None]:
    async with client.post("/ingest", json=good_event(event_id=event_id), headers=AUTH) as resp:
        return resp.status, await resp.json(), resp.headers.get("Retry-After")


async def health(client: aiohttp.ClientSession) -> tuple[int, dict[str, Any]]:
    async with client.get("/health") as resp:
        return resp.status, await resp.json()


async def metric(client: aiohttp.ClientSession, name: str) -> float:
    async with client.get("/metrics") as resp:
        text = await resp.text()
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert found, f"{name} not in /metrics"
    return float(found.group(1))


def stored_ids(db: Path) -> set[str]:
    return {r["event_id"] for r in rows(db, "SELECT event_id FROM events")}


async def test_a_full_disk_is_named_reported_and_clears_when_writes_succeed_again(
    client: aiohttp.ClientSession, commit_fails: CommitFails, db_path: Path
) -> None:
    acknowledged: set[str] = set()
    for i in range(3):
        status, _, _ = await post(client, f"before-{i}")
        assert status == 200
        acknowledged.add(f"before-{i}")
    assert (await health(client))[1]["database"]["writes"] == {"ok": True}
    assert await metric(client, "costtui_write_failing") == 0

    commit_fails.error = sqlite3.OperationalError("database or disk is full")
    status, body, retry = await post(client, "while-full")
    assert status == 503
    assert "disk full" in body["error"] and "nothing was stored" in body["error"]
    assert body["cause"] == "disk_full"
    assert retry == "30"  # nobody frees a disk in a second

    # Several requests at once while the disk is full: each one is refused, none acknowledged.
    results = await asyncio.gather(*(post(client, f"burst-{i}") for i in range(5)))
    assert [r[0] for r in results] == [503] * 5

    code, report = await health(client)
    assert code == 503 and report["status"] == "degraded"
    writes = report["database"]["writes"]
    assert writes["ok"] is False and writes["cause"] == "disk full" and writes["cause_key"] == "disk_full"
    assert writes["error"] == "database or disk is full"
    assert writes["failing_since"] <= writes["last_failure_at"]
    assert report["database"]["reachable"] is True  # reads still work: only writes fail
    assert await metric(client, "costtui_write_failing") == 1
    assert await metric(client, 'costtui_write_failures_total{cause="disk_full"}') == 6
    assert await metric(client, 'costtui_write_failures_total{cause="read_only"}') == 0
    assert await metric(client, "costtui_write_last_failure_timestamp_seconds") > 0

    commit_fails.error = None  # space freed
    status, _, _ = await post(client, "after")
    assert status == 200
    acknowledged.add("after")
    code, report = await health(client)
    assert code == 200 and report["status"] == "ok" and report["database"]["writes"] == {"ok": True}
    assert await metric(client, "costtui_write_failing") == 0
    assert await metric(client, 'costtui_write_failures_total{cause="disk_full"}') == 6  # a counter stays

    # Everything acknowledged is stored; nothing refused was half-written.
    assert stored_ids(db_path) == acknowledged


async def test_a_read_only_database_is_named(listener: Listener, client: aiohttp.ClientSession, db_path: Path) -> None:
    """A real read-only condition (SQLite's own ``mode=ro``: root cannot bypass it)."""
    store = listener._writer._store  # type: ignore[union-attr]
    assert store is not None
    writable = store.conn
    store.conn = sqlite3.connect(
        db_path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None, check_same_thread=False
    )
    try:
        status, body, retry = await post(client, "ro-1")
        assert status == 503 and "database is read-only" in body["error"] and body["cause"] == "read_only"
        assert retry == "30"
        code, report = await health(client)
        assert code == 503 and report["status"] == "degraded"
        assert report["database"]["writes"]["cause"] == "database is read-only"
        assert await metric(client, 'costtui_write_failures_total{cause="read_only"}') == 1
    finally:
        store.conn.close()
        store.conn = writable
    assert (await post(client, "ro-2"))[0] == 200
    assert (await health(client))[1]["status"] == "ok"
    assert stored_ids(db_path) == {"ro-2"}


async def test_a_lock_held_too_long_is_named_and_retried_soon(
    client: aiohttp.ClientSession, commit_fails: CommitFails
) -> None:
    commit_fails.error = sqlite3.OperationalError("database is locked")
    status, body, retry = await post(client, "locked")
    assert status == 503 and "database is locked (busy)" in body["error"] and body["cause"] == "busy"
    assert retry == "1"
    assert (await health(client))[1]["database"]["writes"]["cause"] == "database is locked (busy)"


def test_causes_from_real_sqlite_errors(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.close()
    ro = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as caught:
        ro.execute("INSERT INTO t VALUES (1)")
    ro.close()
    assert write_error_cause(caught.value).key == "read_only"
    assert write_error_cause(OSError(28, "No space left on device")).key == "disk_full"
    assert write_error_cause(sqlite3.OperationalError("database or disk is full")).text == "disk full"
    assert write_error_cause(sqlite3.OperationalError("database is locked")).key == "busy"
    assert write_error_cause(RuntimeError("something else")).key == "other"


async def test_a_real_full_database_loses_nothing_acknowledged(
    listener: Listener, client: aiohttp.ClientSession, db_path: Path
) -> None:
    """SQLite's own SQLITE_FULL: the writer's database may not grow past its current pages."""
    store = listener._writer._store  # type: ignore[union-attr]
    assert store is not None
    acknowledged = set()
    assert (await post(client, "first"))[0] == 200
    acknowledged.add("first")
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")
    answers = {}
    for i in range(200):  # until the pages run out
        event_id = f"fill-{i}"
        status, body, _ = await post(client, event_id)
        answers[event_id] = status
        if status == 503:
            assert "disk full" in body["error"]
            break
        acknowledged.add(event_id)
    assert 503 in answers.values()
    code, report = await health(client)
    assert code == 503 and report["database"]["writes"]["cause"] == "disk full"
    store.conn.execute("PRAGMA max_page_count = 1073741823")  # room again
    assert (await post(client, "after"))[0] == 200
    acknowledged.add("after")
    assert (await health(client))[1]["status"] == "ok"
    assert stored_ids(db_path) == acknowledged
