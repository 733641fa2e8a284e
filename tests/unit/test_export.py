"""Event exports: every matching event exactly once, streamed, formula-safe CSV, valid JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from costtui.cli import cli
from costtui.export.events import write_events
from costtui.models import EventFilter, StoredEvent, UsageEvent
from costtui.store import Store

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def store(db_path: Path) -> Store:
    s = Store(db_path)
    events = [
        UsageEvent(
            event_id=f"e{i:03d}",
            # Pairs share a timestamp: the keyset cursor must not lose or repeat ties at page edges.
            ts=T0 + timedelta(minutes=i // 2),
            provider="openai" if i % 3 else "anthropic",
            model="gpt-4o-mini" if i % 3 else "claude-haiku-4-5",
            app='=HYPERLINK("http://evil")' if i == 7 else "chat",
            input_tokens=10 + i,
            output_tokens=1,
            cost_usd=Decimal("0.00042"),
        )
        for i in range(101)
    ]
    s.record(events)
    return s


def test_pages_cover_every_event_once_in_time_order(store: Store) -> None:
    got = [e.event_id for e in store.reports.iter_events(page_size=7)]
    assert sorted(got) == [f"e{i:03d}" for i in range(101)] and len(set(got)) == 101
    flt = EventFilter(provider="anthropic")
    assert len(list(store.reports.iter_events(flt, page_size=5))) == store.count_events(flt)


def test_writing_is_streamed_from_the_iterator(store: Store) -> None:
    out = io.StringIO()
    written_before: list[int] = []

    def events() -> Iterator[StoredEvent]:
        for e in store.reports.iter_events(page_size=10):
            # Each event is on its way out before the next one is read: nothing is collected first.
            written_before.append(out.getvalue().count("\n"))
            yield e

    calls: list[int] = []
    write_events(events(), out, "jsonl", progress=calls.append)
    assert written_before == list(range(101))
    assert len(out.getvalue().splitlines()) == 101 and calls[-1] == 101


def test_csv_is_formula_safe_and_amounts_stay_numbers(store: Store) -> None:
    out = io.StringIO()
    n = write_events(store.reports.iter_events(), out, "csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert n == len(rows) == 101
    evil = next(r for r in rows if r["event_id"] == "e007")
    assert evil["app"].startswith("'=")
    assert {r["cost_usd"] for r in rows} == {"0.00042"}


def test_json_array_and_json_lines_hold_the_same_events(store: Store) -> None:
    array, lines = io.StringIO(), io.StringIO()
    write_events(store.reports.iter_events(), array, "json")
    write_events(store.reports.iter_events(), lines, "jsonl")
    parsed = json.loads(array.getvalue())
    assert parsed == [json.loads(line) for line in lines.getvalue().splitlines()]
    assert parsed[0]["cost_usd"] == "0.00042" and parsed[0]["ts"].endswith("+00:00")
    empty = io.StringIO()
    write_events(iter([]), empty, "json")
    assert json.loads(empty.getvalue()) == []


def test_cli_export_filters_and_writes_a_file(store: Store, db_path: Path, tmp_path: Path) -> None:
    store.close()
    target = tmp_path / "out.json"
    result = CliRunner().invoke(
        cli,
        ["--db", str(db_path), "export", "--provider", "anthropic", "--format", "json", "-o", str(target)],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(target.read_text())
    assert len(data) == 34 and {d["provider"] for d in data} == {"anthropic"}
    assert "Wrote 34 events" in result.output
    # --to is a whole UTC day; the search is the Activity screen's.
    out = CliRunner().invoke(
        cli, ["--db", str(db_path), "export", "--from", "2026-11-01", "--to", "2026-11-01", "--search", "HYPERLINK"]
    )
    assert out.exit_code == 0 and len(list(csv.DictReader(io.StringIO(out.output)))) == 1
    bad = CliRunner().invoke(cli, ["--db", str(db_path), "export", "--from", "yesterday"])
    assert bad.exit_code == 2 and "not a date" in bad.output
    assert not list(tmp_path.glob(".*.part"))
