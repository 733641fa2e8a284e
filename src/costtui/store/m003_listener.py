"""Migration 3: tables of the embedded listener (tracking tokens)."""

from __future__ import annotations

import sqlite3

from costtui.store.migrations import run_script


def m003_listener(conn: sqlite3.Connection) -> None:
    # Tracking tokens: only a SHA-256 of the token is stored, plus a short display prefix
    # (see costtui.listener.tokens for why). ``name`` is the app events are attributed to.
    run_script(
        conn,
        """
        CREATE TABLE tracking_tokens (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            token_hash TEXT NOT NULL UNIQUE,   -- sha256 hex of the token
            prefix TEXT NOT NULL,              -- first characters, for display only
            enabled INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            disabled_at TEXT,
            last_used_at TEXT
        );
        """,
    )
