"""The event record is defined once (UsageEvent): the ingest fields, the stored columns, the insert
rows and the rollup sums all follow it, so a field added to the model cannot be silently dropped
by one of them."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from costtui.listener import ingest
from costtui.models import (
    CLIENT_FIELDS,
    EVENT_FIELDS,
    MAX_NAME,
    MAX_TAGS,
    SERVER_FIELDS,
    TOKEN_FIELDS,
    PriceOverride,
    UsageEvent,
)
from costtui.pricing import Pricer, quantize
from costtui.store import Store
from costtui.store.event_rows import EVENT_COLUMNS, PRICED, STORED_FIELDS, event_row
from costtui.store.rollup import SUM_COLUMNS, rebuild_daily

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 21, tzinfo=UTC)


def full_event(i: int, **kw: Any) -> UsageEvent:
    """An event with every field set to something other than its default."""
    data: dict[str, Any] = {
        "event_id": f"full-{i}",
        "ts": T0 - timedelta(hours=i * 7),
        "provider": ["openai", "anthropic"][i % 2],
        "model": ["gpt-4o-mini", "claude-haiku-4-5"][i % 2],
        "operation": "chat",
        "source": ["ingest", "otlp", "proxy"][i % 3],
        "app": f"app{i % 3}",
        "api_key_fp": f"sk-…{i % 4:04d}",
        "user": f"user{i % 5}",
        "team": f"team{i % 2}",
        "project": None if i % 4 == 0 else f"p{i % 3}",
        "tags": ["a", f"b{i % 2}"],
        "input_tokens": 1000 + i,
        "cache_read_tokens": 100 * (i % 3),
        "cache_write_tokens": 50 * (i % 2),
        "cache_write_1h_tokens": 20 * (i % 2),
        "output_tokens": 300 + i,
        "reasoning_tokens": 10 * (i % 4),
        "latency_ms": 250 + i,
        "status": "error" if i % 5 == 0 else "ok",
        "status_code": 500 if i % 5 == 0 else 200,
        "error": "boom" if i % 5 == 0 else None,
        "cache_hit": i % 2 == 0,
    }
    data.update(kw)
    return UsageEvent(**data)


def test_ingest_accepts_exactly_the_models_client_fields_plus_its_own_shapes() -> None:
    assert set(EVENT_FIELDS) == set(UsageEvent.model_fields)
    assert set(CLIENT_FIELDS) == set(EVENT_FIELDS) - set(SERVER_FIELDS)
    assert set(CLIENT_FIELDS) | set(ingest.INGEST_ONLY_FIELDS) == ingest.KNOWN_FIELDS
    assert set(TOKEN_FIELDS) == {n for n in EVENT_FIELDS if n.endswith("_tokens")}
    assert set(SERVER_FIELDS) == {
        *("source", "api_key_fp", "cost_source", "price_version", "unpriced"),
        # measured by the proxy
        *("ttft_ms", "retries", "flags", "saved_usd"),
    }


@pytest.mark.parametrize("name", SERVER_FIELDS)
def test_every_server_field_is_refused_from_a_client(name: str) -> None:
    with pytest.raises(ingest.EventInvalid, match=f"set by the server.*{name}"):
        ingest.parse_event({"model": "gpt-4o", name: "x"}, now=NOW)


def test_every_client_field_sent_reaches_the_event() -> None:
    body = {
        "event_id": "abc",
        "ts": "2026-11-20T10:00:00+02:00",
        "provider": "OpenAI ",
        "model": "gpt-4o-mini",
        "operation": "embeddings",
        "app": "myapp",
        "user": "u",
        "team": "t",
        "project": "p",
        "session": "s-1",
        "tags": ["x", "y"],
        "input_tokens": 10,
        "cache_read_tokens": 5,
        "cache_write_tokens": 4,
        "cache_write_1h_tokens": 1,
        "output_tokens": 7,
        "reasoning_tokens": 2,
        "latency_ms": 12,
        "status": "error",
        "status_code": 500,
        "error": "upstream",
        "cache_hit": True,
        "cost_usd": "0.5",
    }
    assert set(body) == set(CLIENT_FIELDS)  # this test covers every client field
    event = ingest.parse_event(body, now=NOW)
    got = event.model_dump()
    for name, value in body.items():
        if name == "ts":
            assert event.ts == datetime(2026, 11, 20, 8, tzinfo=UTC) and event.ts.tzinfo is UTC
        elif name == "provider":
            assert event.provider == "openai"
        elif name == "cost_usd":
            assert event.cost_usd == Decimal("0.5") and event.cost_source == "client"
        else:
            assert got[name] == value, name


def test_every_model_field_is_a_column_and_every_column_is_filled(db_path: Path) -> None:
    store = Store(db_path)
    table = [r["name"] for r in store.query("PRAGMA table_info(events)")]
    assert set(STORED_FIELDS) | set(PRICED) == set(EVENT_FIELDS)
    assert set(EVENT_COLUMNS) == set(table) - {"id"}
    assert len(set(EVENT_COLUMNS)) == len(EVENT_COLUMNS)
    row = event_row(full_event(1), 123, "priced", 7)
    assert len(row) == len(EVENT_COLUMNS)


def test_an_event_reads_back_as_it_was_stored(db_path: Path) -> None:
    store = Store(db_path)
    events = [full_event(i) for i in range(6)] + [full_event(6, cost_usd=Decimal("0.25"), cost_source="client")]
    assert store.record(events).accepted == len(events)
    stored = {e.event_id: e for e in store.events_page(limit=100)}
    for sent in events:
        back = stored[sent.event_id]
        for name in STORED_FIELDS:
            assert getattr(back, name) == getattr(sent, name), name
        expected = store.pricer.price(sent)
        assert (back.cost_usd, back.cost_source, back.price_version) == (
            expected.cost_usd,
            expected.source,
            expected.version,
        )
        assert back.unpriced is (expected.cost_usd is None)


def test_incremental_rollups_equal_a_rebuild_from_the_events(db_path: Path) -> None:
    """The sums each write adds (built from the rows) agree with the same sums in SQL."""
    store = Store(db_path)
    rng = random.Random(7)
    events = [full_event(i, model=rng.choice(["gpt-4o-mini", "mystery-model"])) for i in range(60)]
    for start in range(0, 60, 13):  # several batches: rows are added to existing rollup rows
        store.record(events[start : start + 13])
    sums = ", ".join(SUM_COLUMNS)

    def snapshot() -> tuple[list[Any], list[Any]]:
        return (
            [
                tuple(r.values())
                for r in store.query(f"SELECT day, provider, model, {sums} FROM daily ORDER BY 1, 2, 3")
            ],
            [tuple(r.values()) for r in store.query(f"SELECT day, dim, value, {sums} FROM daily_dim ORDER BY 1, 2, 3")],
        )

    incremental = snapshot()
    assert any(r[SUM_COLUMNS.index("unpriced_events") + 3] for r in incremental[0])
    assert any(r[SUM_COLUMNS.index("errors") + 3] for r in incremental[0])
    with store.transaction() as conn:
        rebuild_daily(conn, None)
    assert snapshot() == incremental


def test_limits_are_the_models() -> None:
    with pytest.raises(ingest.EventInvalid, match="model"):
        ingest.parse_event({"model": "m" * (MAX_NAME + 1), "input_tokens": 1}, now=NOW)
    ingest.parse_event({"model": "m" * MAX_NAME, "input_tokens": 1}, now=NOW)
    with pytest.raises(ingest.EventInvalid, match="tags"):
        ingest.parse_event({"model": "m", "tags": [str(i) for i in range(MAX_TAGS + 1)]}, now=NOW)


def test_cached_price_plans_match_genai_prices_and_follow_overrides() -> None:
    from genai_prices import Usage, calc_price

    pricer = Pricer()  # one pricer: every event after the first of a model is priced from its plan
    rng = random.Random(3)
    for model, provider in [("claude-sonnet-4-5", "anthropic"), ("gpt-4o-mini", "openai")]:
        for _ in range(40):
            total = rng.choice([rng.randint(0, 5000), rng.randint(150_000, 400_000)])
            read = rng.randint(0, total // 2)
            write = rng.randint(0, (total - read) // 2)
            write_1h = rng.randint(0, write)
            out = rng.randint(0, 5000)
            event = UsageEvent(
                ts=T0,
                provider=provider,
                model=model,
                input_tokens=total - read - write,
                cache_read_tokens=read,
                cache_write_tokens=write,
                cache_write_1h_tokens=write_1h,
                output_tokens=out,
            )
            kwargs = {"input_tokens": total, "output_tokens": out, "cache_read_tokens": read}
            kwargs |= {"cache_write_tokens": write}
            if write_1h:
                kwargs |= {"cache_write_1h_tokens": write_1h, "cache_write_5m_tokens": write - write_1h}
            slow = calc_price(Usage(**kwargs), model, provider_id=provider, genai_request_timestamp=T0).total_price
            assert pricer.price(event).cost_usd == quantize(Decimal(slow)), (model, kwargs)

    event = UsageEvent(ts=T0, provider="openai", model="gpt-4o-mini", input_tokens=10**6)
    assert pricer.price(event).source == "priced"
    pricer.set_overrides([PriceOverride(id=9, model="gpt-4o-mini", input_per_mtok=Decimal(1), output_per_mtok=0)])
    assert pricer.price(event) == (Decimal(1), "override#9@always", "override")
    later = PriceOverride(
        id=10, model="gpt-4o-mini", input_per_mtok=Decimal(2), output_per_mtok=0, effective_from=date(2026, 11, 20)
    )
    pricer.set_overrides([later])
    assert pricer.price(event).cost_usd == 2
    assert pricer.price(event.model_copy(update={"ts": T0 - timedelta(days=1)})).source == "priced"


@pytest.mark.parametrize("size", [1, 4, 5, 26, 523, 1000])
def test_batches_of_any_size_are_stored_once(db_path: Path, size: int) -> None:
    store = Store(db_path)
    events = [full_event(i, event_id=f"n{i}") for i in range(size)]
    first = store.record(events + events[:3])  # repeats inside the batch are duplicates
    assert (first.accepted, first.duplicates) == (size, min(3, size))
    assert store.count_events() == size
    again = store.record(events)
    assert (again.accepted, again.duplicates) == (0, size)
    stored = {e.event_id for e in store.events_page(limit=2000)}
    assert stored == {e.event_id for e in events}
