"""Migration 6: budgets and the thresholds they have crossed."""

from __future__ import annotations

import sqlite3

from costtui.store.migrations import run_script


def m006_budgets(conn: sqlite3.Connection) -> None:
    # budget_alerts' UNIQUE key is what makes a threshold fire once per period even when the TUI
    # and `costtui serve` watch the same database: the first INSERT wins, the other is ignored.
    run_script(
        conn,
        """
        CREATE TABLE budgets (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: old alerts keep pointing at their own budget
            name TEXT NOT NULL UNIQUE,
            scope TEXT NOT NULL,               -- all | provider | account | app | user | team | project | model | key
            scope_value TEXT,
            period TEXT NOT NULL,              -- day | week | month (UTC)
            limit_nusd INTEGER NOT NULL,
            thresholds TEXT NOT NULL,          -- JSON list of percentages
            enforce INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE budget_alerts (
            id INTEGER PRIMARY KEY,
            budget_id INTEGER NOT NULL,         -- kept when the budget is removed: the log stays
            budget_name TEXT NOT NULL,
            period_start TEXT NOT NULL,        -- YYYY-MM-DD, UTC
            threshold INTEGER NOT NULL,
            spend_nusd INTEGER NOT NULL,
            limit_nusd INTEGER NOT NULL,
            fired_at TEXT NOT NULL,
            UNIQUE (budget_id, period_start, threshold)
        );
        CREATE INDEX budget_alerts_fired ON budget_alerts (fired_at);
        """,
    )
