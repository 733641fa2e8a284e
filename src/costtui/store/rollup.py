"""Daily rollups, kept in step with ``events`` inside the same transaction that writes them.

Two small tables instead of one wide one, so their size does not grow with the product of
dimensions (a 7-column key had nearly one rollup row per event on realistic data):

- ``daily``: one row per (UTC day, provider, model);
- ``daily_dim``: one row per (UTC day, dimension, value) for source, app, user, team, project
  and api_key_fp.

The dashboard, ``status`` and retention read them instead of scanning raw events.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

from costtui.store.event_rows import COLUMN_INDEX, day_of_us

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
_COST = COLUMN_INDEX["cost_nusd"]
_STATUS = COLUMN_INDEX["status"]
# The sum columns that are not the plain sum of the events column of the same name: their SQL
# over the events table, and what a group of new event rows adds.
DERIVED_SUMS: dict[str, tuple[str, Callable[[list[Sequence[Any]]], int]]] = {
    "events": ("COUNT(*)", len),
    "cost_nusd": ("COALESCE(SUM(cost_nusd), 0)", lambda rows: sum(filter(None, map(itemgetter(_COST), rows)))),
    "unpriced_events": ("SUM(cost_nusd IS NULL)", lambda rows: list(map(itemgetter(_COST), rows)).count(None)),
    "errors": ("SUM(status = 'error')", lambda rows: list(map(itemgetter(_STATUS), rows)).count("error")),
}
SUM_EXPRESSIONS = tuple(DERIVED_SUMS[c][0] if c in DERIVED_SUMS else f"SUM({c})" for c in SUM_COLUMNS)
"""What one event adds to each sum column, as SQL over the events table."""
ROLLUP_DIMENSIONS = ("source", "app", "user", "team", "project", "api_key_fp")
MODEL_KEY = ("day", "provider", "model")
DIM_KEY = ("day", "dim", "value")

_TS = COLUMN_INDEX["ts"]
_KEY = itemgetter(*(COLUMN_INDEX[c] for c in (*MODEL_KEY[1:], *ROLLUP_DIMENSIONS)))
_SUMS = tuple(
    DERIVED_SUMS[c][1] if c in DERIVED_SUMS else (lambda rows, at=COLUMN_INDEX[c]: sum(map(itemgetter(at), rows)))
    for c in SUM_COLUMNS
)


def sums(**values: int) -> list[int]:
    """A sums row in ``SUM_COLUMNS`` order from named values (the others 0)."""
    unknown = values.keys() - set(SUM_COLUMNS)
    if unknown:
        raise ValueError(f"not rollup sum columns: {', '.join(sorted(unknown))}")
    return [values.get(c, 0) for c in SUM_COLUMNS]


def event_sums(rows: list[Sequence[Any]]) -> list[int]:
    """What new event rows (in ``event_rows.EVENT_COLUMNS`` order) add to each sum column."""
    return [total(rows) for total in _SUMS]


def _upsert(table: str, key: tuple[str, ...]) -> str:
    columns = key + SUM_COLUMNS
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET " + ", ".join(f"{c} = {c} + excluded.{c}" for c in SUM_COLUMNS)
    )


UPSERT_MODEL_SQL = _upsert("daily", MODEL_KEY)
UPSERT_DIM_SQL = _upsert("daily_dim", DIM_KEY)


def _accumulate(target: dict[tuple[str, ...], list[int]], key: tuple[str, ...], values: Sequence[int]) -> None:
    acc = target.get(key)
    if acc is None:
        target[key] = list(values)
    else:
        for i, v in enumerate(values):
            acc[i] += v


@dataclass
class RollupBatch:
    """Sums of a batch of new events, written with one UPSERT per rollup key.

    Events are first summed per full key (day, provider, model, then the ROLLUP_DIMENSIONS
    values), which is cheap per event; the split into ``daily`` and ``daily_dim`` keys happens
    once per distinct full key at write time.
    """

    rows: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    events: dict[tuple[Any, ...], list[Sequence[Any]]] = field(default_factory=dict)
    """New event rows grouped by full key (summed once per key at write time)."""

    def add(self, key: tuple[str, ...], values: Sequence[int]) -> None:
        """``key`` is (day, provider, model, *values of ROLLUP_DIMENSIONS in order, '' for none)."""
        _accumulate(self.rows, key, values)

    def add_event(self, row: Sequence[Any]) -> None:
        """A new event row, in ``event_rows.EVENT_COLUMNS`` order."""
        key = (day_of_us(row[_TS]), *_KEY(row))
        group = self.events.get(key)
        if group is None:
            self.events[key] = [row]
        else:
            group.append(row)

    def write(self, conn: sqlite3.Connection) -> None:
        for key, group in self.events.items():
            self.add(tuple("" if v is None else v for v in key), event_sums(group))
        self.events.clear()
        models: dict[tuple[str, ...], list[int]] = {}
        dims: dict[tuple[str, ...], list[int]] = {}
        for key, values in self.rows.items():
            day = key[0]
            _accumulate(models, key[:3], values)
            for i, dim in enumerate(ROLLUP_DIMENSIONS):
                _accumulate(dims, (day, dim, key[3 + i]), values)
        conn.executemany(UPSERT_MODEL_SQL, [k + tuple(v) for k, v in models.items()])
        conn.executemany(UPSERT_DIM_SQL, [k + tuple(v) for k, v in dims.items()])


def rebuild_daily(conn: sqlite3.Connection, days: Iterable[str] | None) -> None:
    """Recompute the rollup rows of ``days`` (all days when None) from the raw events.

    Only call this for days whose raw events are all still present: retention removes events
    but keeps their days' rollup rows, and a rebuild of such a day would lose them.
    """
    sums = ", ".join(SUM_EXPRESSIONS)
    model_sql = (
        f"INSERT INTO daily ({', '.join(MODEL_KEY + SUM_COLUMNS)}) "
        f"SELECT {DAY_SQL}, provider, model, {sums} FROM events {{where}} GROUP BY 1, 2, 3"
    )
    dim_sql = [
        f"INSERT INTO daily_dim ({', '.join(DIM_KEY + SUM_COLUMNS)}) "
        f"SELECT {DAY_SQL}, '{dim}', COALESCE({dim}, ''), {sums} FROM events {{where}} GROUP BY 1, 3"
        for dim in ROLLUP_DIMENSIONS
    ]
    if days is None:
        conn.execute("DELETE FROM daily")
        conn.execute("DELETE FROM daily_dim")
        for sql in (model_sql, *dim_sql):
            conn.execute(sql.format(where=""))
        return
    for day in days:
        conn.execute("DELETE FROM daily WHERE day = ?", (day,))
        conn.execute("DELETE FROM daily_dim WHERE day = ?", (day,))
        bounds = day_bounds_us(day)
        for sql in (model_sql, *dim_sql):
            conn.execute(sql.format(where="WHERE ts >= ? AND ts < ?"), bounds)


def day_bounds_us(day: str) -> tuple[int, int]:
    """Microsecond bounds [start, end) of a UTC day given as YYYY-MM-DD."""
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    end = start + timedelta(days=1)
    return int(start.timestamp()) * 1_000_000, int(end.timestamp()) * 1_000_000


# ---------------------------------------------------------------------------- unpriced models
# One row per (provider, model) with unpriced events: how many, their tokens, the newest. Kept
# exact by every writer of ``events.cost_nusd`` (insert, recost, prune), so that the unpriced
# ledger reads a handful of rows instead of every unpriced event.

UNPRICED_TOKENS_SQL = "input_tokens + cache_read_tokens + cache_write_tokens + output_tokens"
_PROVIDER = COLUMN_INDEX["provider"]
_MODEL = COLUMN_INDEX["model"]
_TOKEN_COLUMNS = tuple(
    COLUMN_INDEX[c] for c in ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")
)
_UPSERT_UNPRICED = (
    "INSERT INTO unpriced (provider, model, events, tokens, last_ts) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (provider, model) DO UPDATE SET events = events + excluded.events, "
    "tokens = tokens + excluded.tokens, last_ts = MAX(last_ts, excluded.last_ts)"
)


@dataclass
class UnpricedDelta:
    """Changes to the ``unpriced`` rows: events that became (or were stored) unpriced, and
    events that stopped being unpriced (priced by a recost, or pruned)."""

    rows: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    """(provider, model) -> [events, tokens, newest ts of the added ones, events removed]."""

    def add_row(self, row: Sequence[Any], sign: int = 1) -> None:
        """An event row (``EVENT_COLUMNS`` order) that is now unpriced (sign 1) or no longer (-1)."""
        tokens = sum(row[i] for i in _TOKEN_COLUMNS)
        self.add(row[_PROVIDER], row[_MODEL], sign, sign * tokens, row[_TS] if sign > 0 else 0)

    def add(self, provider: str, model: str, events: int, tokens: int, last_ts: int = 0) -> None:
        acc = self.rows.get((provider, model))
        if acc is None:
            acc = self.rows[(provider, model)] = [0, 0, 0, 0]
        acc[0] += events
        acc[1] += tokens
        acc[2] = max(acc[2], last_ts)
        if events < 0:
            acc[3] -= events

    def write(self, conn: sqlite3.Connection) -> None:
        if not self.rows:
            return
        conn.executemany(_UPSERT_UNPRICED, [(p, m, *v[:3]) for (p, m), v in self.rows.items()])
        # A model whose unpriced events all left drops out; one that lost some may have lost its
        # newest: asked of the partial index events_unpriced (provider, model, ts), one seek each.
        for (provider, model), (_, _, _, removed) in self.rows.items():
            if not removed:
                continue
            conn.execute("DELETE FROM unpriced WHERE provider = ? AND model = ? AND events <= 0", (provider, model))
            conn.execute(
                "UPDATE unpriced SET last_ts = (SELECT MAX(ts) FROM events WHERE cost_nusd IS NULL"
                " AND provider = ?1 AND model = ?2) WHERE provider = ?1 AND model = ?2",
                (provider, model),
            )
        self.rows.clear()


def rebuild_unpriced(conn: sqlite3.Connection) -> None:
    """Recompute the ``unpriced`` rows from the raw events (through the partial index)."""
    conn.execute("DELETE FROM unpriced")
    conn.execute(
        f"INSERT INTO unpriced (provider, model, events, tokens, last_ts) "
        f"SELECT provider, model, COUNT(*), COALESCE(SUM({UNPRICED_TOKENS_SQL}), 0), MAX(ts) "
        "FROM events WHERE cost_nusd IS NULL GROUP BY provider, model"
    )


def unpriced_removed(conn: sqlite3.Connection, ts_where: str, params: Sequence[Any]) -> UnpricedDelta:
    """What deleting the events matching ``ts_where`` (a condition on ``ts``) takes from the
    ``unpriced`` rows."""
    delta = UnpricedDelta()
    for provider, model, events, tokens in conn.execute(
        f"SELECT provider, model, COUNT(*), COALESCE(SUM({UNPRICED_TOKENS_SQL}), 0) FROM events "
        f"WHERE cost_nusd IS NULL AND {ts_where} GROUP BY provider, model",
        params,
    ):
        delta.add(provider, model, -events, -tokens)
    return delta


def rebuild_derived(conn: sqlite3.Connection) -> None:
    """Rebuild every table derived from the raw events (after a bulk copy in SQL; benchmarks)."""
    rebuild_daily(conn, None)
    rebuild_unpriced(conn)
