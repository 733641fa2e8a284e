"""What the Proxy screen shows: recent proxied calls, the cache's savings, refusals and per-key
figures, read from the store in one go (in a worker thread)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from costtui.store import Store
from costtui.store.proxy import BLOCKED_PREFIX, KeyFigures, ProxyCallRow, ProxySummary

WINDOW = timedelta(hours=24)
"""The summary and the per-key table cover the last day."""


@dataclass(frozen=True)
class Refusal:
    ts: datetime
    rule: str
    message: str
    model: str
    key_fp: str | None
    app: str | None


@dataclass(frozen=True)
class ProxySnapshot:
    generated_at: datetime
    since: datetime
    summary: ProxySummary
    recent: list[ProxyCallRow]
    refusals: list[Refusal]
    keys: list[KeyFigures]
    any_calls: bool
    """Whether the proxy ever recorded a call (the empty state shows otherwise)."""


def split_refusal(error: str) -> tuple[str, str]:
    """``blocked by rule budget:team: over $50`` → (``budget:team``, ``over $50``)."""
    rest = error.removeprefix(BLOCKED_PREFIX)
    rule, sep, message = rest.partition(": ")
    return (rule, message) if sep else (rest, "")


def load_proxy(store: Store, now: datetime, *, limit: int = 200) -> ProxySnapshot:
    since = now - WINDOW
    recent = store.proxy.recent(limit)
    refusals = [
        Refusal(r.ts, *split_refusal(r.error or ""), r.model, r.key_fp, r.app)
        for r in store.proxy.recent(50, blocked_only=True)
    ]
    return ProxySnapshot(
        generated_at=now,
        since=since,
        summary=store.proxy.summary(since),
        recent=recent,
        refusals=refusals,
        keys=store.proxy.per_key(since),
        any_calls=bool(recent),
    )
