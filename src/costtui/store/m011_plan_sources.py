"""Migration 11: the health of the plan sources that are not accounts (no key of their own).

Claude Code's status line, and the opt-in Claude and Codex usage endpoints that read those tools'
own sign-ins, have no account row to keep their last attempt, success and error on; the Quotas
screen says their data's age and any failure in words from here.
"""

from __future__ import annotations

import sqlite3

from costtui.store.migrations import run_script


def m011_plan_sources(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE plan_sources (
            source TEXT PRIMARY KEY,           -- claude_statusline | claude_oauth | codex_usage
            provider TEXT NOT NULL,
            account TEXT NOT NULL,
            last_attempt_at TEXT,
            last_success_at TEXT,
            last_error TEXT
        ) WITHOUT ROWID;
        """,
    )
