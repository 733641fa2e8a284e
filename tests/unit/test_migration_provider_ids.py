"""Migration 5: a database written with old provider spellings comes out under canonical ids,
with every total unchanged and rows that collide after renaming merged, not duplicated or lost."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from costtui.store import Store
from costtui.store.migrations import migrate
from costtui.store.rollup import rebuild_daily

DAY = "2026-03-02"
TS = int(datetime(2026, 3, 2, 12, tzinfo=UTC).timestamp() * 1_000_000)
NOW = "2026-03-02T12:00:00+00:00"


def _event(conn: sqlite3.Connection, event_id: str, provider: str, model: str, nusd: int | None, tokens: int) -> None:
    conn.execute(
        "INSERT INTO events (event_id, ts, provider, model, operation, source, app, input_tokens, output_tokens,"
        " cost_nusd, cost_source) VALUES (?, ?, ?, ?, 'chat', 'ingest', 'bot', ?, 10, ?, 'priced')",
        (event_id, TS, provider, model, tokens, nusd),
    )


def _billed(conn: sqlite3.Connection, provider: str, nusd: int, tokens: int, line_item: str = "") -> None:
    conn.execute(
        "INSERT INTO billed_costs (provider, account, stream, kind, day, model, line_item, cost_nusd, input_tokens,"
        " requests, quantity, updated_at) VALUES (?, 'default', 'import', 'cost', ?, 'grok-4', ?, ?, ?, 1, '1.5', ?)",
        (provider, DAY, line_item, nusd, tokens, NOW),
    )


def _old_database(path: Path) -> None:
    conn = sqlite3.connect(str(path), isolation_level=None)
    assert migrate(conn, upto=4) == 4
    conn.execute("BEGIN")
    _event(conn, "e1", "google", "gemini-2.5-flash", 1_000, 100)
    _event(conn, "e2", "gemini", "gemini-2.5-flash", 2_000, 200)
    _event(conn, "e3", "x-ai", "grok-4", 4_000, 400)
    _event(conn, "e4", "moonshotai", "kimi-k2", None, 800)  # unpriced
    _event(conn, "e5", "MoonShot", "kimi-k2", 16_000, 1600)
    _event(conn, "e6", "together", "llama-4", 32_000, 3200)  # unknown: left as it is
    rebuild_daily(conn, None)
    # Retention pruned older events of the same day and key under both spellings: only their
    # rollup rows remain, and they must be added together, not overwritten.
    conn.execute("UPDATE daily SET events = events + 5, cost_nusd = cost_nusd + 500 WHERE provider = 'google'")
    conn.execute("UPDATE daily SET events = events + 7, cost_nusd = cost_nusd + 700 WHERE provider = 'gemini'")
    # Billed rows that collide once renamed (same key) and one that does not.
    _billed(conn, "x-ai", 5_000_000_000, 10)
    _billed(conn, "xai", 2_000_000_000, 20)
    _billed(conn, "moonshotai", 1_000_000_000, 30, line_item="k")
    conn.execute(
        "INSERT INTO manual_costs (provider, account, start_day, end_day, amount, created_at, updated_at)"
        " VALUES ('google', 'default', ?, ?, '3', ?, ?)",
        (DAY, DAY, NOW, NOW),
    )
    for provider, name in (("x-ai", "default"), ("xai", "default"), ("kimi", "work")):
        conn.execute(
            "INSERT INTO accounts (provider, name, key_kind, created_at, updated_at) VALUES (?, ?, 'inference', ?, ?)",
            (provider, name, NOW, NOW),
        )
    for provider, taken in (("x-ai", NOW), ("xai", NOW), ("x_ai", "2026-03-02T13:00:00+00:00")):
        conn.execute(
            "INSERT OR IGNORE INTO quota_latest (provider, account, kind, scope, limit_value, unit, taken_at, source)"
            " VALUES (?, 'default', 'balance', '', '100', 'usd', ?, 'api')",
            (provider, taken),
        )
        conn.execute(
            "INSERT INTO quota_history (provider, account, kind, scope, taken_at, limit_value, unit)"
            " VALUES (?, 'default', 'balance', '', ?, '100', 'usd')",
            (provider, taken),
        )
    conn.execute(
        "INSERT INTO price_overrides (model, provider, input_per_mtok, output_per_mtok, created_at)"
        " VALUES ('kimi-k2', 'moonshotai', '1', '2', ?)",
        (NOW,),
    )
    conn.execute("COMMIT")
    conn.close()


def _sums(path: Path, table: str, columns: str) -> tuple[int, ...]:
    conn = sqlite3.connect(str(path))
    try:
        return tuple(conn.execute(f"SELECT {columns} FROM {table}").fetchone())
    finally:
        conn.close()


def test_old_spellings_are_renamed_and_merged(db_path: Path) -> None:
    _old_database(db_path)
    daily_cols = "SUM(events), SUM(input_tokens), SUM(output_tokens), SUM(cost_nusd), SUM(unpriced_events)"
    before_daily = _sums(db_path, "daily", daily_cols)
    before_dim = _sums(db_path, "daily_dim", daily_cols)
    before_events = _sums(db_path, "events", "COUNT(*), SUM(input_tokens), SUM(cost_nusd)")
    before_billed = _sums(db_path, "billed_costs", "SUM(cost_nusd), SUM(input_tokens), SUM(requests)")

    store = Store(db_path)  # migrates

    assert _sums(db_path, "daily", daily_cols) == before_daily
    assert _sums(db_path, "daily_dim", daily_cols) == before_dim
    assert _sums(db_path, "events", "COUNT(*), SUM(input_tokens), SUM(cost_nusd)") == before_events
    assert _sums(db_path, "billed_costs", "SUM(cost_nusd), SUM(input_tokens), SUM(requests)") == before_billed

    by_provider = {g.name: g for g in store.by_dimension("provider")}
    assert set(by_provider) == {"gemini", "xai", "moonshot", "together"}
    assert by_provider["gemini"].events == 2 + 5 + 7
    assert by_provider["gemini"].cost_usd == Decimal("0.0000042")  # 1000 + 2000 + 500 + 700 nano-dollars
    assert (by_provider["moonshot"].events, by_provider["moonshot"].unpriced_events) == (2, 1)
    # One daily row per (day, provider, model): merged, not duplicated.
    assert _sums(db_path, "daily", "COUNT(*)") == (4,)
    assert store.totals(provider="google").events == 14  # a filter in the old spelling still finds them

    (xai_line,) = store.billing.billed_lines(provider="xai", start=date(2026, 3, 2))
    assert (xai_line.cost_usd, xai_line.input_tokens, xai_line.requests, xai_line.quantity) == (
        Decimal(7),
        30,
        2,
        Decimal(3),
    )
    assert store.billing.billed_summary().by_provider == {"xai": Decimal(7), "moonshot": Decimal(1)}
    assert [m.provider for m in store.billing.list_manual_costs()] == ["gemini"]

    accounts = {(a.provider, a.name) for a in store.billing.list_accounts()}
    assert accounts == {("xai", "default"), ("xai", "default-x-ai"), ("moonshot", "work")}
    (quota,) = store.billing.latest_quotas()  # the newest of the three spellings' snapshots
    assert (quota.provider, quota.taken_at) == ("xai", datetime(2026, 3, 2, 13, tzinfo=UTC))
    assert _sums(db_path, "quota_history", "COUNT(*)") == (2,)  # two moments, one provider
    assert [o.provider for o in store.price_overrides()] == ["moonshot"]
    for table in ("events", "daily", "billed_costs", "manual_costs", "accounts", "quota_latest", "quota_history"):
        stored = {r["provider"] for r in store.query(f"SELECT DISTINCT provider FROM {table}")}
        assert stored <= {"gemini", "xai", "moonshot", "together"}, (table, stored)
    store.close()
