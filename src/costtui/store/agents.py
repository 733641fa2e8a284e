"""The SQL of coding-agent imports: per-file scan state, duplicate records, agent sessions and
5-hour-block inputs, and the push cursor. Reached as ``store.agents``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from costtui.models import StoredEvent
from costtui.store.event_rows import EVENT_COLUMNS, from_nusd, ts_to_us, us_to_ts
from costtui.store.rollup import RollupBatch, event_sums

if TYPE_CHECKING:
    from costtui.store.db import Store

_CHUNK = 500


@dataclass
class FileState:
    """What was read of one log file."""

    path: str
    source: str
    size: int
    inode: int
    mtime_ns: int
    offset: int
    head_hash: str
    state: dict[str, Any] | None = None
    lines: int = 0
    malformed: int = 0


@dataclass
class RecordRow:
    """One logical record (e.g. a Claude Code message id + request id) and the event kept for it."""

    key: str
    message_id: str | None
    event_id: str
    total: int
    rank: int = 0
    sidechain: bool = False


@dataclass(frozen=True)
class SessionRow:
    source: str
    session: str
    project: str
    models: tuple[str, ...]
    start: datetime
    end: datetime
    events: int
    tokens: int
    cost_usd: Decimal
    unpriced: int


@dataclass(frozen=True)
class ProjectRow:
    project: str
    sources: tuple[str, ...]
    sessions: int
    models: tuple[str, ...]
    start: datetime
    end: datetime
    events: int
    tokens: int
    cost_usd: Decimal


@dataclass(frozen=True)
class SecondRow:
    """The agent events of one second (5-hour blocks are built from these)."""

    ts: datetime
    events: int
    tokens: int
    cost_usd: Decimal
    models: tuple[str, ...]


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


_TOKENS_SQL = "input_tokens + cache_read_tokens + cache_write_tokens + output_tokens"


class AgentStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ scan state

    def file_states(self, source: str) -> dict[str, FileState]:
        rows = self.store.query("SELECT * FROM agent_files WHERE source = ?", [source])
        return {
            r["path"]: FileState(
                path=r["path"],
                source=r["source"],
                size=r["size"],
                inode=r["inode"],
                mtime_ns=r["mtime_ns"],
                offset=r["offset"],
                head_hash=r["head_hash"],
                state=json.loads(r["state"]) if r["state"] else None,
                lines=r["lines"],
                malformed=r["malformed"],
            )
            for r in rows
        }

    def records(self, keys: Iterable[str]) -> dict[str, RecordRow]:
        wanted = list(set(keys))
        found: dict[str, RecordRow] = {}
        for chunk in _chunks(wanted):
            for r in self.store.query(f"SELECT * FROM agent_records WHERE key IN ({_marks(len(chunk))})", chunk):
                found[r["key"]] = _record(r)
        return found

    def records_by_message(self, message_ids: Iterable[str]) -> dict[str, list[RecordRow]]:
        wanted = list(set(message_ids))
        found: dict[str, list[RecordRow]] = {}
        for chunk in _chunks(wanted):
            sql = f"SELECT * FROM agent_records WHERE message_id IN ({_marks(len(chunk))})"
            for r in self.store.query(sql, chunk):
                found.setdefault(r["message_id"], []).append(_record(r))
        return found

    def remove_events(self, event_ids: Iterable[str], forget_keys: Iterable[str] = ()) -> int:
        """Delete superseded events (a less complete copy, a sidechain replay) and take them out of
        the daily rollups, in one transaction; ``forget_keys`` are dropped from the duplicate records."""
        ids = list(set(event_ids))
        keys = list(set(forget_keys))
        if not ids and not keys:
            return 0
        removed = 0
        columns = ", ".join(EVENT_COLUMNS)
        rollup = RollupBatch()
        with self.store.transaction() as conn:
            for chunk in _chunks(ids):
                marks = _marks(len(chunk))
                rows = conn.execute(f"SELECT {columns} FROM events WHERE event_id IN ({marks})", chunk).fetchall()
                for row in rows:
                    # The rollups are sums: adding the negated sums of a row takes it out.
                    rollup.add_event(row)
                conn.execute(f"DELETE FROM events WHERE event_id IN ({marks})", chunk)
                removed += len(rows)
            for key, group in rollup.events.items():
                rollup.add(tuple("" if v is None else v for v in key), [-v for v in event_sums(group)])
            rollup.events.clear()
            rollup.write(conn)
            for chunk in _chunks(keys):
                conn.execute(f"DELETE FROM agent_records WHERE key IN ({_marks(len(chunk))})", chunk)
        return removed

    def save(self, records: Iterable[RecordRow], files: Iterable[FileState]) -> None:
        """Remember the records kept and how far each file was read (in a transaction of its own)."""
        with self.store.transaction() as conn:
            self.save_in(conn, records, files)

    def saver(self, records: list[RecordRow], files: list[FileState]) -> Callable[[sqlite3.Connection], None]:
        """``save`` for ``Store.record(..., also=...)``: the read positions commit with the events."""
        return lambda conn: self.save_in(conn, records, files)

    @staticmethod
    def save_in(conn: sqlite3.Connection, records: Iterable[RecordRow], files: Iterable[FileState]) -> None:
        now = datetime.now(UTC).isoformat()
        conn.executemany(
            "INSERT INTO agent_records (key, message_id, event_id, total, rank, sidechain) VALUES (?,?,?,?,?,?)"
            " ON CONFLICT (key) DO UPDATE SET message_id = excluded.message_id, event_id = excluded.event_id,"
            " total = excluded.total, rank = excluded.rank, sidechain = excluded.sidechain",
            [(r.key, r.message_id, r.event_id, r.total, r.rank, int(r.sidechain)) for r in records],
        )
        conn.executemany(
            "INSERT INTO agent_files (path, source, size, inode, mtime_ns, offset, head_hash, state, lines,"
            " malformed, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (path) DO UPDATE SET"
            " source = excluded.source, size = excluded.size, inode = excluded.inode,"
            " mtime_ns = excluded.mtime_ns, offset = excluded.offset, head_hash = excluded.head_hash,"
            " state = excluded.state, lines = excluded.lines, malformed = excluded.malformed,"
            " updated_at = excluded.updated_at",
            [
                (
                    f.path,
                    f.source,
                    f.size,
                    f.inode,
                    f.mtime_ns,
                    f.offset,
                    f.head_hash,
                    json.dumps(f.state) if f.state is not None else None,
                    f.lines,
                    f.malformed,
                    now,
                )
                for f in files
            ],
        )

    def forget_scan_state(self, source: str | None = None) -> None:
        """Forget what was read (the next import reads every file again; stored events stay)."""
        with self.store.transaction() as conn:
            if source is None:
                conn.execute("DELETE FROM agent_files")
            else:
                conn.execute("DELETE FROM agent_files WHERE source = ?", (source,))

    # ------------------------------------------------------------------ views

    def sessions(self, sources: Sequence[str], start: datetime | None = None, limit: int = 500) -> list[SessionRow]:
        """Agent sessions, newest activity first."""
        where, params = self._where(sources, start)
        rows = self.store.query(
            f"SELECT source, session, MAX(COALESCE(project, '')) AS project, GROUP_CONCAT(DISTINCT model) AS models,"
            f" MIN(ts) AS start, MAX(ts) AS end_, COUNT(*) AS events, SUM({_TOKENS_SQL}) AS tokens,"
            f" COALESCE(SUM(cost_nusd), 0) AS cost, SUM(cost_nusd IS NULL) AS unpriced"
            f" FROM events {where} GROUP BY source, session ORDER BY end_ DESC LIMIT ?",
            [*params, limit],
        )
        ranked = self._models_by_cost("source, COALESCE(session, '')", where, params)
        return [
            SessionRow(
                source=r["source"],
                session=r["session"] or "",
                project=r["project"] or "",
                models=ranked.get((r["source"], r["session"] or ""), ()),
                start=us_to_ts(r["start"]),
                end=us_to_ts(r["end_"]),
                events=r["events"],
                tokens=r["tokens"] or 0,
                cost_usd=from_nusd(r["cost"]),
                unpriced=r["unpriced"] or 0,
            )
            for r in rows
        ]

    def projects(self, sources: Sequence[str], start: datetime | None = None, limit: int = 200) -> list[ProjectRow]:
        """Agent usage per working directory, costliest first."""
        where, params = self._where(sources, start)
        rows = self.store.query(
            f"SELECT COALESCE(project, '') AS project, GROUP_CONCAT(DISTINCT source) AS sources,"
            f" COUNT(DISTINCT session) AS sessions, GROUP_CONCAT(DISTINCT model) AS models, MIN(ts) AS start,"
            f" MAX(ts) AS end_, COUNT(*) AS events, SUM({_TOKENS_SQL}) AS tokens,"
            f" COALESCE(SUM(cost_nusd), 0) AS cost FROM events {where}"
            f" GROUP BY COALESCE(project, '') ORDER BY cost DESC, end_ DESC LIMIT ?",
            [*params, limit],
        )
        ranked = self._models_by_cost("COALESCE(project, '')", where, params)
        return [
            ProjectRow(
                project=r["project"],
                sources=tuple(sorted((r["sources"] or "").split(","))),
                sessions=r["sessions"],
                models=ranked.get((r["project"],), ()),
                start=us_to_ts(r["start"]),
                end=us_to_ts(r["end_"]),
                events=r["events"],
                tokens=r["tokens"] or 0,
                cost_usd=from_nusd(r["cost"]),
            )
            for r in rows
        ]

    def seconds(self, sources: Sequence[str], start: datetime | None = None) -> list[SecondRow]:
        """Agent events summed per second, oldest first (what 5-hour blocks are cut from)."""
        where, params = self._where(sources, start)
        rows = self.store.query(
            f"SELECT ts / 1000000 AS sec, COUNT(*) AS events, SUM({_TOKENS_SQL}) AS tokens,"
            f" COALESCE(SUM(cost_nusd), 0) AS cost, GROUP_CONCAT(DISTINCT model) AS models"
            f" FROM events {where} GROUP BY sec ORDER BY sec",
            params,
        )
        return [
            SecondRow(
                ts=us_to_ts(r["sec"] * 1_000_000),
                events=r["events"],
                tokens=r["tokens"] or 0,
                cost_usd=from_nusd(r["cost"]),
                models=tuple(sorted((r["models"] or "").split(","))),
            )
            for r in rows
        ]

    def _models_by_cost(self, group: str, where: str, params: list[Any]) -> dict[tuple[str, ...], tuple[str, ...]]:
        """Each group's models, the costliest first (the first is what a row names as its model)."""
        rows = self.store.query(
            f"SELECT {group}, model, COALESCE(SUM(cost_nusd), 0) AS cost, SUM({_TOKENS_SQL}) AS tokens"
            f" FROM events {where} GROUP BY {group}, model",
            params,
        )
        found: dict[tuple[str, ...], list[tuple[int, int, str]]] = {}
        for r in rows:
            values = list(r.values())
            key = tuple(str(v) for v in values[:-3])
            found.setdefault(key, []).append((-int(r["cost"]), -int(r["tokens"] or 0), r["model"]))
        return {key: tuple(model for *_, model in sorted(models)) for key, models in found.items()}

    def _where(self, sources: Sequence[str], start: datetime | None) -> tuple[str, list[Any]]:
        clauses = [f"source IN ({_marks(len(sources))})"]
        params: list[Any] = list(sources)
        if start is not None:
            clauses.append("ts >= ?")
            params.append(ts_to_us(start))
        return "WHERE " + " AND ".join(clauses), params

    # ------------------------------------------------------------------ push

    def events_after(self, row_id: int, sources: Sequence[str] | None, limit: int) -> list[StoredEvent]:
        """Events stored after ``row_id`` (of ``sources``, or all), in row order."""
        clauses = ["id > ?"]
        params: list[Any] = [row_id]
        if sources:
            clauses.append(f"source IN ({_marks(len(sources))})")
            params.extend(sources)
        rows = self.store.query(
            f"SELECT * FROM events WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?", [*params, limit]
        )
        return [self.store._event_from_row(r) for r in rows]

    def push_cursor(self, target: str) -> int:
        value = self.store.scalar("SELECT last_row_id FROM push_cursors WHERE target = ?", [target])
        return int(value or 0)

    def set_push_cursor(self, target: str, row_id: int) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO push_cursors (target, last_row_id, updated_at) VALUES (?,?,?) ON CONFLICT (target)"
                " DO UPDATE SET last_row_id = excluded.last_row_id, updated_at = excluded.updated_at",
                (target, row_id, datetime.now(UTC).isoformat()),
            )


def _record(r: dict[str, Any]) -> RecordRow:
    return RecordRow(
        key=r["key"],
        message_id=r["message_id"],
        event_id=r["event_id"],
        total=r["total"],
        rank=r["rank"],
        sidechain=bool(r["sidechain"]),
    )
