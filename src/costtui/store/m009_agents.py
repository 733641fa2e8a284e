"""Migration 9: coding-agent log import (session column, per-file scan state, dedup keys, push cursors)."""

from __future__ import annotations

import sqlite3

from costtui.store.migrations import run_script


def m009_agents(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        ALTER TABLE events ADD COLUMN session TEXT;
        CREATE INDEX idx_events_session ON events (session) WHERE session IS NOT NULL;

        -- What was read of each log file, so a re-scan reads only new bytes. ``head_hash`` is a
        -- hash of the file's first bytes: a file replaced under the same name (or rewritten
        -- shorter) is read again from the start. ``state`` is the parser's carry-over between
        -- reads (Codex: the current model and the last cumulative total).
        CREATE TABLE agent_files (
            path TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            size INTEGER NOT NULL,
            inode INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            offset INTEGER NOT NULL,
            head_hash TEXT NOT NULL,
            state TEXT,
            lines INTEGER NOT NULL DEFAULT 0,
            malformed INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );

        -- Duplicate detection across files and scans: one row per logical record (Claude Code:
        -- message id + request id), the event kept for it and how complete that event was.
        CREATE TABLE agent_records (
            key TEXT PRIMARY KEY,
            message_id TEXT,
            event_id TEXT NOT NULL,
            total INTEGER NOT NULL,
            rank INTEGER NOT NULL DEFAULT 0,
            sidechain INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE INDEX idx_agent_records_message ON agent_records (message_id) WHERE message_id IS NOT NULL;

        -- Where `costtui push` got to for each destination (the last events row id sent).
        CREATE TABLE push_cursors (
            target TEXT PRIMARY KEY,
            last_row_id INTEGER NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
    )
