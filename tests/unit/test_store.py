from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from costtui.models import EVENT_SORT_COLUMNS, EventFilter, EventSort, PriceOverride, StoredEvent, UsageEvent
from costtui.store import Store
from costtui.store.db import _SORT_KEYS
from costtui.store.migrations import MIGRATIONS, migrate

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def ev(i: int, **kw: object) -> UsageEvent:
    data: dict[str, object] = {
        "event_id": f"e{i}",
        "ts": T0 - timedelta(minutes=i),
        "provider": "openai",
        "model": "gpt-4o-mini",
        "input_tokens": 1000,
        "output_tokens": 100,
    }
    data.update(kw)
    return UsageEvent(**data)  # type: ignore[arg-type]


@pytest.fixture
def store(db_path: Path) -> Store:
    return Store(db_path)


def test_same_event_twice_is_stored_once(store: Store) -> None:
    first = store.record([ev(1), ev(2), ev(1)])
    assert (first.accepted, first.duplicates, first.duplicate_ids) == (2, 1, ["e1"])
    again = store.record([ev(1), ev(2)])
    assert (again.accepted, again.duplicates) == (0, 2)
    assert store.count_events() == 2
    assert store.totals().events == 2


def test_totals_are_exact_decimals(store: Store) -> None:
    store.record([ev(i) for i in range(1000)])
    t = store.totals()
    # gpt-4o-mini: 1000 * 0.15/1M + 100 * 0.6/1M = 0.00021 per event, exactly.
    assert t.cost_usd == Decimal("0.21")
    assert isinstance(t.cost_usd, Decimal)
    assert t.input_tokens == 1_000_000 and t.output_tokens == 100_000


def test_unpriced_events_are_listed_and_not_counted_as_zero(store: Store) -> None:
    store.record([ev(1), ev(2, model="mystery-9000", provider="acme")])
    assert store.totals().unpriced_events == 1
    [u] = store.unpriced_models()
    assert (u.provider, u.model, u.events, u.tokens) == ("acme", "mystery-9000", 1, 1100)
    page = store.events_page(EventFilter(model="mystery-9000"))
    assert page[0].cost_usd is None and page[0].unpriced


def test_queries_by_day_and_dimension(store: Store) -> None:
    store.record(
        [
            ev(1, app="bot", user="ana"),
            ev(2, app="bot", user="ben", ts=T0 - timedelta(days=2)),
            ev(3, app="api", provider="anthropic", model="claude-haiku-4-5"),
            ev(4, status="error", error="boom", input_tokens=0, output_tokens=0),
        ]
    )
    days = store.by_day(date(2026, 11, 17), date(2026, 11, 20))
    assert [d.day for d in days] == [date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)]
    assert [d.events for d in days] == [0, 1, 0, 3]
    providers = {g.name: g for g in store.by_dimension("provider")}
    assert providers["openai"].events == 3 and providers["anthropic"].events == 1
    assert providers["anthropic"].cost_usd > providers["openai"].cost_usd  # most expensive first
    assert store.by_dimension("provider")[0].name == "anthropic"
    assert {g.name: g.events for g in store.by_dimension("app")} == {"bot": 2, "api": 1, "": 1}
    assert store.totals(date(2026, 11, 20), date(2026, 11, 20), provider="openai").events == 2
    assert store.totals().errors == 1
    assert store.distinct("user") == ["ana", "ben"]
    assert store.distinct("provider") == ["anthropic", "openai"]
    # Mixed questions (one app's cost per model) come from the raw events.
    per_model_for_bot = store.by_dimension("model", app="bot")
    assert [(g.name, g.events) for g in per_model_for_bot] == [("gpt-4o-mini", 2)]
    assert store.totals(date(2026, 11, 20), date(2026, 11, 20), app="bot").events == 1
    assert store.totals(provider="openai", app="bot").events == 2
    assert [d.events for d in store.by_day(date(2026, 11, 18), date(2026, 11, 20), app="bot", provider="openai")] == [
        1,
        0,
        1,
    ]
    with pytest.raises(ValueError):
        store.by_dimension("nonsense; DROP TABLE events")


