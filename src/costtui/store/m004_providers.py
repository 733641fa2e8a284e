"""Migration 4: tables of provider sync (accounts, billed costs, quotas). Filled in by the providers work."""

from __future__ import annotations

import sqlite3


def m004_providers(conn: sqlite3.Connection) -> None:
    pass
