"""The SQLite store: one file, WAL mode, one entry point for writes (:meth:`Store.record`).

Thread rule: a ``Store`` owns one connection guarded by a lock, so it may be shared between
threads, but writers in different threads or processes should each open their own ``Store``
(WAL lets readers proceed while one writer commits).
"""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from costtui.models import (
    EVENT_SORT_COLUMNS,
    DayTotals,
    EventFilter,
    EventSort,
    GroupTotals,
    PriceOverride,
    RecordResult,
    StoredEvent,
    Totals,
    UnpricedModel,
    UsageEvent,
)
from costtui.pricing import Price, Pricer
from costtui.store.event_rows import (
    COLUMN_INDEX,
    NANO_PER_USD,
    event_fields,
    event_row,
    from_nusd,
    insert_events,
    to_nusd,
    ts_to_us,
    us_to_ts,
)
from costtui.store.migrations import MIGRATIONS, migrate, run_script
from costtui.store.rollup import (
    DAY_SQL,
    ROLLUP_DIMENSIONS,
    SUM_COLUMNS,
    SUM_EXPRESSIONS,
    RollupBatch,
    UnpricedDelta,
    day_bounds_us,
    sums,
    unpriced_removed,
)
from costtui.store.search import (
    LIKE_ANY_FIELD,
    SEARCH_FIELDS,
    TRIGGERS,
    TRIGGERS_DDL,
    candidate_limit,
    clear_search,
    indexed_in_bulk,
    like_needle,
    selective_query,
)
from costtui.vocabulary import CANONICAL_IDS, canonical_provider

if TYPE_CHECKING:
    from costtui.store.agents import AgentStore
    from costtui.store.billing import BillingStore
    from costtui.store.budgets import BudgetStore
    from costtui.store.plans import PlanStore
    from costtui.store.proxy import ProxyStore
    from costtui.store.reports import ReportStore
    from costtui.store.tokens import TokenStore

__all__ = [
    "NANO_PER_USD",
    "ReadOnlyDatabase",
    "RecostResult",
    "Store",
    "StoreError",
    "WriteCause",
    "database_writable",
    "from_nusd",
    "to_nusd",
    "ts_to_us",
    "us_to_ts",
    "write_error_cause",
]

DIMENSIONS = ("provider", "model", "source", "app", "user", "team", "project", "api_key_fp")
MODEL_DIMENSIONS = ("provider", "model")
SLICE_ROWS = 50_000
"""Events per transaction in maintenance (prune, recost): a concurrent writer waits one slice."""
_COST = COLUMN_INDEX["cost_nusd"]


def with_canonical_providers(events: Iterable[UsageEvent]) -> list[UsageEvent]:
    """The events, each under its provider's canonical id (``x-ai`` → ``xai``): whatever a source
    sent, nothing un-normalised is stored. Events already canonical are not copied."""
    batch = list(events)
    for i, e in enumerate(batch):
        if e.provider in CANONICAL_IDS:
            continue
        pid = canonical_provider(e.provider)
        if pid != e.provider:
            batch[i] = e.model_copy(update={"provider": pid})
    return batch


class StoreError(Exception):
    """A store operation failed for a reason the user can act on."""


class ReadOnlyDatabase(StoreError):
    """The database cannot be written: a read-only file, folder or file system."""


# ------------------------------------------------------------------ why a write failed


@dataclass(frozen=True)
class WriteCause:
    """Why a write failed: ``key`` is a stable label (metrics, JSON), ``text`` what a person reads."""

    key: str
    text: str


DISK_FULL = WriteCause("disk_full", "disk full")
READ_ONLY = WriteCause("read_only", "database is read-only")
BUSY = WriteCause("busy", "database is locked (busy)")
IO_ERROR = WriteCause("io_error", "disk I/O error")
OTHER = WriteCause("other", "database error")
WRITE_CAUSES = (DISK_FULL, READ_ONLY, BUSY, IO_ERROR, OTHER)

# SQLite primary result codes (the low byte of an extended code).
_SQLITE_CAUSES = {13: DISK_FULL, 8: READ_ONLY, 5: BUSY, 6: BUSY, 10: IO_ERROR}
_ERRNO_CAUSES = {errno.ENOSPC: DISK_FULL, errno.EDQUOT: DISK_FULL, errno.EROFS: READ_ONLY, errno.EACCES: READ_ONLY}
# The same causes from the message, for errors that carry no code (raised by hand, or wrapped).
_MESSAGE_CAUSES = (
    ("disk is full", DISK_FULL),
    ("readonly", READ_ONLY),
    ("read-only", READ_ONLY),
    ("locked", BUSY),
    ("busy", BUSY),
    ("disk i/o", IO_ERROR),
)


