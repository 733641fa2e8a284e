"""Streamed event exports: CSV, a JSON array, or JSON lines.

Events come from an iterator (the store reads them in keyset pages), and each one is written as
soon as it is read, so memory stays flat however many there are. ``json`` is one JSON array
written element by element (valid JSON once complete; what most tools load); ``jsonl`` is one
object per line (what streaming tools and ``jq -c`` prefer, and it survives truncation line by
line). Amounts are exact decimal strings in JSON and plain decimals in CSV; text cells in CSV go
through :func:`costtui.formatting.csv_cell` so a spreadsheet never runs them as formulas.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from costtui.formatting import csv_cell
from costtui.models import EVENT_FIELDS, EventFilter, StoredEvent, decimal_str

if TYPE_CHECKING:
    from costtui.store import Store

EXPORT_FORMATS = ("csv", "json", "jsonl")
COLUMNS: tuple[str, ...] = ("row_id", *EVENT_FIELDS)
"""Every field of the usage record, in the model's order, after the store's row id."""
PROGRESS_EVERY = 1000
"""Events between two progress callbacks."""


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def event_record(event: StoredEvent) -> dict[str, Any]:
    """An event as plain JSON values (timestamps ISO 8601 UTC, amounts decimal strings)."""
    return {name: _json_value(getattr(event, name)) for name in COLUMNS}


def _csv_row(event: StoredEvent) -> list[Any]:
    row = []
    for name in COLUMNS:
        value = getattr(event, name)
        if isinstance(value, list):
            value = ",".join(value)
        elif isinstance(value, Decimal):
            value = decimal_str(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif isinstance(value, bool):
            value = "true" if value else "false"
        row.append(value)
    # Amounts are never negative (the model refuses them), so a decimal string is safe as it is;
    # every other text cell is neutralised.
    return [v if name == "cost_usd" else csv_cell(v) for name, v in zip(COLUMNS, row, strict=True)]


def write_events(
    events: Iterable[StoredEvent],
    out: IO[str],
    fmt: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write every event to ``out`` in ``fmt`` (csv, json or jsonl); returns how many.

    ``progress(n)`` is called every :data:`PROGRESS_EVERY` events and at the end; it may raise
    to stop the export (the caller then discards the partial file)."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose from {', '.join(EXPORT_FORMATS)}")
    n = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for event in events:
            writer.writerow(_csv_row(event))
            n += 1
            if progress and n % PROGRESS_EVERY == 0:
                progress(n)
    elif fmt == "jsonl":
        for event in events:
            out.write(json.dumps(event_record(event), ensure_ascii=False))
            out.write("\n")
            n += 1
            if progress and n % PROGRESS_EVERY == 0:
                progress(n)
    else:
        out.write("[")
        for event in events:
            out.write(",\n  " if n else "\n  ")
            out.write(json.dumps(event_record(event), ensure_ascii=False))
            n += 1
            if progress and n % PROGRESS_EVERY == 0:
                progress(n)
        out.write("\n]\n" if n else "]\n")
    if progress:
        progress(n)
    return n


def export_to_file(
    store: Store,
    flt: EventFilter | None,
    path: Path,
    fmt: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Stream the events a filter matches into ``path`` (a temporary file renamed into place when
    complete: an error or a cancel from ``progress`` leaves no partial file)."""
    from costtui.export.files import atomic_open

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path) as out:
        return write_events(store.reports.iter_events(flt), out, fmt, progress)
