"""Claude Code import: duplicates, sidechains, <synthetic>, old costUSD lines, malformed lines,
nested folders, and day totals checked to the nano-dollar."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from logtree import append_lines, claude_line, user_line, write_lines

from costtui.agents.paths import claude_roots, roots_for
from costtui.agents.scan import Scanner, ScanReport
from costtui.store import Store

# claude-sonnet-4-5 list prices per token: input 3, output 15, cache read 0.30, 5m write 3.75,
# 1h write 6 (dollars per million).
IN, OUT, READ, W5, W1 = (Decimal(x) / 1_000_000 for x in ("3", "15", "0.30", "3.75", "6"))


def scan(store: Store, projects: Path) -> ScanReport:
    return Scanner(store).scan("claude-code", roots_for("claude-code", projects))


@pytest.fixture
def store(db_path: Path) -> Store:
    return Store(db_path)


def build_tree(root: Path) -> None:
    p = root / "projects"
    write_lines(
        p / "-home-ana-src-app" / "s1.jsonl",
        [
            user_line("2026-08-05T09:00:00.000Z"),
            # The same response written three times while it streamed: the largest copy counts.
            claude_line(ts="2026-08-05T09:14:03.511Z", msg="m1", req="r1", input_tokens=6, output=10),
            claude_line(ts="2026-08-05T09:14:03.511Z", msg="m1", req="r1", input_tokens=6, output=311),
            claude_line(ts="2026-08-05T09:14:03.511Z", msg="m1", req="r1", input_tokens=6, output=200),
            # Cache writes split by TTL.
            claude_line(
                ts="2026-08-05T10:00:00.000Z",
                msg="m2",
                req="r2",
                input_tokens=10,
                output=100,
                cache_read=50_000,
                cache_write_5m=1_000,
                cache_write_1h=2_000,
            ),
            # <synthetic>: written locally, no API call.
            claude_line(ts="2026-08-05T10:01:00.000Z", msg="m3", req="r3", model="<synthetic>", output=0),
            "{not json",
            claude_line(ts="2026-08-05T10:02:00.000Z", msg="m9", req="r9", input_tokens="many"),  # type: ignore[arg-type]
        ],
    )
    # A newer nested layout: a sidechain (/btw) replays m2 under another request id: not counted.
    write_lines(
        p / "-home-ana-src-app" / "s1" / "subagents" / "agent-1.jsonl",
        [
            claude_line(ts="2026-08-05T10:00:00.000Z", msg="m2", req="r2-side", sidechain=True, output=100),
            claude_line(ts="2026-08-05T10:05:00.000Z", msg="m4", req="r4", sidechain=True, output=40),
        ],
    )
    # An older version: costUSD on the line, no cache_creation split, no cwd; lines without ids.
    write_lines(
        p / "-home-ana-src-old" / "s2.jsonl",
        [
            claude_line(
                ts="2026-08-06T23:59:59.000Z",
                msg="m5",
                req="r5",
                session="s2",
                cwd=None,
                split=False,
                cache_write_5m=500,
                cost_usd=0.0123,
                version="1.0.3",
            ),
            claude_line(ts="2026-08-06T12:00:00.000Z", msg=None, req=None, session="s2", cwd=None, output=7),
            claude_line(ts="2026-08-06T12:00:00.000Z", msg=None, req=None, session="s2", cwd=None, output=7),
        ],
    )


def test_a_tree_imports_with_the_log_rules_and_exact_day_totals(tmp_path: Path, store: Store) -> None:
    build_tree(tmp_path / "claude")
    report = scan(store, tmp_path / "claude")
    assert report.files == 3
    assert report.malformed == 2
    assert report.skipped == 1  # <synthetic>
    # m1 (once), m2, m4 (a sidechain whose message has no main-chain copy), m5, two id-less lines.
    assert report.events_added == 6
    assert report.duplicates == 3  # two extra copies of m1, the sidechain replay of m2

    day1 = store.by_day(date(2026, 8, 5), date(2026, 8, 5))[0]
    m1 = 6 * IN + 311 * OUT
    m2 = 10 * IN + 100 * OUT + 50_000 * READ + 1_000 * W5 + 2_000 * W1
    m4 = 100 * IN + 40 * OUT
    assert day1.cost_usd == m1 + m2 + m4
    assert day1.events == 3
    assert day1.output_tokens == 311 + 100 + 40
    assert day1.cache_write_tokens == 3_000

    day2 = store.by_day(date(2026, 8, 6), date(2026, 8, 6))[0]
    loose = 100 * IN + 7 * OUT
    # The old line's own costUSD is kept as its cost; lines without a message id both count.
    assert day2.cost_usd == Decimal("0.0123") + 2 * loose
    assert day2.events == 3

    rows = store.query("SELECT session, project, tags FROM events WHERE session = 's2' ORDER BY ts")
    assert {r["project"] for r in rows} == {"-home-ana-src-old"}  # no cwd: the folder names the project
    sessions = {r["session"] for r in store.query("SELECT DISTINCT session FROM events")}
    assert sessions == {"s1", "s2"}
    m2_row = store.query("SELECT cache_write_tokens, cache_write_1h_tokens FROM events WHERE output_tokens = 100")
    assert m2_row == [{"cache_write_tokens": 3000, "cache_write_1h_tokens": 2000}]


def test_a_second_import_reads_nothing_and_changes_nothing(tmp_path: Path, store: Store) -> None:
    build_tree(tmp_path / "claude")
    scan(store, tmp_path / "claude")
    before = store.totals()
    again = scan(store, tmp_path / "claude")
    assert (again.files, again.files_read, again.bytes_read, again.events_added) == (3, 0, 0, 0)
    assert store.totals() == before


def test_the_same_tree_imported_into_a_fresh_store_gets_the_same_event_ids(tmp_path: Path) -> None:
    build_tree(tmp_path / "claude")
    ids = []
    for name in ("a.db", "b.db"):
        with Store(tmp_path / name) as s:
            scan(s, tmp_path / "claude")
            ids.append(sorted(r["event_id"] for r in s.query("SELECT event_id FROM events")))
    assert ids[0] == ids[1]


def test_appended_lines_are_read_alone_and_a_partial_line_waits(tmp_path: Path, store: Store) -> None:
    f = write_lines(
        tmp_path / "c" / "projects" / "p" / "s.jsonl", [claude_line(ts="2026-08-05T09:00:00Z", msg="a", req="1")]
    )
    scan(store, tmp_path / "c")
    size = f.stat().st_size
    # The agent is mid-write: no newline yet.
    with f.open("a") as fh:
        fh.write(claude_line(ts="2026-08-05T09:01:00Z", msg="b", req="2"))
    partial = scan(store, tmp_path / "c")
    assert partial.events_added == 0 and partial.malformed == 0
    with f.open("a") as fh:
        fh.write("\n")
    done = scan(store, tmp_path / "c")
    assert done.events_added == 1
    assert done.bytes_read == f.stat().st_size - size  # only the new bytes
    assert store.totals().events == 2


def test_a_more_complete_copy_in_a_later_scan_replaces_the_stored_event(tmp_path: Path, store: Store) -> None:
    f = write_lines(
        tmp_path / "c" / "projects" / "p" / "s.jsonl",
        [claude_line(ts="2026-08-05T09:00:00Z", msg="a", req="1", output=10)],
    )
    scan(store, tmp_path / "c")
    append_lines(f, [claude_line(ts="2026-08-05T09:00:00Z", msg="a", req="1", output=500)])
    report = scan(store, tmp_path / "c")
    assert report.replaced == 1 and report.events_added == 0
    totals = store.totals()
    assert (totals.events, totals.output_tokens) == (1, 500)
    assert totals.cost_usd == 100 * IN + 500 * OUT
    # The rollups (what the dashboard reads) agree with the raw events.
    assert store.by_day(date(2026, 8, 5), date(2026, 8, 5))[0].output_tokens == 500


def test_a_main_chain_copy_arriving_later_removes_the_sidechain_replay(tmp_path: Path, store: Store) -> None:
    side = write_lines(
        tmp_path / "c" / "projects" / "p" / "s" / "subagents" / "x.jsonl",
        [claude_line(ts="2026-08-05T09:00:00Z", msg="a", req="side", sidechain=True, output=30)],
    )
    scan(store, tmp_path / "c")
    assert store.totals().events == 1
    write_lines(side.parent.parent.parent / "s.jsonl", [claude_line(ts="2026-08-05T09:00:00Z", msg="a", req="main")])
    scan(store, tmp_path / "c")
    rows = store.query("SELECT tags, output_tokens FROM events")
    assert rows == [{"tags": None, "output_tokens": 50}]


def test_a_truncated_file_is_read_again_without_double_counting(tmp_path: Path, store: Store) -> None:
    lines = [claude_line(ts=f"2026-08-05T09:0{i}:00Z", msg=f"m{i}", req=f"r{i}") for i in range(5)]
    f = write_lines(tmp_path / "c" / "projects" / "p" / "s.jsonl", lines)
    scan(store, tmp_path / "c")
    write_lines(f, lines[:2])  # truncated (rewritten shorter)
    again = scan(store, tmp_path / "c")
    assert again.files_read == 1 and again.events_added == 0
    assert store.totals().events == 5


def test_a_replaced_file_is_read_from_its_start(tmp_path: Path, store: Store) -> None:
    f = write_lines(
        tmp_path / "c" / "projects" / "p" / "s.jsonl", [claude_line(ts="2026-08-05T09:00:00Z", msg="a", req="1")]
    )
    scan(store, tmp_path / "c")
    new = f.with_suffix(".tmp")
    # A different file moved over the old name, longer than the old one: read from byte 0.
    write_lines(
        new,
        [
            claude_line(ts="2026-08-05T10:00:00Z", msg="x", req="9", output=1),
            claude_line(ts="2026-08-05T10:01:00Z", msg="y", req="8", output=2),
        ],
    )
    new.replace(f)
    report = scan(store, tmp_path / "c")
    assert report.events_added == 2
    assert store.totals().events == 3


def test_config_dirs_and_defaults(tmp_path: Path) -> None:
    env = {"CLAUDE_CONFIG_DIR": f"{tmp_path}/a, {tmp_path}/b/projects"}
    assert claude_roots(env, tmp_path) == [tmp_path / "a" / "projects", tmp_path / "b" / "projects"]
    assert claude_roots({}, tmp_path) == [tmp_path / ".config/claude/projects", tmp_path / ".claude/projects"]
    assert claude_roots({"XDG_CONFIG_HOME": str(tmp_path / "x")}, tmp_path)[0] == tmp_path / "x/claude/projects"


def test_a_parsed_event_equals_the_validated_record(tmp_path: Path) -> None:
    from costtui.agents.claude import parse_claude
    from costtui.agents.records import FileContext
    from costtui.models import UsageEvent

    line = claude_line(ts="2026-08-05T09:00:00.5Z", cache_read=5, cache_write_1h=7, speed="fast", gitBranch="dev")
    parsed = parse_claude(line.encode(), FileContext("p/s.jsonl"), 0)
    assert parsed is not None
    event = parsed.event
    assert UsageEvent.model_validate(event.model_dump()) == event
    assert event.tags == ["speed=fast", "branch=dev"]
    # A name the model refuses (a control character) makes the line malformed, not a bad row.
    from costtui.agents.records import Malformed

    with pytest.raises(Malformed):
        parse_claude(claude_line(ts="2026-08-05T09:00:00Z", model="bad\x1bmodel").encode(), FileContext("p"), 0)
    # The same for a working directory with a bidi override, a session id with a NUL, an overlong model.
    for hostile in ({"cwd": "/home/\u202egnp.exe"}, {"session": "s\x00"}, {"model": "m" * 201}):
        with pytest.raises(Malformed):
            parse_claude(claude_line(ts="2026-08-05T09:00:00Z", **hostile).encode(), FileContext("p"), 0)  # type: ignore[arg-type]


def test_fast_mode_lines_are_priced_at_the_fast_rate(tmp_path: Path, store: Store) -> None:
    write_lines(
        tmp_path / "c" / "projects" / "p" / "s.jsonl",
        [
            claude_line(
                ts="2026-11-05T09:00:00Z", msg="a", req="1", model="claude-opus-4-8", input_tokens=1000, output=1000
            ),
            claude_line(
                ts="2026-11-05T09:01:00Z",
                msg="b",
                req="2",
                model="claude-opus-4-8",
                input_tokens=1000,
                output=1000,
                speed="fast",
            ),
        ],
    )
    scan(store, tmp_path / "c")
    rows = store.query(
        "SELECT tags, cost_nusd, p.label FROM events JOIN price_versions p ON p.id = price_version_id ORDER BY ts"
    )
    standard, fast = rows
    assert fast["cost_nusd"] == 2 * standard["cost_nusd"]  # Opus 4.8 fast mode: twice the list price
    assert fast["label"].endswith("+fast") and fast["tags"] == '["speed=fast"]'
