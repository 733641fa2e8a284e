"""The paths that keep views flat in the number of events give the numbers a raw scan gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from costtui.demo import demo_events
from costtui.models import PriceOverride, UnpricedModel, UsageEvent
from costtui.store import Store
from costtui.store.event_rows import us_to_ts

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
M010_TABLES = ("unpriced",)


def ev(i: int, **kw: object) -> UsageEvent:
    data: dict[str, object] = {
        "event_id": f"e{i}",
        "ts": T0 - timedelta(minutes=i),
        "provider": "acme",
        "model": "mystery-9000",
        "input_tokens": 1000,
        "output_tokens": 100,
    }
    data.update(kw)
    return UsageEvent(**data)  # type: ignore[arg-type]


def unpriced_by_scan(store: Store) -> list[UnpricedModel]:
    """The unpriced ledger as the raw events say it (what the rollup must always equal)."""
    rows = store.query(
        """
        SELECT provider, model, COUNT(*) AS events,
               SUM(input_tokens + cache_read_tokens + cache_write_tokens + output_tokens) AS tokens,
               MAX(ts) AS last_ts
        FROM events WHERE cost_nusd IS NULL GROUP BY provider, model ORDER BY events DESC, provider, model
        """
    )
    return [
        UnpricedModel(
            provider=r["provider"],
            model=r["model"],
            events=r["events"],
            tokens=r["tokens"],
            last_seen=us_to_ts(r["last_ts"]),
        )
        for r in rows
    ]


@pytest.fixture
def store(db_path: Path) -> Store:
    return Store(db_path)


def test_unpriced_ledger_equals_a_raw_scan_through_writes_recost_and_prune(store: Store) -> None:
    store.record(list(demo_events(40, now=T0, seed=3, per_day=40)))
    store.record([ev(i, ts=T0 - timedelta(days=i)) for i in range(35)])
    store.record([ev(100 + i, model="other-ft", ts=T0 - timedelta(hours=i)) for i in range(5)])
    assert store.unpriced_models() == unpriced_by_scan(store)
    [first, *_] = store.unpriced_models()
    assert (first.model, first.events) == ("mystery-9000", 35)

    # Pruning drops the ledger's oldest unpriced events and keeps the rest exact.
    store.prune(20, now=T0)
    ledger = store.unpriced_models()
    assert ledger == unpriced_by_scan(store)
    assert {u.model: u.events for u in ledger}["mystery-9000"] == 20

    # A price for one model (from a date on) prices part of its events: counts, tokens and the
    # newest unpriced event follow.
    store.add_price_override(
        PriceOverride(
            model="mystery-9000",
            input_per_mtok=Decimal(1),
            output_per_mtok=Decimal(1),
            effective_from=(T0 - timedelta(days=9)).date(),
        )
    )
    store.recost()
    ledger = store.unpriced_models()
    assert ledger == unpriced_by_scan(store)
    mystery = next(u for u in ledger if u.model == "mystery-9000")
    assert mystery.events == 10 and mystery.last_seen == T0 - timedelta(days=10)

    # Priced entirely: the model leaves the ledger.
    store.add_price_override(PriceOverride(model="other-ft", input_per_mtok=Decimal(1), output_per_mtok=Decimal(1)))
    store.recost()
    assert "other-ft" not in {u.model for u in store.unpriced_models()}
    assert store.unpriced_models() == unpriced_by_scan(store)

    store.reset()
    assert store.unpriced_models() == []


def test_upgrade_backfills_the_unpriced_ledger(store: Store) -> None:
    from costtui.store.m010_scale import m010_scale

    store.record([ev(i) for i in range(3)])
    # The database as it was before the migration: events, and none of what m010 derives.
    with store.transaction() as conn:
        for table in M010_TABLES:
            conn.execute(f"DROP TABLE {table}")
        m010_scale(conn)
    assert [(u.model, u.events, u.tokens) for u in store.unpriced_models()] == [("mystery-9000", 3, 3300)]
