"""Migration 3: tables of the embedded listener (tracking tokens). Filled in by the listener work."""

from __future__ import annotations

import sqlite3


def m003_listener(conn: sqlite3.Connection) -> None:
    pass
