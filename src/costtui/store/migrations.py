"""Numbered schema migrations. Each step runs once, in its own transaction, in order.

Never edit a released step: add a new one. ``schema_version`` records what has run.
Money columns are integers in nano-dollars (1e-9 USD) so SQLite sums them exactly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]


def m001_events(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL UNIQUE,
            ts INTEGER NOT NULL,            -- microseconds since the epoch, UTC
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            operation TEXT NOT NULL,
            source TEXT NOT NULL,
            app TEXT,
            api_key_fp TEXT,
            user TEXT,
            team TEXT,
            project TEXT,
            tags TEXT,                      -- JSON list, NULL when empty
            input_tokens INTEGER NOT NULL DEFAULT 0,
            cache_read_tokens INTEGER NOT NULL DEFAULT 0,
            cache_write_tokens INTEGER NOT NULL DEFAULT 0,
            cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            reasoning_tokens INTEGER NOT NULL DEFAULT 0,
            latency_ms INTEGER,
            status TEXT NOT NULL DEFAULT 'ok',
            status_code INTEGER,
            error TEXT,
            cache_hit INTEGER NOT NULL DEFAULT 0,
            cost_nusd INTEGER,              -- NULL when unpriced
            cost_source TEXT,
            price_version_id INTEGER        -- price_versions.id: which price priced the row
        );
        CREATE INDEX events_ts ON events (ts);
        -- Price versions are long strings repeated on every row: stored once here.
        CREATE TABLE price_versions (id INTEGER PRIMARY KEY, label TEXT NOT NULL UNIQUE);
        """,
    )


def m002_rollups_and_prices(conn: sqlite3.Connection) -> None:
    """Daily rollups (what the dashboard reads, and what retention keeps) and price overrides."""
    run_script(
        conn,
        """
        CREATE TABLE daily (
            day TEXT NOT NULL,              -- YYYY-MM-DD, UTC
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            events INTEGER NOT NULL DEFAULT 0,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            cache_read_tokens INTEGER NOT NULL DEFAULT 0,
            cache_write_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            reasoning_tokens INTEGER NOT NULL DEFAULT 0,
            cost_nusd INTEGER NOT NULL DEFAULT 0,
            unpriced_events INTEGER NOT NULL DEFAULT 0,
            errors INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (day, provider, model)
        ) WITHOUT ROWID;
        CREATE TABLE daily_dim (
            day TEXT NOT NULL,
            dim TEXT NOT NULL,              -- source, app, user, team, project, api_key_fp
            value TEXT NOT NULL,            -- '' when the event had none
            events INTEGER NOT NULL DEFAULT 0,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            cache_read_tokens INTEGER NOT NULL DEFAULT 0,
            cache_write_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            reasoning_tokens INTEGER NOT NULL DEFAULT 0,
            cost_nusd INTEGER NOT NULL DEFAULT 0,
            unpriced_events INTEGER NOT NULL DEFAULT 0,
            errors INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (day, dim, value)
        ) WITHOUT ROWID;
        CREATE INDEX daily_dim_by_dim ON daily_dim (dim, value, day);
        -- The unpriced ledger reads only unpriced events: a partial index keeps that cheap.
        CREATE INDEX events_unpriced ON events (provider, model, ts) WHERE cost_nusd IS NULL;
        CREATE TABLE price_overrides (
            id INTEGER PRIMARY KEY,
            model TEXT NOT NULL,
            provider TEXT,
            input_per_mtok TEXT NOT NULL,
            output_per_mtok TEXT NOT NULL,
            cache_read_per_mtok TEXT,
            cache_write_per_mtok TEXT,
            effective_from TEXT,
            effective_to TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """,
    )
    # Databases made by migration 1 already hold events: build their rollups now.
    from costtui.store.rollup import rebuild_daily

    rebuild_daily(conn, None)


def _later_steps() -> list[Migration]:
    # Each feature keeps its own migration module; the order here is the schema's history.
    from costtui.store.m003_listener import m003_listener
    from costtui.store.m004_providers import m004_providers
    from costtui.store.m005_provider_ids import m005_provider_ids
    from costtui.store.m006_budgets import m006_budgets
    from costtui.store.m007_proxy import m007_proxy
    from costtui.store.m008_alert_deliveries import m008_alert_deliveries
    from costtui.store.m009_agents import m009_agents
    from costtui.store.m010_scale import m010_scale
    from costtui.store.m011_plan_sources import m011_plan_sources

    return [
        m003_listener,
        m004_providers,
        m005_provider_ids,
        m006_budgets,
        m007_proxy,
        m008_alert_deliveries,
        m009_agents,
        m010_scale,
        m011_plan_sources,
    ]


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run DDL statements one by one: ``executescript`` would COMMIT the migration's transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        conn.execute(statement)


def current_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)")
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


# Built last: the later steps' modules import run_script from this module.
MIGRATIONS: list[Migration] = [m001_events, m002_rollups_and_prices, *_later_steps()]


def migrate(conn: sqlite3.Connection, upto: int | None = None) -> int:
    """Run every migration not yet applied (up to ``upto``). Returns the resulting version."""
    target = len(MIGRATIONS) if upto is None else upto
    version = current_version(conn)
    while version < target:
        step = MIGRATIONS[version]
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-check inside the write lock: another process may have migrated meanwhile.
            if current_version(conn) > version:
                conn.execute("ROLLBACK")
                version = current_version(conn)
                continue
            step(conn)
            conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, datetime('now'))", (version + 1,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version += 1
    return version