def test_events_page_keyset_paging_and_filters(store: Store) -> None:
    store.record([ev(i, app="bot" if i % 2 else "api", error="quota exceeded" if i == 7 else None) for i in range(250)])
    first = store.events_page(limit=100)
    assert len(first) == 100 and first[0].event_id == "e0"
    last = first[-1]
    second = store.events_page(before=last, limit=100)
    third = store.events_page(before=second[-1], limit=100)
    ids = [e.event_id for e in first + second + third]
    assert len(ids) == 250 == len(set(ids))
    assert [e.ts for e in first + second + third] == sorted((e.ts for e in first + second + third), reverse=True)
    bots = store.events_page(EventFilter(app="bot"), limit=500)
    assert len(bots) == 125 and all(e.app == "bot" for e in bots)
    assert [e.event_id for e in store.events_page(EventFilter(search="quota"))] == ["e7"]
    assert store.events_page(EventFilter(search="100%")) == []  # LIKE wildcards are escaped
    window = EventFilter(start=T0 - timedelta(minutes=10), end=T0 - timedelta(minutes=5))
    assert [e.event_id for e in store.events_page(window)] == ["e6", "e7", "e8", "e9", "e10"]
    assert store.count_events(EventFilter(app="api")) == 125
    got = store.get_event(first[0].row_id)
    assert got is not None and got.event_id == "e0" and got.cost_usd == Decimal("0.00021")


def _all_pages(store: Store, sort: EventSort, flt: EventFilter | None = None, size: int = 7) -> list[StoredEvent]:
    out: list[StoredEvent] = []
    while True:
        page = store.events_page(flt, before=out[-1] if out else None, limit=size, sort=sort)
        out += page
        if len(page) < size:
            return out


@pytest.mark.parametrize("column", EVENT_SORT_COLUMNS)
@pytest.mark.parametrize("descending", [True, False])
def test_events_sorted_by_any_column_page_by_page(store: Store, column: str, descending: bool) -> None:
    # Many ties (3 apps, 4 token sizes, some unpriced and errors): keyset pages must neither skip nor repeat.
    store.record(
        [
            ev(
                i,
                app=("api", "bot", None)[i % 3],
                user=f"u{i % 5}",
                model="no-such-model" if i % 11 == 0 else "gpt-4o-mini",
                input_tokens=1000 * (i % 4),
                output_tokens=10 * (i % 6),
                latency_ms=None if i % 7 == 0 else 100 + i % 9,
                status="error" if i % 13 == 0 else "ok",
            )
            for i in range(60)
        ]
    )
    sort = EventSort(column=column, descending=descending)  # type: ignore[arg-type]
    got = _all_pages(store, sort)
    assert len(got) == 60 == len({e.row_id for e in got})
    key = _SORT_KEYS[column][1]
    values = [(key(e), e.row_id) for e in got]
    assert values == sorted(values, reverse=descending)


def test_events_page_starts_at_a_time(store: Store) -> None:
    store.record([ev(i) for i in range(20)])
    at = T0 - timedelta(minutes=5)
    newest_first = store.events_page(at=at, limit=3)
    assert [e.event_id for e in newest_first] == ["e6", "e7", "e8"]
    oldest_first = store.events_page(at=at, limit=3, sort=EventSort(descending=False))
    assert [e.event_id for e in oldest_first] == ["e5", "e4", "e3"]
    with pytest.raises(ValueError):
        store.events_page(at=at, sort=EventSort(column="cost"))


def test_event_totals_cover_every_filtered_row(store: Store) -> None:
    store.record([ev(i, app="bot" if i % 2 else "api") for i in range(250)])
    bots = store.event_totals(EventFilter(app="bot"))
    assert bots.events == 125
    assert bots.cost_usd == Decimal("0.00021") * 125
    assert bots.total_tokens == 125 * 1100
    everything = store.event_totals()
    assert (everything.events, everything.cost_usd) == (250, Decimal("0.0525"))
    assert store.event_totals(EventFilter(search="nothing-matches")).events == 0


def test_migration_from_version_1_keeps_data(db_path: Path) -> None:
    conn = sqlite3.connect(str(db_path), isolation_level=None)
    assert migrate(conn, upto=1) == 1
    conn.execute(
        "INSERT INTO events (event_id, ts, provider, model, operation, source, input_tokens, output_tokens,"
        " cost_nusd, cost_source) VALUES ('old-1', ?, 'openai', 'gpt-4o', 'chat', 'ingest', 10, 5, 12345, 'priced')",
        (int(T0.timestamp() * 1_000_000),),
    )
    conn.close()
    store = Store(db_path)
    assert store.schema_version() == len(MIGRATIONS)
    assert store.count_events() == 1
    t = store.totals()
    assert (t.events, t.cost_usd, t.input_tokens) == (1, Decimal("0.000012345"), 10)
    assert store.totals(date(2026, 11, 20), date(2026, 11, 20)).events == 1  # the rollup was built
    # Opening again runs nothing twice.
    assert Store(db_path).schema_version() == len(MIGRATIONS)


