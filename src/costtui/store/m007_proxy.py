"""Migration 7: what the proxy adds to an event (time to first token, retries, quality flags, the
cost a cache hit saved), its response cache and the request bodies it may keep."""

from __future__ import annotations

import sqlite3

from costtui.store.migrations import run_script


def m007_proxy(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        ALTER TABLE events ADD COLUMN ttft_ms INTEGER;
        ALTER TABLE events ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE events ADD COLUMN flags TEXT;          -- JSON list, NULL when empty
        ALTER TABLE events ADD COLUMN saved_nusd INTEGER;  -- what a cache hit saved, nano-dollars
        -- The proxy's response cache: one answer per normalised request and key scope.
        CREATE TABLE proxy_cache (
            cache_key TEXT PRIMARY KEY,        -- sha256 of (key fingerprint scope, route, normalised body)
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            status INTEGER NOT NULL,
            headers TEXT NOT NULL,             -- JSON object of the headers replayed
            body BLOB NOT NULL,
            cost_nusd INTEGER,                 -- what the original call cost (what a hit saves)
            created_at INTEGER NOT NULL,       -- microseconds since the epoch, UTC
            expires_at INTEGER NOT NULL,
            hits INTEGER NOT NULL DEFAULT 0,
            size INTEGER NOT NULL
        );
        CREATE INDEX proxy_cache_expires ON proxy_cache (expires_at);
        CREATE INDEX proxy_cache_created ON proxy_cache (created_at);
        -- Opt-in request and response bodies (redacted), kept for their own retention period.
        CREATE TABLE proxy_bodies (
            event_id TEXT PRIMARY KEY,
            ts INTEGER NOT NULL,               -- microseconds since the epoch, UTC
            request TEXT,
            response TEXT
        );
        CREATE INDEX proxy_bodies_ts ON proxy_bodies (ts);
        """,
    )
