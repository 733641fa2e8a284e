"""Codex and Gemini CLI import, Codex plan rate limits as quota snapshots, and `costtui import`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from logtree import (
    append_lines,
    claude_line,
    codex_meta,
    codex_token_count,
    codex_turn,
    gemini_message,
    gemini_session,
    write_lines,
)

from costtui.agents.paths import codex_roots, roots_for
from costtui.agents.scan import Scanner
from costtui.cli import cli
from costtui.store import Store

LIMITS = {
    "primary": {"used_percent": 18.0, "window_minutes": 300, "resets_at": 1785759600},
    "secondary": {"used_percent": 41.5, "window_minutes": 10080, "resets_at": 1786060800},
    "plan_type": "plus",
}


def test_codex_turns_become_events_with_the_model_of_their_context(tmp_path: Path, db_path: Path) -> None:
    write_lines(
        tmp_path / "sessions" / "2026" / "08" / "05" / "rollout-a.jsonl",
        [
            codex_meta("2026-08-05T10:00:00.000Z", session="c-1"),
            # Before any turn_context: the fallback model (as ccusage), flagged.
            codex_token_count("2026-08-05T10:00:01.000Z", last=(100, 0, 10, 0)),
            codex_turn("2026-08-05T10:00:02.000Z", model="gpt-5-codex"),
            codex_token_count("2026-08-05T10:00:03.000Z", last=(12950, 11776, 540, 320)),
            # Only the running total: the event is what it grew by.
            codex_token_count("2026-08-05T10:00:04.000Z", last=None, total=(20000, 15000, 1000, 400)),
            codex_token_count("2026-08-05T10:00:05.000Z", last=None, total=(26000, 19000, 1500, 500)),
            # All zero: not an event.
            codex_token_count("2026-08-05T10:00:06.000Z", last=(0, 0, 0, 0), limits=LIMITS),
            "not json at all",
        ],
    )
    with Store(db_path) as store:
        report = Scanner(store).scan("codex", roots_for("codex", tmp_path))
        assert report.malformed == 1
        assert report.events_added == 4
        rows = store.query(
            "SELECT model, input_tokens, cache_read_tokens, output_tokens, reasoning_tokens, session, project, tags"
            " FROM events ORDER BY ts"
        )
        assert rows[0]["model"] == "gpt-5" and json.loads(rows[0]["tags"]) == ["fallback-model"]
        # input_tokens holds uncached input; cached tokens are cache reads.
        assert rows[1] == {
            "model": "gpt-5-codex",
            "input_tokens": 12950 - 11776,
            "cache_read_tokens": 11776,
            "output_tokens": 540,
            "reasoning_tokens": 320,
            "session": "c-1",
            "project": "/home/ana/src/api",
            "tags": None,
        }
        assert [(r["input_tokens"] + r["cache_read_tokens"], r["output_tokens"]) for r in rows[2:]] == [
            (20000, 1000),
            (6000, 500),
        ]
        # Named by length, as the Codex usage endpoint's windows are: both land on one card.
        quotas = {q.kind: q for q in store.billing.latest_quotas("openai", "codex")}
        assert quotas["plan.five_hour"].used == Decimal("18.0") and quotas["plan.five_hour"].window == "5h"
        assert quotas["plan.five_hour"].resets_at == datetime.fromtimestamp(1785759600, UTC)
        assert quotas["plan.weekly"].window == "week" and quotas["plan.weekly"].remaining == Decimal("58.5")


def test_codex_keeps_only_the_latest_rate_limits_and_counts_forked_sessions_once(tmp_path: Path, db_path: Path) -> None:
    early = {**LIMITS, "primary": {**LIMITS["primary"], "used_percent": 5.0}}
    line = codex_token_count("2026-08-05T10:00:03.000Z", last=(500, 0, 50, 0), limits=LIMITS)
    write_lines(tmp_path / "sessions" / "a.jsonl", [codex_turn("2026-08-05T10:00:00Z"), line])
    # A fork repeats the parent's events, and an archived copy holds an older reading.
    write_lines(tmp_path / "sessions" / "b.jsonl", [codex_turn("2026-08-05T10:00:00Z"), line])
    write_lines(
        tmp_path / "archived_sessions" / "c.jsonl",
        [codex_token_count("2026-08-05T09:00:00.000Z", last=None, limits=early)],
    )
    with Store(db_path) as store:
        report = Scanner(store).scan("codex", roots_for("codex", tmp_path))
        assert (report.events_added, report.duplicates) == (1, 1)
        [primary] = [q for q in store.billing.latest_quotas("openai", "codex") if q.kind == "plan.five_hour"]
        assert primary.used == Decimal("18.0")
    assert codex_roots({"CODEX_HOME": "/x"}, tmp_path) == [Path("/x/sessions"), Path("/x/archived_sessions")]


def test_gemini_sessions_are_read_whole_and_an_updated_message_replaces_its_event(
    tmp_path: Path, db_path: Path
) -> None:
    chat = tmp_path / "tmp" / "abc123" / "chats" / "session-1.json"
    messages = [
        # total leaves cached out: cached is part of input.
        gemini_message(
            "m-7", "2026-08-05T08:03:02.000Z", input=8421, output=603, cached=6144, thoughts=388, tool=0, total=9412
        ),
        {"id": "u-1", "type": "user", "timestamp": "2026-08-05T08:03:00.000Z", "content": "hi"},
    ]
    write_lines(chat, [gemini_session("g-1", messages)])
    with Store(db_path) as store:
        first = Scanner(store).scan("gemini-cli", roots_for("gemini-cli", tmp_path / "tmp"))
        assert first.events_added == 1
        [row] = store.query(
            "SELECT input_tokens, cache_read_tokens, output_tokens, reasoning_tokens, project FROM events"
        )
        assert row == {
            "input_tokens": 8421 - 6144,
            "cache_read_tokens": 6144,
            "output_tokens": 603 + 388,
            "reasoning_tokens": 388,
            "project": "abc123",
        }
        messages[0]["tokens"]["output"] = 900
        messages[0]["tokens"]["total"] = 9709
        write_lines(chat, [gemini_session("g-1", messages)])
        again = Scanner(store).scan("gemini-cli", roots_for("gemini-cli", tmp_path / "tmp"))
        assert again.replaced == 1
        assert store.totals().events == 1 and store.totals().output_tokens == 900 + 388


def test_import_command_reads_a_path_and_prints_counts(tmp_path: Path, db_path: Path) -> None:
    f = write_lines(
        tmp_path / "claude" / "projects" / "p" / "s.jsonl",
        [
            claude_line(ts="2026-08-05T09:00:00Z", msg="a", req="1"),
            claude_line(ts="2026-08-05T09:00:00Z", msg="a", req="1"),
            "garbage",
        ],
    )
    runner = CliRunner()
    result = runner.invoke(cli, ["import", "claude", "--path", str(tmp_path / "claude"), "--json"])
    assert result.exit_code == 0, result.output
    [imp] = json.loads(result.output)["imports"]
    assert (imp["files"], imp["lines"], imp["events_added"], imp["duplicates"], imp["malformed"]) == (1, 3, 1, 1, 1)
    append_lines(f, [claude_line(ts="2026-08-05T09:05:00Z", msg="b", req="2")])
    human = runner.invoke(cli, ["import", "claude-code", "--path", str(tmp_path / "claude")])
    assert human.exit_code == 0
    assert "claude-code: 1 files (1 read), 1 lines, 1 events added, 0 duplicates, 0 malformed" in human.output
    bad = runner.invoke(cli, ["import", "--path", str(tmp_path)])
    assert bad.exit_code == 2 and "--path needs the agent" in bad.output


def test_import_with_no_agent_reads_every_agent_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    write_lines(home / ".claude" / "projects" / "p" / "s.jsonl", [claude_line(ts="2026-08-05T09:00:00Z")])
    write_lines(home / ".codex" / "sessions" / "r.jsonl", [codex_token_count("2026-08-05T10:00:00Z")])
    mp = monkeypatch
    mp.setenv("HOME", str(home))
    mp.delenv("CLAUDE_CONFIG_DIR", raising=False)
    mp.delenv("CODEX_HOME", raising=False)
    mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    result = CliRunner().invoke(cli, ["import", "--json"])
    assert result.exit_code == 0, result.output
    found = {i["source"]: i["events_added"] for i in json.loads(result.output)["imports"]}
    assert found == {"claude-code": 1, "codex": 1}
