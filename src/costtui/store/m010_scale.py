"""Migration m010: what keeps every view flat in the number of events.

- ``unpriced``: one row per (provider, model) with unpriced events, kept in step by the writer,
  recost and retention, so the unpriced ledger no longer reads the unpriced events themselves
  (scattered over the whole table, they made the Dashboard's cold load grow with the table);
- ``events_fts``: the Activity search index and the triggers that keep it in step (see
  :mod:`costtui.store.search`), backfilled here;
- a partial index of the error events, the one Activity filter rare enough that a walk of the
  newest events would read far too many rows to fill a page (a filter by model walks the time
  index: even a model of 1% of the events fills a page within 10,000 rows).
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
    from costtui.store.search import SEARCH_DDL, TRIGGERS_DDL, rebuild_search

    rebuild_unpriced(conn)
    run_script(conn, SEARCH_DDL)
    rebuild_search(conn)
    run_script(conn, TRIGGERS_DDL)
    run_script(
        conn,
        """
        CREATE INDEX events_errors ON events (ts) WHERE status = 'error';
        """,
    )
