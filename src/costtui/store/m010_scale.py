"""Migration m010: what keeps every view flat in the number of events.

- ``unpriced``: one row per (provider, model) with unpriced events, kept in step by the writer,
  recost and retention, so the unpriced ledger no longer reads the unpriced events themselves
  (scattered over the whole table, they made the Dashboard's cold load grow with the table).
"""

from __future__ import annotations

import sqlite3

from costtui.store.migrations import run_script


def m010_scale(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE unpriced (
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            events INTEGER NOT NULL,
            tokens INTEGER NOT NULL,
            last_ts INTEGER NOT NULL,       -- microseconds, the newest unpriced event
            PRIMARY KEY (provider, model)
        ) WITHOUT ROWID;
        """,
    )
    from costtui.store.rollup import rebuild_unpriced

    rebuild_unpriced(conn)
