"""`costtui claude-statusline` with the stdin documents Claude Code writes (quota_sources.md §6.1)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from costtui.commands import statusline_cli
from costtui.services import claude_statusline as cs
from costtui.store import Store

NOW = 1_787_690_000.0
SRC = str(Path(__file__).resolve().parents[2] / "src")


def doc(**rate_limits: object) -> bytes:
    body: dict[str, object] = {
        "session_id": "4f0d2c1e",
        "version": "2.1.240",
        "model": {"id": "claude-sonnet-4-5", "display_name": "Sonnet 4.5"},
        "cost": {"total_cost_usd": 1.37, "total_duration_ms": 812000},
    }
    if rate_limits:
        body["rate_limits"] = rate_limits
    return json.dumps(body).encode()


WINDOWS = {
    "five_hour": {"used_percentage": 23.5, "resets_at": int(NOW) + 2 * 3600 + 600},
    "seven_day": {"used_percentage": 41.0, "resets_at": int(NOW) + 3 * 86400 + 4 * 3600},
}


def test_windows_present_line_shows_model_cost_and_both_windows() -> None:
    line = cs.render(cs.parse(doc(**WINDOWS)), NOW)
    assert line == "Sonnet 4.5 · $1.37 · 5h 24% ↻2h10m · 7d 41% ↻3d4h"


def test_windows_absent_line_shows_model_and_cost_only() -> None:
    assert cs.render(cs.parse(doc()), NOW) == "Sonnet 4.5 · $1.37"


def test_expired_window_says_reset_instead_of_an_old_percentage() -> None:
    expired = {**WINDOWS, "five_hour": {"used_percentage": 97, "resets_at": int(NOW) - 5}}
    line = cs.render(cs.parse(doc(**expired)), NOW)
    assert "5h reset" in line and "97" not in line and "7d 41%" in line


def test_one_window_missing_and_unknown_keys_ignored() -> None:
    reading = cs.parse(doc(seven_day=WINDOWS["seven_day"], iguana_necktie={"used_percentage": 5}))
    assert [w.key for w in reading.windows] == ["seven_day"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"garbage",
        b"[1, 2]",
        b"null",
        b'{"rate_limits": "x"}',
        b'{"model": 5, "cost": []}',
        b"\xff\xfe",
        b"[" * 100_000,
    ],
)
def test_malformed_stdin_prints_something_short(raw: bytes) -> None:
    out = io.StringIO()
    assert statusline_cli.statusline(raw, record=False, out=out) == 0
    text = out.getvalue()
    assert text.endswith("\n") and 0 < len(text) < 60


def test_hostile_model_name_cannot_write_escape_sequences() -> None:
    raw = json.dumps({"model": {"display_name": "\x1b]0;pwned\x07Opus\u202e"}}).encode()
    assert "\x1b" not in cs.render(cs.parse(raw), NOW)


def test_windows_kept_in_the_store_through_record_quotas(tmp_path: Path) -> None:
    spool = str(tmp_path / "spool.json")
    assert cs.write_spool(spool, cs.parse(doc(**WINDOWS)), NOW) is True
    store = Store(tmp_path / "db.sqlite")
    assert cs.record_spool(store, spool) == 2
    quotas = {q.kind: q for q in store.billing.latest_quotas(provider="anthropic")}
    five = quotas["plan.five_hour"]
    assert five.used == Decimal("23.5") and five.remaining == Decimal("76.5") and five.unit == "percent"
    assert five.source == "statusline" and five.resets_at is not None
    assert int(five.resets_at.timestamp()) == WINDOWS["five_hour"]["resets_at"]
    # The same windows a second later are not due another copy (a render is not a sync) ...
    assert cs.write_spool(spool, cs.parse(doc(**WINDOWS)), NOW + 1) is False
    # ... a change is, once the throttle has passed.
    changed = {**WINDOWS, "five_hour": {**WINDOWS["five_hour"], "used_percentage": 30}}
    assert cs.write_spool(spool, cs.parse(doc(**changed)), NOW + 5) is False
    assert cs.write_spool(spool, cs.parse(doc(**changed)), NOW + 40) is True
    cs.record_spool(store, spool)
    history = store.billing.quota_history("anthropic", cs.ACCOUNT, "plan.five_hour")
    assert [h.used for h in history] == [Decimal("23.5"), Decimal("30")]
    store.close()


def test_no_windows_keeps_the_last_known_ones(tmp_path: Path) -> None:
    spool = str(tmp_path / "spool.json")
    cs.write_spool(spool, cs.parse(doc(**WINDOWS)), NOW)
    assert cs.write_spool(spool, cs.parse(doc()), NOW + 100) is False
    assert len(cs.spool_snapshots(spool)) == 2


def test_previous_command_line_is_appended(tmp_path: Path) -> None:
    out = io.StringIO()
    statusline_cli.statusline(doc(**WINDOWS), then="printf 'git:main\\nsecond'", record=False, out=out)
    assert out.getvalue().rstrip().endswith("│ git:main")


def test_previous_command_that_hangs_is_left_out_quickly() -> None:
    out = io.StringIO()
    start = time.monotonic()
    statusline_cli.statusline(doc(), then="sleep 5", record=False, out=out)
    assert time.monotonic() - start < 3
    assert out.getvalue() == "Sonnet 4.5 · $1.37\n"


def test_previous_command_from_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[plans]\nstatusline_previous_command = "echo from-config"\n')
    out = io.StringIO()
    statusline_cli.statusline(doc(), record=False, config_file=str(config), out=out)
    assert out.getvalue().strip().endswith("│ from-config")


def test_linux_cache_folder_matches_paths() -> None:
    from costtui import paths

    if sys.platform.startswith("linux"):
        assert statusline_cli._xdg_dir("cache") == str(paths.cache_dir())
        assert statusline_cli._xdg_dir("config") == str(paths.config_dir())


def _run(args: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run(
        [sys.executable, "-m", "costtui", "claude-statusline", *args],
        input=stdin,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_command_exits_0_on_garbage_and_records_windows(tmp_path: Path) -> None:
    bad = _run(["--no-record"], b"not json at all")
    assert bad.returncode == 0 and bad.stdout.decode().strip() == "costtui: no status data"
    now = int(time.time())
    good = doc(five_hour={"used_percentage": 12, "resets_at": now + 3600})
    done = _run([], good)
    assert done.returncode == 0 and "5h 12%" in done.stdout.decode()
    spool = Path(os.environ["XDG_CACHE_HOME"]) / "costtui" / "claude-statusline.json"
    assert spool.exists()
    # The detached recorder's work, run here so the test need not wait for it.
    assert statusline_cli.record_main([str(spool)]) == 0
    store = Store(Path(os.environ["COSTTUI_DB"]))
    assert [q.kind for q in store.billing.latest_quotas(provider="anthropic")] == ["plan.five_hour"]
    store.close()


def test_help_lists_the_command_and_fast_path_has_usage() -> None:
    from click.testing import CliRunner

    from costtui.cli import cli

    assert "claude-statusline" in CliRunner().invoke(cli, ["--help"]).output
    done = _run(["--help"], b"")
    assert done.returncode == 0 and b"statusLine" in done.stdout


def test_fast_path_does_not_load_click_pydantic_or_the_store() -> None:
    code = (
        "import sys, io; sys.argv = ['costtui', 'claude-statusline', '--no-record'];"
        "sys.stdin = io.TextIOWrapper(io.BytesIO(b'{}'));"
        "from costtui.__main__ import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('click', 'pydantic', 'sqlite3', 'textual', 'costtui.store') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": SRC},
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert b"HEAVY []" in done.stdout, done.stdout + done.stderr


def test_costtui_sync_with_only_the_status_line_copies_its_windows() -> None:
    from click.testing import CliRunner

    from costtui.cli import cli
    from costtui.services.plans import spool_path

    assert CliRunner().invoke(cli, ["sync"]).exit_code != 0  # nothing to sync at all: said so
    cs.write_spool(spool_path(), cs.parse(doc(**WINDOWS)), NOW)
    res = CliRunner().invoke(cli, ["sync", "--quotas-only"])
    assert res.exit_code == 0, res.output
    store = Store(Path(os.environ["COSTTUI_DB"]))
    assert {q.kind for q in store.billing.latest_quotas(provider="anthropic")} == {"plan.five_hour", "plan.seven_day"}
    store.close()
