"""The paths that keep views flat in the number of events give the numbers a raw scan gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from costtui.demo import demo_events
from costtui.models import EventFilter, EventSort, PriceOverride, UnpricedModel, UsageEvent
from costtui.store import Store
from costtui.store.event_rows import us_to_ts

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


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


def test_upgrade_backfills_the_unpriced_ledger_and_the_search_index(store: Store) -> None:
    from costtui.store.m010_scale import m010_scale

    store.record([ev(i) for i in range(3)] + [ev(9, model="gpt-4o-mini", provider="openai", error="quota exceeded")])
    # The database as it was before the migration: events, and none of what m010 derives.
    with store.transaction() as conn:
        for trigger in ("events_fts_insert", "events_fts_delete", "events_fts_update"):
            conn.execute(f"DROP TRIGGER {trigger}")
        conn.execute("DROP INDEX events_errors")
        for table in ("unpriced", "events_fts"):
            conn.execute(f"DROP TABLE {table}")
        m010_scale(conn)
    assert [(u.model, u.events, u.tokens) for u in store.unpriced_models()] == [("mystery-9000", 3, 3300)]
    assert [e.event_id for e in store.events_page(EventFilter(search="QUOTA exc"))] == ["e9"]
    assert store.count_events(EventFilter(search="stery-90")) == 3


def search_by_scan(store: Store, needle: str) -> list[str]:
    """Event ids whose text fields contain ``needle`` (LIKE, as search always meant), newest first."""
    like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    fields = ("model", "provider", "app", "user", "team", "project", "error", "event_id", "tags")
    rows = store.query(
        "SELECT event_id FROM events WHERE "
        + " OR ".join(f"{f} LIKE ? ESCAPE '\\'" for f in fields)
        + " ORDER BY ts DESC, id DESC",
        [like] * len(fields),
    )
    return [r["event_id"] for r in rows]


def search_ids(store: Store, needle: str) -> list[str]:
    flt = EventFilter(search=needle)
    ids = [e.event_id for e in store.events_page(flt, limit=100_000)]
    assert store.count_events(flt) == len(ids) == store.event_totals(flt).events
    return ids


NEEDLES = [
    "sonnet",
    "CLAUDE-SON",
    "laude",
    "rate_limit",
    "100%",
    "ana",
    "demo-3-2026111",
    "e1",
    "o",
    'x"y',
    "nothing here",
    "staging",
]


def test_search_through_the_index_finds_what_a_scan_finds(store: Store) -> None:
    store.record(list(demo_events(30, now=T0, seed=3, per_day=30)))
    store.record([ev(1, error='bad "quote" 100% sure', app='x"y'), ev(2, user="ana_b", tags=["rate_limit"])])
    for needle in NEEDLES:
        assert search_ids(store, needle) == search_by_scan(store, needle), needle
    assert search_ids(store, "100%") == ["e1"]
    # A time window with a search: whichever path its size picks, the same rows.
    window = EventFilter(start=T0 - timedelta(days=3), end=T0 - timedelta(days=1), search="son")
    in_window = [e.event_id for e in store.events_page(window, limit=10_000)]
    assert in_window and in_window == [
        i
        for i, e in ((e.event_id, e) for e in store.events_page(EventFilter(search="son"), limit=10_000))
        if window.start <= e.ts < window.end  # type: ignore[operator]
    ]
    assert store.count_events(window) == len(in_window)

    # Retention and a change of a text field keep the index in step.
    store.prune(10, now=T0)
    with store.transaction() as conn:
        conn.execute("UPDATE events SET app = 'renamed-bot' WHERE event_id = 'e2'")
    for needle in [*NEEDLES, "renamed"]:
        assert search_ids(store, needle) == search_by_scan(store, needle), needle
    assert store.scalar('SELECT COUNT(*) FROM events_fts WHERE events_fts MATCH \'"ame" AND "d-b"\'') == 1
    store.conn.execute("INSERT INTO events_fts (events_fts, rank) VALUES ('integrity-check', 1)")

    store.reset()
    assert search_ids(store, "sonnet") == []
    store.record([ev(3, model="claude-sonnet-4-5", provider="anthropic")])
    assert search_ids(store, "sonnet") == ["e3"]
    store.conn.execute("INSERT INTO events_fts (events_fts, rank) VALUES ('integrity-check', 1)")


def test_a_common_needle_walks_the_newest_events_and_agrees(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from costtui.store import db

    store.record(list(demo_events(10, now=T0, seed=5, per_day=40)))
    through_index = search_ids(store, "gpt")
    monkeypatch.setattr(db, "candidate_limit", lambda events, page=100: 1)  # every needle is "common"
    assert [e.event_id for e in store.events_page(EventFilter(search="gpt"), limit=100_000)] == through_index
    assert through_index == search_by_scan(store, "gpt")


class Stop(KeyboardInterrupt):
    """Ctrl-C, pressed from a progress callback at a slice boundary."""


def stop_after(calls: int):  # type: ignore[no-untyped-def]
    seen = []

    def progress(*args: object) -> None:
        seen.append(args)
        if len(seen) >= calls:
            raise Stop

    return progress, seen


def raw_totals(store: Store) -> tuple[int, int, int]:
    row = store.query(
        "SELECT COUNT(*) AS n, COALESCE(SUM(cost_nusd), 0) AS c, SUM(cost_nusd IS NULL) AS u FROM events"
    )[0]
    return row["n"], row["c"], row["u"] or 0


def test_prune_interrupted_at_a_slice_boundary_keeps_totals_and_finishes_when_run_again(store: Store) -> None:
    store.record(list(demo_events(40, now=T0, seed=9, per_day=30)))
    store.record([ev(i, ts=T0 - timedelta(days=i)) for i in range(40)])
    before = store.totals()
    progress, seen = stop_after(2)
    with pytest.raises(Stop):
        store.prune(10, now=T0, progress=progress, slice_rows=100)
    assert seen[0][0] <= 100 and seen[1][0] <= 200  # two slices committed, then the interruption
    # Consistent: the Dashboard's totals unchanged, the count equals the rows left, the ledger
    # and the search index agree with the rows.
    assert store.totals() == before
    assert store.count_events() == raw_totals(store)[0] == before.events - seen[1][0]
    assert store.unpriced_models() == unpriced_by_scan(store)
    store.conn.execute("INSERT INTO events_fts (events_fts, rank) VALUES ('integrity-check', 1)")

    progress, seen = stop_after(10_000)
    store.prune(10, now=T0, progress=progress, slice_rows=100)
    assert seen[-1][0] == seen[-1][1]  # the last report says all of them
    oldest = store.events_page(limit=1, sort=EventSort(descending=False))[0]
    assert oldest.ts >= datetime(2026, 11, 11, tzinfo=UTC)
    assert store.totals() == before and store.unpriced_models() == unpriced_by_scan(store)


def test_recost_interrupted_between_days_keeps_the_rollups_equal_to_the_events(store: Store) -> None:
    store.record([ev(i, ts=T0 - timedelta(days=i)) for i in range(10)])
    store.add_price_override(PriceOverride(model="mystery-9000", input_per_mtok=Decimal(1), output_per_mtok=Decimal(2)))
    progress, seen = stop_after(4)
    with pytest.raises(Stop):
        store.recost(progress=progress)
    events, cost, unpriced = raw_totals(store)
    t = store.totals()
    assert (t.events, t.cost_usd, t.unpriced_events) == (events, Decimal(cost) / 10**9, unpriced)
    assert 0 < unpriced < 10  # some days re-priced, the rest not yet
    assert store.unpriced_models() == unpriced_by_scan(store)
    store.recost()
    assert store.totals().unpriced_events == 0 and store.unpriced_models() == []


def test_vacuum_stopped_midway_changes_nothing(store: Store) -> None:
    store.record(list(demo_events(20, now=T0, seed=2, per_day=200)))
    before = store.totals()
    with pytest.raises(Stop):
        store.vacuum(progress=stop_after(1)[0])
    assert store.totals() == before
    assert store.scalar("PRAGMA integrity_check") == "ok"
    store.vacuum()
    assert store.totals() == before


def test_a_bulk_batch_is_indexed_exactly_and_keeps_the_trigger(store: Store) -> None:
    from costtui.store.search import BULK_ROWS

    store.record([ev(i, model="small-first") for i in range(3)])
    big = [ev(i, model=f"bulk-model-{i % 7}", project=f"proj-{i % 13}") for i in range(2, BULK_ROWS + 50)]
    result = store.record(big)
    assert result.duplicates == 1  # e2 was stored already: not indexed twice
    store.conn.execute("INSERT INTO events_fts (events_fts, rank) VALUES ('integrity-check', 1)")
    for needle in ["bulk-model-3", "proj-12", "small", "e51"]:
        assert search_ids(store, needle) == search_by_scan(store, needle), needle

    # A bulk batch that fails rolls back whole: the trigger is back, later small writes are indexed.
    def fail(conn: object) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        store.record([ev(10_000 + i) for i in range(BULK_ROWS)], also=fail)
    store.record([ev(99_999, model="after-the-failure")])
    assert search_ids(store, "after-the-failure") == ["e99999"]
    store.conn.execute("INSERT INTO events_fts (events_fts, rank) VALUES ('integrity-check', 1)")
