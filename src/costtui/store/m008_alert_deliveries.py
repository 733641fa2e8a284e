"""Migration 8: where each budget alert was sent, and how that went."""

from __future__ import annotations

import sqlite3

from costtui.store.migrations import run_script


def m008_alert_deliveries(conn: sqlite3.Connection) -> None:
    # One row per alert and channel, written by the process that claimed the alert (so the TUI and
    # `costtui serve` never both send it); a failed send stays here with its error for the log.
    run_script(
        conn,
        """
        CREATE TABLE alert_deliveries (
            id INTEGER PRIMARY KEY,
            alert_id INTEGER NOT NULL,         -- budget_alerts.id
            channel TEXT NOT NULL,             -- webhook | slack | email
            target TEXT NOT NULL,              -- where, without secrets: a webhook's host, the recipients
            status TEXT NOT NULL,              -- sending | sent | failed
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX alert_deliveries_alert ON alert_deliveries (alert_id);
        """,
    )
