"""Helpers shared by the listener tests."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

INGEST_KEY = "cti_test-ingest-key-0123456789abcdef"
AUTH = {"X-Ingest-Key": INGEST_KEY}
JSON_AUTH = {**AUTH, "Content-Type": "application/json"}


def count_rows(db: Path, table: str = "events") -> int:
    conn = sqlite3.connect(str(db))
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def rows(db: Path, sql: str = "SELECT * FROM events ORDER BY id", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    conn = sqlite3.connect(str(db))
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def good_event(**extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200, **extra}


async def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> None:
    """Poll ``predicate`` (sync or async) with short awaits until it is true; bounded."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)
