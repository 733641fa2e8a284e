"""The ``daily`` rollup: one row per (UTC day, provider, model, source, app, user, key).

The dashboard, ``status`` and retention read it instead of scanning raw events. It is kept in
step with ``events`` inside the same transaction that writes them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

DAY_SQL = "strftime('%Y-%m-%d', ts / 1000000, 'unixepoch')"
SUM_COLUMNS = (
    "events",
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cost_nusd",
    "unpriced_events",
    "errors",
)
KEY_COLUMNS = ("day", "provider", "model", "source", "app", "user", "api_key_fp")

UPSERT_SQL = (
    f"INSERT INTO daily ({', '.join(KEY_COLUMNS + SUM_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in KEY_COLUMNS + SUM_COLUMNS)}) "
    f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in SUM_COLUMNS)
)


@dataclass
class RollupBatch:
    """Sums of a batch of new events, grouped by rollup key, for one UPSERT each."""

    rows: dict[tuple[str, ...], list[int]] = field(default_factory=dict)

    def add(self, key: tuple[str, ...], values: Iterable[int]) -> None:
        acc = self.rows.get(key)
        if acc is None:
            self.rows[key] = list(values)
        else:
            for i, v in enumerate(values):
                acc[i] += v

    def write(self, conn: sqlite3.Connection) -> None:
        conn.executemany(UPSERT_SQL, [key + tuple(vals) for key, vals in self.rows.items()])


def rebuild_daily(conn: sqlite3.Connection, days: Iterable[str] | None) -> None:
    """Recompute the rollup rows of ``days`` (all days when None) from the raw events.

    Only call this for days whose raw events are all still present: retention removes events
    but keeps their days' rollup rows, and a rebuild of such a day would lose them.
    """
    select = f"""
        SELECT {DAY_SQL} AS day, provider, model, source, COALESCE(app, ''), COALESCE(user, ''),
               COALESCE(api_key_fp, ''), COUNT(*), SUM(input_tokens), SUM(cache_read_tokens),
               SUM(cache_write_tokens), SUM(output_tokens), SUM(reasoning_tokens),
               COALESCE(SUM(cost_nusd), 0), SUM(cost_nusd IS NULL), SUM(status = 'error')
        FROM events {{where}}
        GROUP BY 1, 2, 3, 4, 5, 6, 7
    """
    insert = f"INSERT INTO daily ({', '.join(KEY_COLUMNS + SUM_COLUMNS)}) "
    if days is None:
        conn.execute("DELETE FROM daily")
        conn.execute(insert + select.format(where=""))
        return
    for day in days:
        conn.execute("DELETE FROM daily WHERE day = ?", (day,))
        start, end = day_bounds_us(day)
        conn.execute(insert + select.format(where="WHERE ts >= ? AND ts < ?"), (start, end))


def day_bounds_us(day: str) -> tuple[int, int]:
    """Microsecond bounds [start, end) of a UTC day given as YYYY-MM-DD."""
    from datetime import UTC, datetime, timedelta

    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    end = start + timedelta(days=1)
    return int(start.timestamp()) * 1_000_000, int(end.timestamp()) * 1_000_000