def write_error_cause(exc: BaseException) -> WriteCause:
    """Name why a write failed (full disk, read-only database, lock held too long, I/O)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and (code & 0xFF) in _SQLITE_CAUSES:
        return _SQLITE_CAUSES[code & 0xFF]
    if isinstance(exc, OSError) and exc.errno in _ERRNO_CAUSES:
        return _ERRNO_CAUSES[exc.errno]
    text = str(exc).lower()
    for needle, cause in _MESSAGE_CAUSES:
        if needle in text:
            return cause
    return OTHER


def database_writable(path: str | Path) -> bool:
    """Whether this process may write the database at ``path`` (and its folder, where SQLite keeps
    the ``-wal`` and ``-shm`` files). A missing file is writable if its folder is."""
    path = Path(path)
    if str(path) == ":memory:":
        return True
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # Store creates missing folders: the nearest existing one decides
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def _open_read_only(path: Path, timeout: float) -> sqlite3.Connection:
    """A connection that can never write to ``path``, and creates nothing beside it.

    Plain ``mode=ro`` on a WAL database needs the ``-shm`` file: in a read-only folder without
    one it fails, and in a writable folder it leaves ``-wal``/``-shm`` behind. So when there is no
    ``-wal`` file (every commit is in the main file) the file is opened ``immutable``, which
    reads it as it is without any of those; with a ``-wal`` file, the committed rows in it must be
    read, and that is ``mode=ro`` (using the existing ``-shm``).
    """
    wal = Path(f"{path}-wal")
    pending = (wal.exists() and wal.stat().st_size > 0) or Path(f"{path}-journal").exists()
    uri = path.resolve().as_uri() + ("?mode=ro" if pending else "?mode=ro&immutable=1")
    try:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None, timeout=timeout)
        conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        if pending:
            raise StoreError(
                f"cannot read the read-only database {path}: its write-ahead log ({wal.name}) needs a"
                f" {path.name}-shm file that cannot be created here ({exc}); open it once with write access"
            ) from exc
        raise StoreError(f"cannot read the read-only database {path}: {exc}") from exc
    return conn


@dataclass(frozen=True)
class RecostResult:
    events: int
    before: Decimal
    after: Decimal
    by_model: list[tuple[str, str, Decimal, Decimal]]  # provider, model, before, after
    newly_priced: int
    newly_unpriced: int

    @property
    def difference(self) -> Decimal:
        return self.after - self.before


# The Totals counters, read from the summed columns of the same names.
_TOTAL_COUNTS = tuple(name for name in Totals.model_fields if name != "cost_usd")


def _totals_from_row(row: dict[str, Any]) -> dict[str, Any]:
    return {"cost_usd": from_nusd(row.get("cost_nusd")), **{name: int(row.get(name) or 0) for name in _TOTAL_COUNTS}}


# Rollup tables are summed column by column; raw events through SUM_EXPRESSIONS.
SUMS_SQL = ", ".join(f"SUM({col}) AS {col}" for col in SUM_COLUMNS)
EVENT_SUMS_SQL = ", ".join(f"{expr} AS {col}" for expr, col in zip(SUM_EXPRESSIONS, SUM_COLUMNS, strict=True))


def _check_dimension(column: str) -> None:
    if column not in DIMENSIONS:
        raise ValueError(f"unknown dimension {column!r}; choose from {', '.join(DIMENSIONS)}")


# Each sort column: the SQL it orders by, and the same value read from a stored event (the keyset
# cursor). Missing values sort as the lowest (an unpriced event below a free one).
_SORT_KEYS: dict[str, tuple[str, Callable[[StoredEvent], Any]]] = {
    "time": ("ts", lambda e: ts_to_us(e.ts)),
    "provider": ("provider", lambda e: e.provider),
    "model": ("model", lambda e: e.model),
    "app": ("COALESCE(app, '')", lambda e: e.app or ""),
    "user": ("COALESCE(user, '')", lambda e: e.user or ""),
    "tokens": (
        "(input_tokens + cache_read_tokens + cache_write_tokens + output_tokens)",
        lambda e: e.total_tokens,
    ),
    "input": ("(input_tokens + cache_read_tokens + cache_write_tokens)", lambda e: e.total_input_tokens),
    "output": ("output_tokens", lambda e: e.output_tokens),
    "cost": ("COALESCE(cost_nusd, -1)", lambda e: -1 if e.cost_usd is None else to_nusd(e.cost_usd)),
    "latency": ("COALESCE(latency_ms, -1)", lambda e: -1 if e.latency_ms is None else e.latency_ms),
    "status": ("status", lambda e: e.status),
}
assert set(_SORT_KEYS) == set(EVENT_SORT_COLUMNS)


@dataclass(frozen=True)
class _Source:
    """Where an aggregate query reads from (see :func:`_aggregate_source`)."""

    table: str
    name: str  # SQL for the grouped dimension's value
    day: str  # SQL for the UTC day
    sums: str  # SQL for the summed columns
    where: str
    params: list[Any]


def _aggregate_source(
    start: date | None, end: date | None, filters: dict[str, str | None], dimension: str | None = None
) -> _Source:
    """Pick the cheapest table that answers a query.

    ``daily`` answers provider/model questions, ``daily_dim`` one other dimension at a time;
    anything else (e.g. one app's cost per model) is aggregated from the raw events (and so
    only covers events that retention has not pruned).
    """
    active = {k: v for k, v in filters.items() if v is not None}
    if active.get("provider"):
        active["provider"] = canonical_provider(active["provider"])
    for column in active:
        _check_dimension(column)
    if dimension is not None:
        _check_dimension(dimension)
    clauses: list[str] = []
    params: list[Any] = []
    if set(active) <= set(MODEL_DIMENSIONS) and (dimension is None or dimension in MODEL_DIMENSIONS):
        table, name, day, sums = "daily", dimension or "NULL", "day", SUMS_SQL
        for column, value in active.items():
            clauses.append(f"{column} = ?")
            params.append(value)
    elif (dimension in ROLLUP_DIMENSIONS and not active) or (
        dimension is None and len(active) == 1 and next(iter(active)) in ROLLUP_DIMENSIONS
    ):
        dim = dimension or next(iter(active))
        table, name, day, sums = "daily_dim", "value", "day", SUMS_SQL
        clauses.append("dim = ?")
        params.append(dim)
        if active:
            clauses.append("value = ?")
            params.append(active[dim])
    else:
        table = "events"
        name = f"COALESCE({dimension}, '')" if dimension else "NULL"
        day, sums = DAY_SQL, EVENT_SUMS_SQL
        for column, value in active.items():
            clauses.append(f"{column} = ?")
            params.append(value)
        # Day bounds become ts bounds so that the events_ts index is used.
        if start is not None:
            clauses.append("ts >= ?")
            params.append(ts_to_us(datetime(start.year, start.month, start.day, tzinfo=UTC)))
        if end is not None:
            after = end + timedelta(days=1)
            clauses.append("ts < ?")
            params.append(ts_to_us(datetime(after.year, after.month, after.day, tzinfo=UTC)))
        start = end = None
    if start is not None:
        clauses.append("day >= ?")
        params.append(start.isoformat())
    if end is not None:
        clauses.append("day <= ?")
        params.append(end.isoformat())
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return _Source(table, name, day, sums, where, params)


class Store:
    """Open (and migrate) a costtui database.

    ``read_only=True`` opens an existing database for reading only: nothing is migrated, created
    or written (the commands that only read use it when the file or its folder is not writable).
    """

    def __init__(
        self, path: str | Path, *, pricer: Pricer | None = None, timeout: float = 30.0, read_only: bool = False
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        conn = self._connect_read_only(timeout) if read_only else self._connect(timeout)
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()
        if not read_only:
            with self._lock:
                try:
                    migrate(conn)
                except sqlite3.DatabaseError as exc:
                    conn.close()
                    raise self._open_error("cannot prepare the database", exc) from exc
        # A rolled-back transaction may leave an id cached that was never committed: the cache
        # is cleared whenever a write fails (see record()).
        self._price_ids: dict[str, int] = {}
        self._price_labels: dict[int, str] = {}
        self.pricer = pricer or Pricer()
        self.reload_overrides()

    def _connect(self, timeout: float) -> sqlite3.Connection:
        path = self.path
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = None
        try:
            # isolation_level=None: we issue BEGIN IMMEDIATE ourselves (deferred BEGIN gives
            # "database is locked" when two processes read-then-write).
            conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=timeout)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            raise self._open_error("cannot open the database", exc) from exc
        return conn

    def _open_error(self, what: str, exc: sqlite3.DatabaseError) -> StoreError:
        """A failed open or migration as one line; a read-only database says so."""
        if write_error_cause(exc) is READ_ONLY or not database_writable(self.path):
            return ReadOnlyDatabase(f"the database {self.path} is read-only ({exc})")
        return StoreError(f"{what} {self.path}: {exc}")

    def _connect_read_only(self, timeout: float) -> sqlite3.Connection:
        if not self.path.is_file():
            raise StoreError(f"no database at {self.path}")
        conn = _open_read_only(self.path, timeout)
        try:
            try:
                row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
                version = int(row[0] or 0)
            except sqlite3.OperationalError:  # no schema_version table: not (yet) a costtui database
                version = 0
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"cannot read the read-only database {self.path}: {exc}") from exc
        if version < len(MIGRATIONS):
            conn.close()
            raise ReadOnlyDatabase(
                f"the database {self.path} is read-only and has an older layout (version {version}; this costtui"
                f" needs {len(MIGRATIONS)}): open it once with write access to upgrade it"
            )
        return conn

    # ------------------------------------------------------------------ the other tables

    @cached_property
    def billing(self) -> BillingStore:
        """Accounts and their sync health, billed lines, quotas, manual costs."""
        from costtui.store.billing import BillingStore

        return BillingStore(self)

    @cached_property
    def budgets(self) -> BudgetStore:
        """Budgets and the alerts their thresholds raised."""
        from costtui.store.budgets import BudgetStore

        return BudgetStore(self)

    @cached_property
    def reports(self) -> ReportStore:
        """Read-only queries for forecasts, anomalies, reconciliation, reports and exports."""
        from costtui.store.reports import ReportStore

        return ReportStore(self)

    @cached_property
    def proxy(self) -> ProxyStore:
        """The proxy's response cache and stored bodies, and the Proxy screen's reads."""
        from costtui.store.proxy import ProxyStore

        return ProxyStore(self)

    @cached_property
    def plans(self) -> PlanStore:
        """The plan sources that are not accounts (their health), and quota history for charts."""
        from costtui.store.plans import PlanStore

        return PlanStore(self)

    @cached_property
    def tokens(self) -> TokenStore:
        """The listener's tracking tokens."""
        from costtui.store.tokens import TokenStore

        return TokenStore(self)

    @cached_property
    def agents(self) -> AgentStore:
        """Coding-agent imports: scan state, duplicate records, sessions, push cursors."""
        from costtui.store.agents import AgentStore

        return AgentStore(self)

    # ------------------------------------------------------------------ plumbing

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction taken with BEGIN IMMEDIATE; rolled back on any error."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self._rollback()
                raise
            else:
                try:
                    self.conn.execute("COMMIT")
                except BaseException:
                    # A failed COMMIT (full disk, busy) may leave the transaction open: end it, or
                    # every later write fails with "cannot start a transaction within a transaction".
                    self._rollback()
                    raise

    def _rollback(self) -> None:
        """End a failed transaction. SQLite has already rolled it back after some errors (a full
        disk, an I/O error): a second ROLLBACK would then fail and hide the error that matters."""
        if self.conn.in_transaction:
            with suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.db.query(sql, list(params)))

    def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        with self._lock:
            row = self.conn.execute(sql, list(params)).fetchone()
        return None if row is None else row[0]

    def ping(self) -> None:
        """Raise if the database cannot be read (``/health``)."""
        self.scalar("SELECT 1")

    def data_version(self) -> int:
        """Changes whenever *another* connection commits (used to notice other writers)."""
        return int(self.scalar("PRAGMA data_version"))

    def schema_version(self) -> int:
        return int(self.scalar("SELECT MAX(version) FROM schema_version") or 0)

    # ------------------------------------------------------------------ the one write path

    def record(
        self, events: Iterable[UsageEvent], *, also: Callable[[sqlite3.Connection], None] | None = None
    ) -> RecordResult:
        """Price and store a batch of events idempotently, in one transaction.

        An event whose ``event_id`` is already stored (or appears twice in the batch) is stored
        once and reported as a duplicate. Every source comes through here. ``also`` writes a
        source's own bookkeeping in the same transaction (an importer's read positions: they
        must commit with the events they account for).
        """
        batch = with_canonical_providers(events)
        result = RecordResult()
        if not batch and also is None:
            return result
        # Priced without copying each event (a pydantic copy costs as much as the insert).
        prices = [self.pricer.price(e) for e in batch]
        try:
            self._write_events(batch, prices, result, also)
        except BaseException:
            self._price_ids.clear()
            self._price_labels.clear()
            raise
        return result

    def _write_events(
        self,
        batch: list[UsageEvent],
        prices: list[Price],
        result: RecordResult,
        also: Callable[[sqlite3.Connection], None] | None = None,
    ) -> None:
        rollup = RollupBatch()
        unpriced = UnpricedDelta()
        with self.transaction() as conn:
            # Which ids are stored already: one query per batch instead of a conflict per row.
            ids = list({e.event_id for e in batch})
            existing: set[str] = set()
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                marks = ",".join("?" * len(chunk))
                existing.update(
                    r[0] for r in conn.execute(f"SELECT event_id FROM events WHERE event_id IN ({marks})", chunk)
                )
            rows = []
            accepted_ids = result.accepted_ids
            for e, price in zip(batch, prices, strict=True):
                event_id = e.event_id or ""
                if event_id in existing:
                    result.duplicates += 1
                    result.duplicate_ids.append(event_id)
                    continue
                existing.add(event_id)  # a second copy later in the batch is a duplicate too
                row = event_row(e, to_nusd(price.cost_usd), price.source, self._price_version_id(conn, price.version))
                rows.append(row)
                accepted_ids.append(event_id)
                rollup.add_event(row)
                if row[_COST] is None:
                    unpriced.add_row(row)
            result.accepted += len(rows)
            with indexed_in_bulk(conn, len(rows)):
                insert_events(conn, rows)
            rollup.write(conn)
            unpriced.write(conn)
            if also is not None:
                also(conn)

    def _price_version_id(self, conn: sqlite3.Connection, label: str | None) -> int | None:
        """The id of a price version label, created on first use (inside the caller's transaction)."""
        if label is None:
            return None
        found = self._price_ids.get(label)
        if found is None:
            conn.execute("INSERT OR IGNORE INTO price_versions (label) VALUES (?)", (label,))
            found = int(conn.execute("SELECT id FROM price_versions WHERE label = ?", (label,)).fetchone()[0])
            self._price_ids[label] = found
            self._price_labels[found] = label
        return found

    def _price_label(self, version_id: int | None) -> str | None:
        if version_id is None:
            return None
        label = self._price_labels.get(version_id)
        if label is None:
            label = self.scalar("SELECT label FROM price_versions WHERE id = ?", [version_id])
            if label is not None:
                self._price_labels[version_id] = label
                self._price_ids[label] = version_id
        return label

    # ------------------------------------------------------------------ aggregates (rollup)

    def totals(self, start: date | None = None, end: date | None = None, **filters: str | None) -> Totals:
        """Totals over UTC days [start, end] (inclusive), optionally for one provider/model/app/..."""
        src = _aggregate_source(start, end, filters)
        rows = self.query(f"SELECT {src.sums} FROM {src.table} {src.where}", src.params)
        return Totals(**_totals_from_row(rows[0] if rows else {}))

    def by_day(self, start: date, end: date, **filters: str | None) -> list[DayTotals]:
        """One entry per UTC day in [start, end], zero-filled."""
        src = _aggregate_source(start, end, filters)
        sql = f"SELECT {src.day} AS day, {src.sums} FROM {src.table} {src.where} GROUP BY 1"
        rows = {r["day"]: r for r in self.query(sql, src.params)}
        out = []
        day = start
        while day <= end:
            out.append(DayTotals(day=day, **_totals_from_row(rows.get(day.isoformat(), {}))))
            day += timedelta(days=1)
        return out

    def by_dimension(
        self,
        dimension: str,
        start: date | None = None,
        end: date | None = None,
        limit: int | None = None,
        **filters: str | None,
    ) -> list[GroupTotals]:
        """Totals per provider/model/source/app/user/team/project/key, most expensive first.

        Events without a value (no app, say) are grouped under the name "".
        """
        src = _aggregate_source(start, end, filters, dimension)
        sql = (
            f"SELECT {src.name} AS name, {src.sums} FROM {src.table} {src.where} GROUP BY 1 "
            "ORDER BY cost_nusd DESC, events DESC, name"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [GroupTotals(name=r["name"], **_totals_from_row(r)) for r in self.query(sql, src.params)]

    def totals_by_model(self) -> list[tuple[str, str, Totals]]:
        """All-time totals per (provider, model), from the daily rollup (cheap: the table is small)."""
        rows = self.query(
            f"SELECT provider, model, {SUMS_SQL} FROM daily GROUP BY provider, model ORDER BY provider, model"
        )
        return [(r["provider"], r["model"], Totals(**_totals_from_row(r))) for r in rows]

    def distinct(self, dimension: str) -> list[str]:
        """Values seen for a dimension (for filter pickers)."""
        _check_dimension(dimension)
        if dimension in MODEL_DIMENSIONS:
            rows = self.query(f"SELECT DISTINCT {dimension} AS v FROM daily ORDER BY 1")
        else:
            rows = self.query(
                "SELECT DISTINCT value AS v FROM daily_dim WHERE dim = ? AND value != '' ORDER BY 1", [dimension]
            )
        return [r["v"] for r in rows]

    def first_day(self) -> date | None:
        value = self.scalar("SELECT MIN(day) FROM daily")
        return date.fromisoformat(value) if value else None

    def last_event_time(self) -> datetime | None:
        value = self.scalar("SELECT MAX(ts) FROM events")
        return us_to_ts(value) if value is not None else None

    def unpriced_models(self) -> list[UnpricedModel]:
        # The ``unpriced`` rollup, kept exact by every writer of cost_nusd (a scan of the unpriced
        # events themselves grew with the table: they are scattered over all of it).
        rows = self.query(
            "SELECT provider, model, events, tokens, last_ts FROM unpriced WHERE events > 0 "
            "ORDER BY events DESC, provider, model"
        )
        return [
            UnpricedModel(
                provider=r["provider"],
                model=r["model"],
                events=r["events"],
                tokens=r["tokens"] or 0,
                last_seen=us_to_ts(r["last_ts"]),
            )
            for r in rows
        ]

    # ------------------------------------------------------------------ raw events

    def _rows_in_scope(self, flt: EventFilter) -> int:
        """About how many events a filter's time window holds (from the rollup; all: the top id)."""
        if flt.start is None and flt.end is None:
            return int(self.scalar("SELECT MAX(id) FROM events") or 0)
        lo = flt.start.astimezone(UTC).date().isoformat() if flt.start else ""
        hi = flt.end.astimezone(UTC).date().isoformat() if flt.end else "9999"
        return int(self.scalar("SELECT SUM(events) FROM daily WHERE day >= ? AND day <= ?", [lo, hi]) or 0)

    def _event_where(self, flt: EventFilter, *, page: int | None = None) -> tuple[str, list[Any]]:
        """The WHERE clause of a filter. A search goes through the search index when the needle
        has a trigram and few enough rows hold them all, against the rows its time window holds:
        for a page, :func:`candidate_limit`; for counts and sums, a quarter of them (a lookup
        at random costs about four rows read in order). Otherwise it is a scan of the window
        (see :mod:`costtui.store.search`)."""
        clauses: list[str] = []
        params: list[Any] = []
        if flt.start is not None:
            clauses.append("ts >= ?")
            params.append(ts_to_us(flt.start))
        if flt.end is not None:
            clauses.append("ts < ?")
            params.append(ts_to_us(flt.end))
        for column in ("provider", "model", "app", "user", "source", "status"):
            value = getattr(flt, column)
            if value and column == "provider":
                value = canonical_provider(value)
            if column == "status" and value == "error":
                clauses.append("status = 'error'")  # a literal, so that the partial index events_errors serves it
            elif value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if flt.search:
            with self._lock:
                match = selective_query(self.conn, flt.search)
            if match is not None:
                scope = self._rows_in_scope(flt)
                limit = candidate_limit(scope, page) if page else scope // 4
                found = self.scalar(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM events_fts WHERE events_fts MATCH ? LIMIT ?)", [match, limit]
                )
                if found < limit:
                    clauses.append("id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)")
                    params.append(match)
            clauses.append(LIKE_ANY_FIELD)
            params.extend([like_needle(flt.search)] * len(SEARCH_FIELDS))
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params

    def events_page(
        self,
        flt: EventFilter | None = None,
        *,
        before: StoredEvent | None = None,
        limit: int = 100,
        sort: EventSort | None = None,
        at: datetime | None = None,
    ) -> list[StoredEvent]:
        """A page of events in ``sort`` order (newest first by default). ``before`` is the last
        event of the previous page (the keyset cursor); pages never use OFFSET, so page 1,000 is as
        fast as page 1 when sorted by time (the ``ts`` index). Other orders are keyset pages too,
        but each one is a top-N scan of the filtered rows (no index per column).

        ``at`` starts a time-ordered page at a moment: newest first, the events before ``at``;
        oldest first, the events from ``at`` on (a jump to a date).
        """
        sort = sort or EventSort()
        expr, key = _SORT_KEYS[sort.column]
        where, params = self._event_where(flt or EventFilter(), page=limit)
        clauses = [where[len("WHERE ") :]] if where else []
        older = "<" if sort.descending else ">"
        if at is not None:
            if sort.column != "time":
                raise ValueError("a page can start at a time only when sorted by time")
            clauses.append("ts < ?" if sort.descending else "ts >= ?")
            params.append(ts_to_us(at))
        if before is not None:
            value = key(before)
            clauses.append(f"({expr} {older} ? OR ({expr} = ? AND id {older} ?))")
            params.extend([value, value, before.row_id])
        direction = "DESC" if sort.descending else "ASC"
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self.query(
            f"SELECT * FROM events {where} ORDER BY {expr} {direction}, id {direction} LIMIT {int(limit)}", params
        )
        return [self._event_from_row(r) for r in rows]

    def count_events(self, flt: EventFilter | None = None) -> int:
        flt = flt or EventFilter()
        if flt.is_empty():
            return int(self.scalar("SELECT COALESCE(SUM(events), 0) FROM daily") or 0) - self._pruned_count()
        where, params = self._event_where(flt)
        return int(self.scalar(f"SELECT COUNT(*) FROM events {where}", params) or 0)

    def event_totals(self, flt: EventFilter | None = None) -> Totals:
        """Cost, tokens and counts of every event a filter matches (not only a loaded page).

        With no filter the rollups answer (cheap; pruned raw events are in the daily totals but not
        in the events table, so the count is corrected as in :meth:`count_events`); a filter scans
        its rows once.
        """
        flt = flt or EventFilter()
        if flt.is_empty():
            totals = self.totals()
            return totals.model_copy(update={"events": totals.events - self._pruned_count()})
        where, params = self._event_where(flt)
        rows = self.query(f"SELECT {EVENT_SUMS_SQL} FROM events {where}", params)
        return Totals(**_totals_from_row(rows[0] if rows else {}))

    def _pruned_count(self) -> int:
        value = self.scalar("SELECT value FROM meta WHERE key = 'pruned_events'")
        return int(value or 0)

    def get_event(self, row_id: int) -> StoredEvent | None:
        rows = self.query("SELECT * FROM events WHERE id = ?", [row_id])
        return self._event_from_row(rows[0]) if rows else None

    def _event_from_row(self, r: dict[str, Any]) -> StoredEvent:
        return StoredEvent.model_construct(row_id=r["id"], **event_fields(r, self._price_label))

    # ------------------------------------------------------------------ prices

    def price_overrides(self) -> list[PriceOverride]:
        rows = self.query("SELECT * FROM price_overrides ORDER BY id")
        return [
            PriceOverride(
                id=r["id"],
                model=r["model"],
                provider=r["provider"],
                input_per_mtok=Decimal(r["input_per_mtok"]),
                output_per_mtok=Decimal(r["output_per_mtok"]),
                cache_read_per_mtok=Decimal(r["cache_read_per_mtok"]) if r["cache_read_per_mtok"] else None,
                cache_write_per_mtok=Decimal(r["cache_write_per_mtok"]) if r["cache_write_per_mtok"] else None,
                effective_from=date.fromisoformat(r["effective_from"]) if r["effective_from"] else None,
                effective_to=date.fromisoformat(r["effective_to"]) if r["effective_to"] else None,
            )
            for r in rows
        ]

    def reload_overrides(self) -> None:
        self.pricer.set_overrides(self.price_overrides())

    def add_price_override(self, override: PriceOverride) -> PriceOverride:
        def dec(v: Decimal | None) -> str | None:
            return None if v is None else str(v)

        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO price_overrides (model, provider, input_per_mtok, output_per_mtok, cache_read_per_mtok,"
                " cache_write_per_mtok, effective_from, effective_to, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    override.model,
                    canonical_provider(override.provider) if override.provider else None,
                    str(override.input_per_mtok),
                    str(override.output_per_mtok),
                    dec(override.cache_read_per_mtok),
                    dec(override.cache_write_per_mtok),
                    override.effective_from.isoformat() if override.effective_from else None,
                    override.effective_to.isoformat() if override.effective_to else None,
                    datetime.now(UTC).isoformat(),
                ),
            )
            new_id = cur.lastrowid
        self.reload_overrides()
        return override.model_copy(
            update={"id": new_id, "provider": canonical_provider(override.provider) if override.provider else None}
        )

    def remove_price_override(self, override_id: int) -> bool:
        with self.transaction() as conn:
            removed = conn.execute("DELETE FROM price_overrides WHERE id = ?", (override_id,)).rowcount
        self.reload_overrides()
        return bool(removed)

    def recost(
        self,
        since: date | None = None,
        *,
        dry_run: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> RecostResult:
        """Re-price stored events (from ``since``) with today's prices and overrides.

        Client-supplied costs are kept. Works one UTC day per transaction so that a concurrent
        writer is never blocked for long. The rollups are adjusted by the difference of each
        re-priced event (not rebuilt), so days whose older events retention pruned keep them.
        """
        self.reload_overrides()
        # The days from the rollup (a few hundred rows), not from a scan of every event; a day
        # whose events were all pruned is an empty slice.
        day_rows = self.query(
            "SELECT DISTINCT day FROM daily WHERE day >= ? ORDER BY 1", [since.isoformat() if since else ""]
        )
        days = [r["day"] for r in day_rows]
        total_events = 0
        before_total = after_total = 0
        per_model: dict[tuple[str, str], list[int]] = {}
        newly_priced = newly_unpriced = 0
        for i, day in enumerate(days):
            lo, hi = day_bounds_us(day)
            with self.transaction() as conn:
                rows = self.db.query(
                    "SELECT * FROM events WHERE ts >= ? AND ts < ? AND COALESCE(cost_source, '') != 'client'",
                    [lo, hi],
                )
                updates = []
                deltas = RollupBatch()
                unpriced = UnpricedDelta()
                for r in rows:
                    event = self._event_from_row(r)
                    price = self.pricer.price(event, keep_client_cost=False)
                    new = to_nusd(price.cost_usd)
                    old = r["cost_nusd"]
                    total_events += 1
                    before_total += old or 0
                    after_total += new or 0
                    acc = per_model.setdefault((r["provider"], r["model"]), [0, 0])
                    acc[0] += old or 0
                    acc[1] += new or 0
                    if old is None and new is not None:
                        newly_priced += 1
                    if old is not None and new is None:
                        newly_unpriced += 1
                    if dry_run or (new == old and price.version == self._price_label(r["price_version_id"])):
                        continue
                    updates.append((new, price.source, self._price_version_id(conn, price.version), r["id"]))
                    if (old is None) != (new is None):
                        tokens = sum(
                            r[c] for c in ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")
                        )
                        sign = 1 if new is None else -1
                        unpriced.add(r["provider"], r["model"], sign, sign * tokens, r["ts"] if new is None else 0)
                    if new != old:
                        key = (day, r["provider"], r["model"], *(r[dim] or "" for dim in ROLLUP_DIMENSIONS))
                        deltas.add(
                            key,
                            sums(
                                cost_nusd=(new or 0) - (old or 0),
                                unpriced_events=int(new is None) - int(old is None),
                            ),
                        )
                if updates:
                    conn.executemany(
                        "UPDATE events SET cost_nusd = ?, cost_source = ?, price_version_id = ? WHERE id = ?", updates
                    )
                    deltas.write(conn)
                    unpriced.write(conn)
            if progress:
                progress(i + 1, len(days))
        by_model = sorted(
            ((p, m, from_nusd(b), from_nusd(a)) for (p, m), (b, a) in per_model.items() if a != b),
            key=lambda t: abs(t[3] - t[2]),
            reverse=True,
        )
        return RecostResult(
            events=total_events,
            before=from_nusd(before_total),
            after=from_nusd(after_total),
            by_model=by_model,
            newly_priced=newly_priced,
            newly_unpriced=newly_unpriced,
        )

    # ------------------------------------------------------------------ maintenance

    def backup(self, dest: str | Path) -> Path:
        """A consistent online copy (SQLite's backup API), safe while others write."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.resolve() == self.path.resolve():
            raise StoreError("the backup path is the database itself; choose another path")
        target = sqlite3.connect(str(dest))
        try:
            with self._lock:
                self.conn.backup(target)
        finally:
            target.close()
        return dest

    def vacuum(self, progress: Callable[[float], None] | None = None) -> tuple[int, int]:
        """VACUUM; returns the file size before and after, in bytes.

        VACUUM rewrites the whole file in one step that cannot be sliced: writers wait for all of
        it (measured in docs/scale.md). ``progress(seconds)`` is called while it runs; an
        exception raised there (KeyboardInterrupt) stops it, and SQLite leaves the file as it was.
        """
        before = self.file_size()
        start = time.monotonic()
        interrupted: list[BaseException] = []

        def tick() -> int:
            try:
                if progress:
                    progress(time.monotonic() - start)
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller below
                interrupted.append(exc)
                return 1  # non-zero: SQLite abandons the VACUUM
            return 0

        with self._lock:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.set_progress_handler(tick, 20_000)
            try:
                self.conn.execute("VACUUM")
            except sqlite3.OperationalError:
                if interrupted:
                    raise interrupted[0] from None
                raise
            finally:
                self.conn.set_progress_handler(None, 0)
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return before, self.file_size()

    def file_size(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                total += p.stat().st_size
        return total

    def reset(self) -> None:
        """Delete all usage data; settings-like tables (prices, tokens, accounts) stay."""
        keep = {"schema_version", "price_overrides", "price_versions", "tracking_tokens", "accounts"}
        with self.transaction() as conn:
            # The search index is emptied at once, and the events deleted without their triggers
            # (a trigger per row would make this minutes at millions of events).
            for trigger in TRIGGERS:
                conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            clear_search(conn)
            for table in self.db.table_names():
                if table not in keep and not table.startswith(("sqlite_", "events_fts")):
                    conn.execute(f"DELETE FROM [{table}]")
            run_script(conn, TRIGGERS_DDL)

    def prune(
        self,
        keep_days: int,
        *,
        now: datetime | None = None,
        progress: Callable[[int, int], None] | None = None,
        slice_rows: int = SLICE_ROWS,
    ) -> int:
        """Delete raw events older than ``keep_days`` whole UTC days; their daily totals stay.

        Deletes oldest first, about ``slice_rows`` events per transaction, so that a listener
        writing meanwhile waits for one slice at most; each slice commits with its bookkeeping
        (the pruned count, the unpriced rollup), so an interruption leaves a consistent database
        and running it again finishes the job. ``progress(done, total)`` follows each slice.
        """
        if keep_days < 1:
            raise ValueError("retention must keep at least 1 day")
        now = now or datetime.now(UTC)
        cutoff_day = now.astimezone(UTC).date() - timedelta(days=keep_days - 1)
        cutoff = ts_to_us(datetime(cutoff_day.year, cutoff_day.month, cutoff_day.day, tzinfo=UTC))
        total = int(self.scalar("SELECT COUNT(*) FROM events WHERE ts < ?", [cutoff]) or 0)
        done = 0
        while done < total:
            with self.transaction() as conn:
                # The slice ends at the timestamp of its last row (all of that microsecond's rows).
                row = conn.execute(
                    "SELECT ts FROM events WHERE ts < ? ORDER BY ts LIMIT 1 OFFSET ?", (cutoff, slice_rows - 1)
                ).fetchone()
                where, params = ("ts <= ?", (row[0],)) if row is not None else ("ts < ?", (cutoff,))
                unpriced = unpriced_removed(conn, where, params)
                removed = conn.execute(f"DELETE FROM events WHERE {where}", params).rowcount
                unpriced.write(conn)
                if removed:
                    conn.execute(
                        "INSERT INTO meta (key, value) VALUES ('pruned_events', ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + excluded.value",
                        (removed,),
                    )
            if not removed:
                break
            done += removed
            if progress:
                progress(done, max(total, done))
        return done


if TYPE_CHECKING:
    from costtui.store.interface import EventStore

    _implements: type[EventStore] = Store  # mypy checks Store against the interface
