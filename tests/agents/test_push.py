"""`costtui push` against a real listener on a real socket: ids kept, machine named, idempotent,
resumable."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import httpx
import pytest
from logtree import claude_line, write_lines

from costtui.agents.paths import roots_for
from costtui.agents.scan import Scanner
from costtui.config import ListenerSettings
from costtui.listener import Listener
from costtui.services.push import PushError, push
from costtui.store import Store

sys.path.insert(0, str(Path(__file__).parent.parent / "listener"))
from listener_helpers import INGEST_KEY, rows  # noqa: E402


@pytest.fixture
async def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("COSTTUI_INGEST_KEY", INGEST_KEY)
    db = tmp_path / "home.db"
    Store(db).close()
    lst = Listener(db, ListenerSettings(port=0), port=0)
    await lst.start()
    try:
        yield lst, db
    finally:
        await lst.stop()


def laptop(tmp_path: Path, n: int) -> Path:
    db = tmp_path / "laptop.db"
    lines = [claude_line(ts=f"2026-08-05T09:{i:02d}:00Z", msg=f"m{i}", req=f"r{i}", output=10 + i) for i in range(n)]
    write_lines(tmp_path / "claude" / "projects" / "p" / "s.jsonl", lines)
    with Store(db) as store:
        Scanner(store).scan("claude-code", roots_for("claude-code", tmp_path / "claude"))
    return db


async def test_pushing_twice_counts_once_at_home(tmp_path: Path, home: tuple[Listener, Path]) -> None:
    listener, home_db = home
    db = laptop(tmp_path, 7)

    def run(**kw: object) -> object:
        with Store(db) as store:
            return push(store, listener.url, INGEST_KEY, machine="laptop", batch=3, **kw)  # type: ignore[arg-type]

    first = await asyncio.to_thread(run)
    assert (first.sent, first.accepted, first.batches) == (7, 7, 3)  # type: ignore[attr-defined]
    again = await asyncio.to_thread(run)
    assert again.sent == 0  # type: ignore[attr-defined]  # the cursor remembers
    # Even re-sent from scratch (a lost cursor), home keeps one copy of each event.
    with Store(db) as store:
        store.agents.set_push_cursor(listener.url.rstrip("/") + "/ingest", 0)
    resent = await asyncio.to_thread(run)
    assert (resent.sent, resent.accepted, resent.duplicates) == (7, 0, 7)  # type: ignore[attr-defined]

    at_home = rows(home_db, "SELECT event_id, session, project, tags, output_tokens, cost_nusd FROM events ORDER BY ts")
    local = rows(db, "SELECT event_id, cost_nusd FROM events ORDER BY ts")
    assert [r["event_id"] for r in at_home] == [r["event_id"] for r in local]
    assert [r["cost_nusd"] for r in at_home] == [r["cost_nusd"] for r in local]
    assert json.loads(at_home[0]["tags"]) == ["machine=laptop", "agent=claude-code"]
    assert at_home[0]["session"] == "s1" and at_home[0]["project"] == "/home/ana/src/app"


async def test_a_failed_push_resumes_where_it_stopped(tmp_path: Path, home: tuple[Listener, Path]) -> None:
    listener, home_db = home
    db = laptop(tmp_path, 5)
    calls = {"n": 0}
    real = httpx.Client(timeout=10)

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] >= 2:  # the second batch never gets through
            raise httpx.ConnectError("network down", request=request)
        resp = real.send(request)
        resp.read()
        return httpx.Response(resp.status_code, content=resp.content, headers=resp.headers)

    def run(client: httpx.Client | None) -> object:
        with Store(db) as store:
            return push(
                store, listener.url, INGEST_KEY, machine="m", batch=2, client=client, retries=2, sleep=lambda s: None
            )

    with pytest.raises(PushError, match="gave up after 2 retries"):
        await asyncio.to_thread(run, httpx.Client(transport=httpx.MockTransport(flaky)))
    assert len(rows(home_db)) == 2
    done = await asyncio.to_thread(run, None)
    assert done.sent == 3  # type: ignore[attr-defined]
    assert len(rows(home_db)) == 5
    real.close()


async def test_a_wrong_key_stops_at_once(tmp_path: Path, home: tuple[Listener, Path]) -> None:
    listener, _ = home
    db = laptop(tmp_path, 1)

    def run() -> object:
        with Store(db) as store:
            return push(store, listener.url, "cti_wrong", sleep=lambda s: None)

    with pytest.raises(PushError, match="refused the ingest key"):
        await asyncio.to_thread(run)


async def test_push_command_sends_imported_events_once(
    tmp_path: Path, home: tuple[Listener, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from costtui.cli import cli

    listener, home_db = home
    write_lines(
        tmp_path / "agents" / "claude" / "projects" / "p" / "s.jsonl",
        [
            claude_line(ts="2026-08-05T09:00:00Z", msg="a", req="1"),
            claude_line(ts="2026-08-05T09:01:00Z", msg="b", req="2"),
        ],
    )
    monkeypatch.setenv("COSTTUI_PUSH_KEY", INGEST_KEY)

    def run() -> object:
        return CliRunner().invoke(cli, ["push", "--to", listener.url, "--machine", "box", "--json"])

    first = await asyncio.to_thread(run)
    assert first.exit_code == 0, first.output  # type: ignore[attr-defined]
    assert json.loads(first.output)["accepted"] == 2  # type: ignore[attr-defined]
    second = await asyncio.to_thread(run)
    assert json.loads(second.output)["sent"] == 0  # type: ignore[attr-defined]
    assert len(rows(home_db)) == 2
    bad = CliRunner().invoke(cli, ["push", "--to", "ftp://home"])
    assert bad.exit_code == 2 and "http://" in bad.output
