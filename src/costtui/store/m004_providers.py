"""Migration 4: tables of provider sync (accounts, billed costs, quotas, manual costs).

Money columns are nano-dollars (1e-9 USD) like the events table, so SQLite sums them exactly.
Upsert keys use '' instead of NULL for "not grouped": SQLite treats NULLs as distinct in UNIQUE
constraints, which would let a re-sync insert the same bucket twice.
"""

from __future__ import annotations

import sqlite3

from costtui.store.migrations import run_script


def m004_providers(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE accounts (
            id INTEGER PRIMARY KEY,
            provider TEXT NOT NULL,
            name TEXT NOT NULL,
            key_kind TEXT NOT NULL,            -- admin | inference | management | none
            base_url TEXT,
            enabled INTEGER NOT NULL DEFAULT 1,
            key_fp TEXT,                       -- prefix…last4, never the key
            options TEXT,                      -- JSON object, never secrets
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (provider, name)
        );
        CREATE TABLE account_sync (
            account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
            plane TEXT NOT NULL,               -- usage | quota
            last_attempt_at TEXT,
            last_success_at TEXT,
            last_error TEXT,
            last_error_at TEXT,
            synced_through TEXT,               -- usage plane: last UTC day fully synced
            PRIMARY KEY (account_id, plane)
        ) WITHOUT ROWID;
        CREATE TABLE billed_costs (
            id INTEGER PRIMARY KEY,
            provider TEXT NOT NULL,
            account TEXT NOT NULL,
            stream TEXT NOT NULL,              -- endpoint that produced the row, or manual
            kind TEXT NOT NULL,                -- cost | usage | manual | estimate
            day TEXT NOT NULL,                 -- YYYY-MM-DD, UTC
            model TEXT NOT NULL DEFAULT '',
            line_item TEXT NOT NULL DEFAULT '',
            project TEXT NOT NULL DEFAULT '',
            api_key TEXT NOT NULL DEFAULT '',
            cost_nusd INTEGER,
            currency TEXT NOT NULL DEFAULT 'usd',
            input_tokens INTEGER NOT NULL DEFAULT 0,
            cache_read_tokens INTEGER NOT NULL DEFAULT 0,
            cache_write_tokens INTEGER NOT NULL DEFAULT 0,
            cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            requests INTEGER NOT NULL DEFAULT 0,
            quantity TEXT,
            quantity_unit TEXT,
            note TEXT,
            updated_at TEXT NOT NULL,
            UNIQUE (provider, account, stream, day, model, line_item, project, api_key)
        );
        CREATE INDEX billed_costs_day ON billed_costs (day, kind, provider, cost_nusd);
        CREATE TABLE manual_costs (
            id INTEGER PRIMARY KEY,
            provider TEXT NOT NULL,
            account TEXT NOT NULL,
            start_day TEXT NOT NULL,
            end_day TEXT NOT NULL,
            amount TEXT NOT NULL,              -- USD decimal string
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            note TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE quota_latest (
            provider TEXT NOT NULL,
            account TEXT NOT NULL,
            kind TEXT NOT NULL,
            scope TEXT NOT NULL DEFAULT '',
            used TEXT,                         -- decimal strings (units vary: usd, tokens...)
            limit_value TEXT,
            remaining TEXT,
            unit TEXT NOT NULL,
            window TEXT,
            resets_at TEXT,
            taken_at TEXT NOT NULL,
            source TEXT NOT NULL,
            detail TEXT,
            PRIMARY KEY (provider, account, kind, scope)
        ) WITHOUT ROWID;
        CREATE TABLE quota_history (
            provider TEXT NOT NULL,
            account TEXT NOT NULL,
            kind TEXT NOT NULL,
            scope TEXT NOT NULL DEFAULT '',
            taken_at TEXT NOT NULL,
            used TEXT,
            limit_value TEXT,
            remaining TEXT,
            unit TEXT NOT NULL,
            PRIMARY KEY (provider, account, kind, scope, taken_at)
        ) WITHOUT ROWID;
        """,
    )
