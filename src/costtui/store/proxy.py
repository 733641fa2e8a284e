"""The proxy's tables, reached as ``store.proxy``: its response cache, the bodies it may keep, and
the reads behind the Proxy screen (recent calls, cache savings, refusals, per-key figures)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from costtui.store.event_rows import from_nusd, to_nusd, ts_to_us, us_to_ts

if TYPE_CHECKING:
    from costtui.store.db import Store

BLOCKED_PREFIX = "blocked by rule "
"""How the proxy words a refusal in an event's error (``blocked by rule budget:team: ...``)."""


@dataclass(frozen=True)
class CachedAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    cost_usd: Decimal | None
    """What the original call cost: what each hit saves."""


@dataclass(frozen=True)
class ProxyCallRow:
    """One proxied call as the Proxy screen's log shows it."""

    row_id: int
    ts: datetime
    provider: str
    model: str
    operation: str
    status: str
    status_code: int | None
    latency_ms: int | None
    ttft_ms: int | None
    tokens: int
    cost_usd: Decimal | None
    cache_hit: bool
    saved_usd: Decimal | None
    key_fp: str | None
    app: str | None
    error: str | None
    flags: list[str]


@dataclass(frozen=True)
class ProxySummary:
    requests: int = 0
    errors: int = 0
    blocked: int = 0
    cache_hits: int = 0
    cost_usd: Decimal = Decimal(0)
    saved_usd: Decimal = Decimal(0)
    tokens: int = 0

    @property
    def hit_rate(self) -> float:
        return self.cache_hits / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class KeyFigures:
    key_fp: str
    requests: int
    tokens: int
    cost_usd: Decimal
    ok: int
    p50_ms: int | None
    p95_ms: int | None

    @property
    def success_rate(self) -> float:
        return self.ok / self.requests if self.requests else 0.0


_TOKENS_SQL = "input_tokens + cache_read_tokens + cache_write_tokens + output_tokens"


class ProxyStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ response cache

    def cache_get(self, cache_key: str, now: datetime) -> CachedAnswer | None:
        rows = self.store.query(
            "SELECT status, headers, body, cost_nusd FROM proxy_cache WHERE cache_key = ? AND expires_at > ?",
            [cache_key, ts_to_us(now)],
        )
        if not rows:
            return None
        r = rows[0]
        cost = r["cost_nusd"]
        return CachedAnswer(
            r["status"], json.loads(r["headers"]), bytes(r["body"]), None if cost is None else from_nusd(cost)
        )

    def cache_put(
        self,
        cache_key: str,
        *,
        provider: str,
        model: str,
        answer: CachedAnswer,
        now: datetime,
        ttl_seconds: int,
        max_bytes: int,
    ) -> None:
        """Keep an answer; past ``max_bytes`` the oldest go first (and every expired one)."""
        now_us = ts_to_us(now)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO proxy_cache (cache_key, provider, model, status, headers, body, cost_nusd,"
                " created_at, expires_at, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    cache_key,
                    provider,
                    model,
                    answer.status,
                    json.dumps(answer.headers),
                    answer.body,
                    to_nusd(answer.cost_usd),
                    now_us,
                    now_us + ttl_seconds * 1_000_000,
                    len(answer.body),
                ),
            )
            conn.execute("DELETE FROM proxy_cache WHERE expires_at <= ?", (now_us,))
            total = int(conn.execute("SELECT COALESCE(SUM(size), 0) FROM proxy_cache").fetchone()[0])
            if total > max_bytes:
                excess = total - max_bytes
                freed = 0
                doomed = []
                for key, size in conn.execute("SELECT cache_key, size FROM proxy_cache ORDER BY created_at"):
                    doomed.append(key)
                    freed += size
                    if freed >= excess:
                        break
                conn.executemany("DELETE FROM proxy_cache WHERE cache_key = ?", [(k,) for k in doomed])

    def cache_stats(self) -> tuple[int, int]:
        """Entries and bytes held now."""
        r = self.store.query("SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS size FROM proxy_cache")[0]
        return int(r["n"]), int(r["size"])

    def cache_clear(self) -> int:
        with self.store.transaction() as conn:
            return conn.execute("DELETE FROM proxy_cache").rowcount

    # ------------------------------------------------------------------ bodies

    def put_bodies(self, items: list[tuple[str, datetime, str | None, str | None]], keep_days: int) -> None:
        """Store (event id, time, request, response) rows and drop those past ``keep_days``."""
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO proxy_bodies (event_id, ts, request, response) VALUES (?, ?, ?, ?)",
                [(eid, ts_to_us(ts), req, resp) for eid, ts, req, resp in items],
            )
            if items:
                newest = max(ts_to_us(ts) for _, ts, _, _ in items)
                conn.execute("DELETE FROM proxy_bodies WHERE ts < ?", (newest - keep_days * 86_400_000_000,))

    def bodies(self, event_id: str) -> tuple[str | None, str | None] | None:
        rows = self.store.query("SELECT request, response FROM proxy_bodies WHERE event_id = ?", [event_id])
        return (rows[0]["request"], rows[0]["response"]) if rows else None

    # ------------------------------------------------------------------ the Proxy screen

    def recent(self, limit: int = 200, *, blocked_only: bool = False) -> list[ProxyCallRow]:
        where = "source = 'proxy'" + (" AND error LIKE 'blocked by rule %'" if blocked_only else "")
        rows = self.store.query(
            f"SELECT id, ts, provider, model, operation, status, status_code, latency_ms, ttft_ms,"
            f" {_TOKENS_SQL} AS tokens, cost_nusd, cache_hit, saved_nusd, api_key_fp, app, error, flags"
            f" FROM events WHERE {where} ORDER BY ts DESC, id DESC LIMIT ?",
            [limit],
        )
        return [_call_row(r) for r in rows]

    def summary(self, since: datetime) -> ProxySummary:
        r = self.store.query(
            f"SELECT COUNT(*) AS requests, SUM(status = 'error') AS errors,"
            f" SUM(error LIKE 'blocked by rule %') AS blocked, SUM(cache_hit) AS hits,"
            f" COALESCE(SUM(cost_nusd), 0) AS cost, COALESCE(SUM(saved_nusd), 0) AS saved,"
            f" COALESCE(SUM({_TOKENS_SQL}), 0) AS tokens"
            f" FROM events WHERE source = 'proxy' AND ts >= ?",
            [ts_to_us(since)],
        )[0]
        return ProxySummary(
            requests=int(r["requests"] or 0),
            errors=int(r["errors"] or 0),
            blocked=int(r["blocked"] or 0),
            cache_hits=int(r["hits"] or 0),
            cost_usd=from_nusd(r["cost"]),
            saved_usd=from_nusd(r["saved"]),
            tokens=int(r["tokens"]),
        )

    def per_key(self, since: datetime) -> list[KeyFigures]:
        since_us = ts_to_us(since)
        rows = self.store.query(
            f"SELECT api_key_fp AS fp, COUNT(*) AS n, COALESCE(SUM({_TOKENS_SQL}), 0) AS tokens,"
            f" COALESCE(SUM(cost_nusd), 0) AS cost, SUM(status = 'ok') AS ok, COUNT(latency_ms) AS timed"
            f" FROM events WHERE source = 'proxy' AND ts >= ? AND api_key_fp IS NOT NULL"
            f" GROUP BY api_key_fp ORDER BY cost DESC, n DESC",
            [since_us],
        )
        out = []
        for r in rows:
            p50, p95 = (self._latency_at(r["fp"], since_us, r["timed"], q) for q in (0.5, 0.95))
            out.append(
                KeyFigures(r["fp"], int(r["n"]), int(r["tokens"]), from_nusd(r["cost"]), int(r["ok"] or 0), p50, p95)
            )
        return out

    def _latency_at(self, fp: str, since_us: int, count: int, q: float) -> int | None:
        """The ``q`` quantile of a key's latencies (nearest rank), without loading them all."""
        if not count:
            return None
        offset = min(count - 1, max(0, round(q * (count - 1))))
        value = self.store.scalar(
            "SELECT latency_ms FROM events WHERE source = 'proxy' AND ts >= ? AND api_key_fp = ?"
            " AND latency_ms IS NOT NULL ORDER BY latency_ms LIMIT 1 OFFSET ?",
            [since_us, fp, offset],
        )
        return None if value is None else int(value)


def _call_row(r: dict[str, Any]) -> ProxyCallRow:
    return ProxyCallRow(
        row_id=r["id"],
        ts=us_to_ts(r["ts"]),
        provider=r["provider"],
        model=r["model"],
        operation=r["operation"],
        status=r["status"],
        status_code=r["status_code"],
        latency_ms=r["latency_ms"],
        ttft_ms=r["ttft_ms"],
        tokens=int(r["tokens"] or 0),
        cost_usd=None if r["cost_nusd"] is None else from_nusd(r["cost_nusd"]),
        cache_hit=bool(r["cache_hit"]),
        saved_usd=None if r["saved_nusd"] is None else from_nusd(r["saved_nusd"]),
        key_fp=r["api_key_fp"],
        app=r["app"],
        error=r["error"],
        flags=json.loads(r["flags"]) if r["flags"] else [],
    )
