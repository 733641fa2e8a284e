"""A database costtui may not write: the commands that only read (status, quotas, db backup) read
it and create nothing; `costtui serve` refuses in one line; an old layout that cannot be upgraded
read-only says so in one line.

Tests run as root here, and root writes through chmod. So the read-only condition is injected
(``database_writable`` says no, as it does for a user without write access), and the real
file-permission path runs in a subprocess without root's override (``setpriv`` dropping
CAP_DAC_OVERRIDE), or directly when the tests do not run as root.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import costtui.store.db as store_db
from costtui.cli import cli
from costtui.models import UsageEvent
from costtui.store import Store
from costtui.store.migrations import migrate

TS = datetime(2026, 3, 1, 10, tzinfo=UTC)


def event(event_id: str) -> UsageEvent:
    return UsageEvent(event_id=event_id, ts=TS, provider="openai", model="gpt-4o-mini", input_tokens=1000)


def listing(folder: Path, *, shm_may_change: bool = False) -> dict[str, tuple[int, int]]:
    """Every file in the folder with its size and modification time: what "created or changed nothing"
    compares. ``shm_may_change``: root may write to a 0444 ``-shm`` file, and SQLite then uses it
    (it is shared memory, the index of the -wal file, not data); anyone else cannot."""
    return {
        p.name: (0, 0) if shm_may_change and p.name.endswith("-shm") else (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
    }


def make_read_only(folder: Path) -> None:
    for p in folder.iterdir():
        p.chmod(0o444)
    folder.chmod(0o555)


@pytest.fixture
def ro_folder(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "ro"
    folder.mkdir()
    yield folder
    folder.chmod(0o755)  # so that pytest can remove it


@pytest.fixture
def closed_wal_db(ro_folder: Path) -> Path:
    """A WAL database written and closed cleanly (no -wal file left), then chmod 0444, folder 0555."""
    db = ro_folder / "costtui.db"
    with Store(db) as store:
        store.record([event("a"), event("b")])
    assert db.read_bytes()[18:20] == b"\x02\x02"  # the header says WAL (read without opening it)
    assert sorted(p.name for p in ro_folder.iterdir()) == ["costtui.db"]
    make_read_only(ro_folder)
    return db


@pytest.fixture
def crashed_wal_db(ro_folder: Path, tmp_path: Path) -> Path:
    """A WAL database whose last commit is only in its -wal file (its writer died), then read-only."""
    live = tmp_path / "live"
    live.mkdir()
    store = Store(live / "costtui.db")
    store.record([event("a")])
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.conn.execute("PRAGMA wal_autocheckpoint=0")
    store.record([event("b")])  # committed, in the -wal file only
    for name in ("costtui.db", "costtui.db-wal", "costtui.db-shm"):
        shutil.copy2(live / name, ro_folder / name)  # the files as a killed writer leaves them
    store.close()
    assert (ro_folder / "costtui.db-wal").stat().st_size > 0
    make_read_only(ro_folder)
    return ro_folder / "costtui.db"


@pytest.fixture
def not_writable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_db, "database_writable", lambda path: False)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.mark.usefixtures("not_writable")
@pytest.mark.parametrize("fixture", ["closed_wal_db", "crashed_wal_db"])
def test_read_only_commands_read_a_read_only_database_and_create_nothing(
    fixture: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    db: Path = request.getfixturevalue(fixture)
    before = listing(db.parent, shm_may_change=True)
    code, out = invoke("--db", str(db), "status", "--json")
    assert code == 0, out
    assert '"events": 2' in out  # both events: the one in the -wal file too
    code, out = invoke("--db", str(db), "quotas")
    assert code == 0, out
    backup = tmp_path / "backup.db"
    code, out = invoke("--db", str(db), "db", "backup", str(backup))
    assert code == 0, out
    with Store(backup) as copy:
        assert copy.count_events() == 2
    assert listing(db.parent, shm_may_change=True) == before


@pytest.mark.usefixtures("not_writable")
def test_serve_on_a_read_only_database_is_one_line(closed_wal_db: Path) -> None:
    code, out = invoke("--db", str(closed_wal_db), "serve", "--port", "0", "--no-sync")
    assert code == 1
    assert out.strip().count("\n") == 0, out
    assert str(closed_wal_db) in out and "read-only" in out and "Traceback" not in out


@pytest.mark.usefixtures("not_writable")
def test_an_old_layout_on_a_read_only_database_is_one_line(ro_folder: Path) -> None:
    db = ro_folder / "costtui.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    migrate(conn, upto=2)
    conn.close()
    make_read_only(ro_folder)
    code, out = invoke("--db", str(db), "status")
    assert code == 1
    assert out.strip().count("\n") == 0, out
    assert "read-only" in out and "older layout" in out and "write access" in out


def test_a_writable_database_is_still_migrated_and_written(db_path: Path) -> None:
    """The read-only path is only for databases that cannot be written."""
    with Store(db_path) as store:
        store.record([event("a")])
    code, out = invoke("db", "backup", str(db_path.parent / "b.db"))
    assert code == 0, out
    with Store(db_path) as store:
        assert not store.read_only and store.count_events() == 1


# --------------------------------------------------------------------------- the real permissions


def _unprivileged() -> list[str] | None:
    """A command prefix that runs without root's permission override, or None if there is none."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner"]
    try:
        probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return prefix if probe.returncode == 0 else None


def run_unprivileged(*args: str) -> subprocess.CompletedProcess[str]:
    prefix = _unprivileged()
    if prefix is None:
        pytest.skip("running as root without setpriv: chmod cannot make a file read-only for root")
    return subprocess.run(
        [*prefix, sys.executable, "-m", "costtui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


@pytest.mark.parametrize("fixture", ["closed_wal_db", "crashed_wal_db"])
def test_real_permissions_read_only_commands(fixture: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    db: Path = request.getfixturevalue(fixture)
    assert stat.S_IMODE(db.stat().st_mode) == 0o444 and stat.S_IMODE(db.parent.stat().st_mode) == 0o555
    before = listing(db.parent)
    status = run_unprivileged("--db", str(db), "status", "--json")
    assert status.returncode == 0, status.stderr
    assert '"events": 2' in status.stdout
    quotas = run_unprivileged("--db", str(db), "quotas")
    assert quotas.returncode == 0, quotas.stderr
    out = tmp_path / "backups"
    out.mkdir()
    backup = run_unprivileged("--db", str(db), "db", "backup", str(out / "copy.db"))
    assert backup.returncode == 0, backup.stderr
    assert listing(db.parent) == before


def test_real_permissions_serve_is_one_line(closed_wal_db: Path) -> None:
    serve = run_unprivileged("--db", str(closed_wal_db), "serve", "--port", "0", "--no-sync")
    assert serve.returncode == 1
    lines = serve.stderr.strip().splitlines()
    assert len(lines) == 1, serve.stderr
    assert str(closed_wal_db) in lines[0] and "read-only" in lines[0]
