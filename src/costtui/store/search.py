"""Activity search through an FTS5 index of the events' text fields.

The index (``events_fts``) is an external-content FTS5 table over ``events`` with the trigram
tokenizer, ``detail='none'`` and ``columnsize=0`` (no positions, no sizes: about 60 bytes per
event instead of 320; search needs neither phrases nor ranking). Triggers
keep it in step with ``events`` inside the same transaction as every insert, delete or change of
a text field, whoever writes (the one write path, retention, a migration); recost changes only
costs and does not touch it.

Search keeps its meaning: a case-insensitive substring of any text field (LIKE). The index
answers which rows hold every trigram of the needle (a superset: the trigrams may sit in different
fields), and the LIKE test runs on those rows only. A needle of under three characters has no
trigram and is a scan, as before; so is a needle that matches a large share of the events, for
which walking the newest events finds a page sooner than sorting every match (see
:func:`candidate_limit`).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

SEARCH_FIELDS = ("model", "provider", "app", "user", "team", "project", "error", "event_id", "tags")
"""The text fields a search looks in (a LIKE on each)."""
_COLUMNS = ", ".join(SEARCH_FIELDS)
_MAX_TRIGRAMS = 12
_PROBE = 10_000
"""Postings read at most to rank a trigram (a common one stops there)."""
_ASKED = 4
"""Trigrams asked of the index: the rarest few narrow as much as all of them, for less."""

SEARCH_DDL = f"""
CREATE VIRTUAL TABLE events_fts USING fts5(
    {_COLUMNS}, content='events', content_rowid='id', tokenize='trigram', detail='none', columnsize=0
);
"""
INSERT_TRIGGER_DDL = f"""
CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts (rowid, {_COLUMNS}) VALUES (new.id, {", ".join("new." + c for c in SEARCH_FIELDS)});
END;
"""
TRIGGERS_DDL = (
    INSERT_TRIGGER_DDL
    + f"""CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, {_COLUMNS})
    VALUES ('delete', old.id, {", ".join("old." + c for c in SEARCH_FIELDS)});
END;
CREATE TRIGGER events_fts_update AFTER UPDATE OF {_COLUMNS} ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, {_COLUMNS})
    VALUES ('delete', old.id, {", ".join("old." + c for c in SEARCH_FIELDS)});
    INSERT INTO events_fts (rowid, {_COLUMNS}) VALUES (new.id, {", ".join("new." + c for c in SEARCH_FIELDS)});
END;
"""
)
TRIGGERS = ("events_fts_insert", "events_fts_delete", "events_fts_update")


BULK_ROWS = 2000
"""From this many rows in one insert, the new rows are indexed in one statement (see below)."""


@contextmanager
def indexed_in_bulk(conn: sqlite3.Connection, rows: int) -> Iterator[None]:
    """Index the events inserted inside this block with one statement instead of a trigger per row.

    Within the caller's write transaction the insert trigger is dropped, the block inserts, the
    new rows (ids above the largest before: ``id`` is the rowid, always given as max + 1) are
    indexed together, and the trigger is created again before the commit: no other connection
    ever sees the table without it, and the index holds exactly what the trigger would have
    written. For a bulk import this costs a third of the per-row trigger; small batches (the
    listener's) keep the trigger.
    """
    present = (
        rows >= BULK_ROWS
        and conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'events_fts_insert'").fetchone()
    )
    if not present:
        yield
        return
    before = conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
    conn.execute("DROP TRIGGER events_fts_insert")
    yield
    conn.execute(
        f"INSERT INTO events_fts (rowid, {_COLUMNS}) SELECT id, {_COLUMNS} FROM events WHERE id > ?", (before,)
    )
    conn.execute(INSERT_TRIGGER_DDL)


def rebuild_search(conn: sqlite3.Connection) -> None:
    """Re-index every stored event (the migration's backfill; after a bulk copy)."""
    conn.execute("INSERT INTO events_fts (events_fts) VALUES ('rebuild')")


def clear_search(conn: sqlite3.Connection) -> None:
    """Empty the index at once (before deleting every event with the triggers dropped)."""
    conn.execute("INSERT INTO events_fts (events_fts) VALUES ('delete-all')")


def like_needle(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


LIKE_ANY_FIELD = "(" + " OR ".join(f"{f} LIKE ? ESCAPE '\\'" for f in SEARCH_FIELDS) + ")"
"""A search as a scan: true when any text field contains the needle (one parameter per field)."""


def trigrams(text: str) -> list[str]:
    """The distinct trigrams of a needle, at most a dozen spread over it (first and last included)."""
    found = list(dict.fromkeys(text[i : i + 3] for i in range(len(text) - 2)))
    if len(found) > _MAX_TRIGRAMS:
        step = (len(found) - 1) / (_MAX_TRIGRAMS - 1)
        found = list(dict.fromkeys(found[round(i * step)] for i in range(_MAX_TRIGRAMS)))
    return found


def fts_query(grams: list[str]) -> str:
    """An FTS5 query for the rows holding every one of ``grams``."""
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in grams)


def selective_query(conn: sqlite3.Connection, text: str) -> str | None:
    """The FTS5 query for a needle (None: under three characters), on its rarest trigrams.

    Intersecting a trigram that most events hold (``"emo"`` of every ``demo-…`` id, ``"gpt"``)
    reads its whole posting list and narrows little; a short probe per trigram (at most
    ``_PROBE`` postings read) ranks them, and the rarest few are asked. Any subset is still a
    superset of the matches: the LIKE test decides.
    """
    grams = trigrams(text)
    if not grams:
        return None
    counts = {
        g: conn.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM events_fts WHERE events_fts MATCH ? LIMIT ?)",
            (fts_query([g]), _PROBE),
        ).fetchone()[0]
        for g in grams
    }
    rare = sorted((g for g in grams if counts[g] < _PROBE), key=counts.__getitem__)[:_ASKED]
    # Every trigram common (the needle is, or its matches are few but made of common parts):
    # its two ends, whose posting lists are read in full.
    return fts_query(rare or list(dict.fromkeys([grams[0], grams[-1]])))


def candidate_limit(events: int, page: int = 100) -> int:
    """Up to how many index candidates a page of search results is read through the index.

    Through the index, a page costs one lookup per candidate, at random over the table (then a
    sort); walking the newest events with the LIKE test costs ``page * events / matches`` rows,
    read in order (about four times cheaper each). The two meet near sqrt(page * events / 4)
    matches: 5,000 at 1M events, 16,000 at 10M.
    """
    return max(2_000, math.isqrt(page * max(events, 1) // 4))
