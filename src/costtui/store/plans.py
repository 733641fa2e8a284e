"""Plan sources without an account (their last attempt, success and error), and quota history in
one query for the Quotas screen's sparklines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from costtui.vocabulary import canonical_provider

if TYPE_CHECKING:
    from costtui.store.db import Store


@dataclass(frozen=True)
class PlanSourceHealth:
    source: str
    provider: str
    account: str
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None

    @property
    def failing(self) -> bool:
        return self.last_error is not None


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat()


def _ts(text: str | None) -> datetime | None:
    return None if not text else datetime.fromisoformat(text)


class PlanStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def mark(self, source: str, provider: str, account: str, now: datetime, error: str | None = None) -> None:
        """Record an attempt of ``source``: a success (``error`` None) or its failure in words."""
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO plan_sources (source, provider, account, last_attempt_at, last_success_at, last_error)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT (source) DO UPDATE SET provider = excluded.provider,"
                " account = excluded.account, last_attempt_at = excluded.last_attempt_at,"
                " last_success_at = COALESCE(excluded.last_success_at, plan_sources.last_success_at),"
                " last_error = excluded.last_error",
                (
                    source,
                    canonical_provider(provider),
                    account,
                    _iso(now),
                    None if error else _iso(now),
                    error[:500] if error else None,
                ),
            )

    def health(self) -> list[PlanSourceHealth]:
        rows = self.store.query("SELECT * FROM plan_sources ORDER BY source")
        return [
            PlanSourceHealth(
                r["source"],
                r["provider"],
                r["account"],
                _ts(r["last_attempt_at"]),
                _ts(r["last_success_at"]),
                r["last_error"],
            )
            for r in rows
        ]

    def used_history(self, since: datetime) -> dict[tuple[str, str, str, str], list[tuple[datetime, Decimal]]]:
        """Each plan window's used share (percent of its limit) over time since ``since``, oldest first,
        keyed by (provider, account, kind, scope). Only ``plan.*`` kinds: rate limits seen by the
        proxy change on every answer, and reading all of their history would cost the screen."""
        rows = self.store.query(
            "SELECT provider, account, kind, scope, taken_at, used, limit_value, remaining FROM quota_history"
            " WHERE taken_at >= ? AND kind LIKE 'plan.%' AND limit_value IS NOT NULL"
            " ORDER BY provider, account, kind, scope, taken_at",
            [_iso(since)],
        )
        out: dict[tuple[str, str, str, str], list[tuple[datetime, Decimal]]] = {}
        for r in rows:
            limit = Decimal(r["limit_value"])
            if limit <= 0:
                continue
            if r["used"] is not None:
                used = Decimal(r["used"])
            elif r["remaining"] is not None:
                used = limit - Decimal(r["remaining"])
            else:
                continue
            key = (r["provider"], r["account"], r["kind"], r["scope"])
            out.setdefault(key, []).append((datetime.fromisoformat(r["taken_at"]), used / limit * 100))
        return out