def test_prune_keeps_daily_totals(store: Store) -> None:
    store.record([ev(1), ev(2, ts=T0 - timedelta(days=40)), ev(3, ts=T0 - timedelta(days=41))])
    before = store.totals()
    removed = store.prune(30, now=T0)
    assert removed == 2
    assert store.events_page(limit=10)[0].event_id == "e1" and len(store.events_page(limit=10)) == 1
    assert store.totals() == before  # the dashboard's numbers do not change
    assert store.count_events() == 1


def test_recost_after_override_prints_difference(store: Store) -> None:
    store.record([ev(1), ev(2, model="mystery-9000", provider="acme")])
    store.add_price_override(
        PriceOverride(model="mystery-9000", input_per_mtok=Decimal(10), output_per_mtok=Decimal(20))
    )
    dry = store.recost(dry_run=True)
    assert dry.newly_priced == 1 and dry.difference == Decimal("0.012")  # 1000*10/1M + 100*20/1M
    assert store.totals().unpriced_events == 1  # dry run changed nothing
    result = store.recost()
    assert (result.before, result.after) == (Decimal("0.00021"), Decimal("0.01221"))
    assert result.by_model == [("acme", "mystery-9000", Decimal(0), Decimal("0.012"))]
    t = store.totals()
    assert t.unpriced_events == 0 and t.cost_usd == Decimal("0.01221")
    assert store.unpriced_models() == []


def test_backup_is_a_consistent_copy(store: Store, tmp_path: Path) -> None:
    store.record([ev(i) for i in range(10)])
    out = store.backup(tmp_path / "b" / "copy.db")
    assert Store(out).totals().events == 10
    with pytest.raises(Exception, match="database itself"):
        store.backup(store.path)


def test_reset_deletes_usage_but_keeps_overrides(store: Store) -> None:
    store.record([ev(1)])
    store.add_price_override(PriceOverride(model="m", input_per_mtok=Decimal(1), output_per_mtok=Decimal(1)))
    store.reset()
    assert store.totals().events == 0 and store.count_events() == 0
    assert len(store.price_overrides()) == 1


def test_data_version_sees_other_connections(db_path: Path) -> None:
    reader = Store(db_path)
    writer = Store(db_path)
    v = reader.data_version()
    writer.record([ev(1)])
    assert reader.data_version() != v
    assert reader.totals().events == 1


def test_failed_batch_writes_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store.record([ev(1)])
    from costtui.store import rollup

    def explode(self: object, conn: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(rollup.RollupBatch, "write", explode)
    with pytest.raises(RuntimeError):
        store.record([ev(2), ev(3)])
    assert store.count_events(EventFilter(search="e")) == 1  # nothing half-written
    assert store.totals().events == 1


def test_recost_keeps_totals_of_pruned_events(store: Store) -> None:
    """A day whose older events were pruned keeps them in its totals when re-priced."""
    day = datetime(2026, 9, 1, 12, tzinfo=UTC)
    store.record([ev(1, ts=day, model="mystery-9000", provider="acme"), ev(2, ts=day)])
    store.prune(30, now=T0)
    assert store.totals().events == 2 and store.count_events() == 0
    # A late event for that day arrives after pruning (a backfill, an import).
    store.record([ev(3, ts=day + timedelta(hours=1), model="mystery-9000", provider="acme")])
    store.add_price_override(
        PriceOverride(model="mystery-9000", input_per_mtok=Decimal(10), output_per_mtok=Decimal(20))
    )
    result = store.recost()
    assert result.events == 1 and result.newly_priced == 1
    t = store.totals()
    assert t.events == 3  # not 1: the pruned events still count
    assert t.unpriced_events == 1  # the pruned unpriced event stays unpriced; the new one is priced
    assert t.cost_usd == Decimal("0.00021") + Decimal("0.012")
    assert store.totals(app="").events == 3  # the dimension rollup agrees
