"""Migration 5: every stored provider name under its canonical id (``x-ai`` → ``xai``).

Before the provider vocabulary, the listener stored ``google``, ``x-ai`` and ``moonshotai`` while
accounts and billed rows used ``gemini``, ``xai`` and ``moonshot``. This renames every spelling
the vocabulary knows, in every table that holds a provider. Where renaming makes two rows share
a key, they are merged so that no total changes:

* ``daily`` (day, provider, model): the sums are added;
* ``billed_costs`` (the upsert key): money, tokens, requests and quantities are added;
* ``quota_latest``: the newest snapshot of the limit stays; ``quota_history``: one row per moment;
* ``accounts`` (provider, name): an account that would collide keeps its rows and is renamed
  ``<name>-<old spelling>`` (two accounts are never silently joined).

``daily_dim`` holds no provider (its dimensions are source, app, user, team, project and key),
so its rows are unchanged. Event ids are kept as stored: they are identities, not names.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from decimal import Decimal

from costtui.store.rollup import SUM_COLUMNS
from costtui.vocabulary import canonical_provider

_TABLES = (
    "events",
    "daily",
    "billed_costs",
    "manual_costs",
    "accounts",
    "quota_latest",
    "quota_history",
    "price_overrides",
)
_BILLED_KEY = ("account", "stream", "day", "model", "line_item", "project", "api_key")
_BILLED_SUMS = (
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
    "requests",
)


def m005_provider_ids(conn: sqlite3.Connection) -> None:
    rename_providers(conn, canonical_provider)


def rename_providers(conn: sqlite3.Connection, canonical: Callable[[str], str]) -> dict[str, str]:
    """Rename every stored provider to ``canonical(name)``; returns the renames made."""
    names: set[str] = set()
    for table in _TABLES:
        names.update(r[0] for r in conn.execute(f"SELECT DISTINCT provider FROM {table} WHERE provider IS NOT NULL"))
    renames = {old: new for old in sorted(names) if (new := canonical(old)) != old}
    for old, new in renames.items():
        for table in ("events", "manual_costs", "price_overrides"):
            conn.execute(f"UPDATE {table} SET provider = ? WHERE provider = ?", (new, old))
        _merge_daily(conn, old, new)
        _merge_billed(conn, old, new)
        # The latest value of a limit is the newest of the two spellings' snapshots.
        conn.execute(
            "DELETE FROM quota_latest AS q WHERE provider = ? AND EXISTS (SELECT 1 FROM quota_latest AS o"
            " WHERE o.provider = ? AND o.account = q.account AND o.kind = q.kind AND o.scope = q.scope"
            " AND o.taken_at > q.taken_at)",
            (new, old),
        )
        for table in ("quota_latest", "quota_history"):
            conn.execute(f"UPDATE OR IGNORE {table} SET provider = ? WHERE provider = ?", (new, old))
            conn.execute(f"DELETE FROM {table} WHERE provider = ?", (old,))
        _rename_accounts(conn, old, new)
    return renames


def _merge_daily(conn: sqlite3.Connection, old: str, new: str) -> None:
    cols = ", ".join(SUM_COLUMNS)
    conn.execute(
        f"INSERT INTO daily (day, provider, model, {cols}) SELECT day, ?, model, {cols} FROM daily WHERE provider = ? "
        "ON CONFLICT (day, provider, model) DO UPDATE SET "
        + ", ".join(f"{c} = {c} + excluded.{c}" for c in SUM_COLUMNS),
        (new, old),
    )
    conn.execute("DELETE FROM daily WHERE provider = ?", (old,))


def _merge_billed(conn: sqlite3.Connection, old: str, new: str) -> None:
    key = ", ".join(_BILLED_KEY)
    rows = conn.execute(
        f"SELECT id, {key}, cost_nusd, quantity, {', '.join(_BILLED_SUMS)} FROM billed_costs WHERE provider = ?",
        (old,),
    ).fetchall()
    n = len(_BILLED_KEY)
    for row in rows:
        row_id, values = row[0], row[1 : 1 + n]
        cost, quantity, sums = row[1 + n], row[2 + n], row[3 + n :]
        target = conn.execute(
            f"SELECT id, cost_nusd, quantity FROM billed_costs WHERE provider = ? AND ({key}) = ({', '.join('?' * n)})",
            (new, *values),
        ).fetchone()
        if target is None:
            conn.execute("UPDATE billed_costs SET provider = ? WHERE id = ?", (new, row_id))
            continue
        merged_cost = None if cost is None and target[1] is None else (cost or 0) + (target[1] or 0)
        merged_qty = (
            target[2]
            if quantity is None
            else quantity
            if target[2] is None
            else str(Decimal(quantity) + Decimal(target[2]))
        )
        conn.execute(
            "UPDATE billed_costs SET cost_nusd = ?, quantity = ?, "
            + ", ".join(f"{c} = {c} + ?" for c in _BILLED_SUMS)
            + " WHERE id = ?",
            (merged_cost, merged_qty, *sums, target[0]),
        )
        conn.execute("DELETE FROM billed_costs WHERE id = ?", (row_id,))


def _rename_accounts(conn: sqlite3.Connection, old: str, new: str) -> None:
    for account_id, name in conn.execute("SELECT id, name FROM accounts WHERE provider = ?", (old,)).fetchall():
        taken = conn.execute("SELECT 1 FROM accounts WHERE provider = ? AND name = ?", (new, name)).fetchone()
        conn.execute(
            "UPDATE accounts SET provider = ?, name = ? WHERE id = ?",
            (new, f"{name}-{old}" if taken else name, account_id),
        )
