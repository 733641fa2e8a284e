"""Read-only queries behind forecasts, anomalies, reconciliation, reports, receipts and exports.

Everything here reads the daily rollups where they answer (cheap: their size does not grow with
the number of events) and the raw events only where they must (unpriced tokens, exports).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from costtui.models import MONEY_KINDS, EventFilter, StoredEvent
from costtui.store.event_rows import from_nusd, ts_to_us
from costtui.store.rollup import DAY_SQL, ROLLUP_DIMENSIONS

if TYPE_CHECKING:
    from costtui.store.db import Store

EXPORT_PAGE = 2000
"""Events read per query while streaming an export (keyset pages: memory stays flat)."""


@dataclass
class MeteredCell:
    """What the listener, proxy and imports recorded for one (day, provider, model)."""

    cost_usd: Decimal = Decimal(0)
    events: int = 0
    unpriced_events: int = 0
    unpriced_tokens: int = 0
    tokens: int = 0


@dataclass
class BilledCell:
    """What the provider (or a manual entry) says is owed for one (day, provider, model)."""

    cost_usd: Decimal | None = Decimal(0)
    """None when every line of the cell has an unknown cost."""
    lines: int = 0
    accounts: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class ModelUsage:
    """Token sums of one provider's model over a period (for receipts)."""

    provider: str
    model: str
    events: int
    input_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    output_tokens: int
    cost_usd: Decimal
    unpriced_events: int


class ReportStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ daily series

    def daily_cost_by(self, dimension: str, start: date, end: date) -> dict[str, dict[date, Decimal]]:
        """Cost per day for each value of ``dimension`` (provider, model, or one of the rollup
        dimensions such as app or api_key_fp) over [start, end]; days without cost are absent.
        Events without a value (no app, say) are under ''."""
        if dimension in ("provider", "model"):
            sql = f"SELECT day, {dimension} AS name, SUM(cost_nusd) AS nusd FROM daily WHERE day >= ? AND day <= ? GROUP BY 1, 2"
            params: list[Any] = [start.isoformat(), end.isoformat()]
        elif dimension in ROLLUP_DIMENSIONS:
            sql = (
                "SELECT day, value AS name, SUM(cost_nusd) AS nusd FROM daily_dim WHERE dim = ? AND day >= ? AND day <= ?"
                " GROUP BY 1, 2"
            )
            params = [dimension, start.isoformat(), end.isoformat()]
        else:
            raise ValueError(f"unknown dimension {dimension!r}")
        out: dict[str, dict[date, Decimal]] = {}
        for r in self.store.query(sql, params):
            out.setdefault(r["name"], {})[date.fromisoformat(r["day"])] = from_nusd(r["nusd"])
        return out

    # ------------------------------------------------------------------ reconciliation

    def metered_by_day_model(self, start: date, end: date) -> dict[tuple[date, str, str], MeteredCell]:
        """Metered cost per (day, provider, model) from the rollup, with the unpriced tokens from
        the raw events (the rollup counts unpriced events, not their tokens)."""
        cells: dict[tuple[date, str, str], MeteredCell] = {}
        rows = self.store.query(
            "SELECT day, provider, model, SUM(cost_nusd) AS nusd, SUM(events) AS events,"
            " SUM(unpriced_events) AS unpriced,"
            " SUM(input_tokens + cache_read_tokens + cache_write_tokens + output_tokens) AS tokens"
            " FROM daily WHERE day >= ? AND day <= ? GROUP BY 1, 2, 3",
            [start.isoformat(), end.isoformat()],
        )
        for r in rows:
            cells[(date.fromisoformat(r["day"]), r["provider"], r["model"])] = MeteredCell(
                cost_usd=from_nusd(r["nusd"]),
                events=int(r["events"] or 0),
                unpriced_events=int(r["unpriced"] or 0),
                tokens=int(r["tokens"] or 0),
            )
        lo = ts_to_us(_midnight(start))
        hi = ts_to_us(_midnight(end)) + 86_400_000_000
        for r in self.store.query(
            f"SELECT {DAY_SQL} AS day, provider, model,"
            " SUM(input_tokens + cache_read_tokens + cache_write_tokens + output_tokens) AS tokens"
            " FROM events WHERE ts >= ? AND ts < ? AND cost_nusd IS NULL GROUP BY 1, 2, 3",
            [lo, hi],
        ):
            key = (date.fromisoformat(r["day"]), r["provider"], r["model"])
            cells.setdefault(key, MeteredCell()).unpriced_tokens = int(r["tokens"] or 0)
        return cells

    def billed_by_day_model(self, start: date, end: date) -> dict[tuple[date, str, str], BilledCell]:
        """Money owed per (day, provider, model) from billed lines of kind cost and manual."""
        marks = ", ".join("?" for _ in MONEY_KINDS)
        rows = self.store.query(
            "SELECT day, provider, model, account, SUM(cost_nusd) AS nusd, COUNT(*) AS lines,"
            " SUM(cost_nusd IS NULL) AS unknown"
            f" FROM billed_costs WHERE kind IN ({marks}) AND day >= ? AND day <= ? GROUP BY 1, 2, 3, 4",
            [*MONEY_KINDS, start.isoformat(), end.isoformat()],
        )
        cells: dict[tuple[date, str, str], BilledCell] = {}
        known_lines: dict[tuple[date, str, str], int] = {}
        for r in rows:
            key = (date.fromisoformat(r["day"]), r["provider"], r["model"])
            cell = cells.setdefault(key, BilledCell())
            cell.lines += int(r["lines"])
            cell.accounts.add(r["account"])
            known = int(r["lines"]) - int(r["unknown"] or 0)
            known_lines[key] = known_lines.get(key, 0) + known
            if known and cell.cost_usd is not None:
                cell.cost_usd += from_nusd(r["nusd"])
        # A cell whose every line has an unknown cost is unknown, not $0.
        for key, cell in cells.items():
            if not known_lines[key]:
                cell.cost_usd = None
        return cells

    # ------------------------------------------------------------------ receipts

    def usage_by_model(self, start: date, end: date, provider: str | None = None) -> list[ModelUsage]:
        """Token and cost sums per (provider, model) over [start, end], from the daily rollup."""
        clauses, params = ["day >= ?", "day <= ?"], [start.isoformat(), end.isoformat()]
        if provider:
            clauses.append("provider = ?")
            params.append(provider)
        rows = self.store.query(
            "SELECT provider, model, SUM(events) AS events, SUM(input_tokens) AS i, SUM(cache_read_tokens) AS cr,"
            " SUM(cache_write_tokens) AS cw, SUM(output_tokens) AS o, SUM(cost_nusd) AS nusd,"
            f" SUM(unpriced_events) AS unpriced FROM daily WHERE {' AND '.join(clauses)}"
            " GROUP BY 1, 2 ORDER BY SUM(cost_nusd) DESC, provider, model",
            params,
        )
        return [
            ModelUsage(
                provider=r["provider"],
                model=r["model"],
                events=int(r["events"] or 0),
                input_tokens=int(r["i"] or 0),
                cache_read_tokens=int(r["cr"] or 0),
                cache_write_tokens=int(r["cw"] or 0),
                output_tokens=int(r["o"] or 0),
                cost_usd=from_nusd(r["nusd"]),
                unpriced_events=int(r["unpriced"] or 0),
            )
            for r in rows
        ]

    # ------------------------------------------------------------------ exports

    def find_event(self, ref: str) -> StoredEvent | None:
        """An event by its event id, or by row id written ``#123``."""
        if ref.startswith("#") and ref[1:].isdigit():
            return self.store.get_event(int(ref[1:]))
        rows = self.store.query("SELECT id FROM events WHERE event_id = ? LIMIT 1", [ref])
        return self.store.get_event(rows[0]["id"]) if rows else None

    def iter_events(self, flt: EventFilter | None = None, page_size: int = EXPORT_PAGE) -> Iterator[StoredEvent]:
        """Every event a filter matches, oldest first, read page by page with a keyset cursor on
        (ts, id): memory stays flat however many there are, and each page is one short read, so
        writers are not held up.

        The cursor is written ``ts >= ? AND (ts > ? OR id > ?)`` rather than one OR: the first
        term is a range SQLite serves from the ``ts`` index, so page 500 starts where page 499
        ended instead of rescanning everything before it."""
        where, params = self.store._event_where(flt or EventFilter())
        base = [where[len("WHERE ") :]] if where else []
        cursor: tuple[int, int] | None = None
        while True:
            clauses, args = list(base), list(params)
            if cursor is not None:
                clauses.append("ts >= ? AND (ts > ? OR id > ?)")
                args.extend([cursor[0], cursor[0], cursor[1]])
            sql_where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
            rows = self.store.query(f"SELECT * FROM events {sql_where} ORDER BY ts, id LIMIT {int(page_size)}", args)
            for r in rows:
                yield self.store._event_from_row(r)
            if len(rows) < page_size:
                return
            cursor = (rows[-1]["ts"], rows[-1]["id"])


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
