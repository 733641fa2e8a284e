from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from costtui.cli import cli
from costtui.models import UsageEvent
from costtui.store import Store

NOW = datetime.now(UTC).replace(microsecond=0)
FIELDS = [
    "cost_usd",
    "events",
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "output_tokens",
    "unpriced_events",
]


def run(*args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def known(db_path: Path) -> Path:
    """A small dataset whose numbers are known by hand."""
    with Store(db_path) as s:
        s.record(
            [
                # gpt-4o-mini: $0.15/$0.60 per 1M → 0.00021 each
                UsageEvent(
                    event_id="a", ts=NOW, provider="openai", model="gpt-4o-mini", input_tokens=1000, output_tokens=100
                ),
                UsageEvent(
                    event_id="b", ts=NOW, provider="openai", model="gpt-4o-mini", input_tokens=1000, output_tokens=100
                ),
                # claude-haiku-4-5: $1 in, $0.10 cache read, $5 out → 0.001 + 0.0001 + 0.0005
                UsageEvent(
                    event_id="c",
                    ts=NOW - timedelta(days=40),
                    provider="anthropic",
                    model="claude-haiku-4-5",
                    input_tokens=1000,
                    cache_read_tokens=1000,
                    output_tokens=100,
                ),
                UsageEvent(event_id="d", ts=NOW, provider="acme", model="mystery-9000", input_tokens=7),
            ]
        )
    return db_path


def test_status_json_shape_and_numbers(known: Path) -> None:
    s = json.loads(run("status", "--json"))
    for part in ("totals", "today", "month_to_date"):
        for f in FIELDS:
            assert f in s[part]
        assert isinstance(s[part]["cost_usd"], str)
    assert Decimal(s["totals"]["cost_usd"]) == Decimal("0.00042") + Decimal("0.0016")
    assert Decimal(s["today"]["cost_usd"]) == Decimal("0.00042")
    assert s["today"]["events"] == 3 and s["today"]["unpriced_events"] == 1
    assert s["totals"]["events"] == 4 and s["totals"]["cache_read_tokens"] == 1000
    assert [r["name"] for r in s["by_provider"]] == ["anthropic", "openai", "acme"]
    for row in s["by_provider"] + s["by_model"]:
        assert all(f in row for f in FIELDS)
    assert s["unpriced_models"][0]["model"] == "mystery-9000"
    datetime.fromisoformat(s["generated_at"])
    # The month-end forecast never ends below what the month has already cost.
    f = s["forecast"]
    assert Decimal(f["month_to_date"]) == Decimal(s["month_to_date"]["cost_usd"])
    assert Decimal(f["low"]) <= Decimal(f["month_end"]) <= Decimal(f["high"])
    assert Decimal(f["month_to_date"]) <= Decimal(f["low"])


def test_status_on_empty_database_and_human_table(db_path: Path) -> None:
    s = json.loads(run("status", "--json"))
    assert s["totals"]["events"] == 0 and s["totals"]["cost_usd"] == "0"
    assert "No usage recorded yet" in run("status")


def test_status_human_lists_unpriced(known: Path) -> None:
    out = run("status")
    assert "all time" in out and "$0.0020" in out
    assert "acme/mystery-9000" in out and "costtui prices set" in out


def test_db_flag_beats_environment(tmp_path: Path, known: Path) -> None:
    other = tmp_path / "other.db"
    Store(other).close()
    out = run("--db", str(other), "paths")
    assert str(other) in out
    assert json.loads(run("--db", str(other), "status", "--json"))["totals"]["events"] == 0


def test_demo_fills_the_database(db_path: Path) -> None:
    out = run("demo", "--days", "14")
    assert "demo events" in out
    s = json.loads(run("status", "--json"))
    assert s["totals"]["events"] > 1000
    assert {r["name"] for r in s["by_provider"]} >= {"openai", "anthropic", "gemini", "openrouter", "groq"}
    assert len(s["by_model"]) >= 12
    assert s["totals"]["unpriced_events"] > 0 and s["totals"]["errors"] > 0
    # Running it twice adds nothing: demo ids are stable.
    run("demo", "--days", "14")
    assert json.loads(run("status", "--json"))["totals"]["events"] == s["totals"]["events"]


def test_prices_show_set_and_recost(known: Path) -> None:
    assert "$0.15 / 1M tokens" in run("prices", "show", "gpt-4o-mini")
    missing = CliRunner().invoke(cli, ["prices", "show", "mystery-9000"])
    assert missing.exit_code == 1 and "no price known" in missing.output and "prices set" in missing.output
    assert "Override #1" in run("prices", "set", "mystery-9000", "--input", "10", "--output", "20")
    assert "your override" in run("prices", "show", "mystery-9000")
    out = run("recost")
    assert "Re-priced 4 events" in out and "1 previously unpriced" in out
    recost_json = json.loads(run("recost", "--json"))
    assert recost_json["difference_usd"] == "0"
    assert json.loads(run("status", "--json"))["totals"]["unpriced_events"] == 0
    assert "#1" in run("prices", "list")
    run("prices", "remove", "1")
    assert "No price overrides" in run("prices", "list")


@pytest.mark.parametrize(
    "args,message",
    [
        (["prices", "set", "m", "--input", "abc", "--output", "1"], "is not a number"),
        (["prices", "set", "m", "--input", "-1", "--output", "1"], "non-negative"),
        (["prices", "set", "m", "--input", "1", "--output", "1", "--from", "2026-13-01"], "is not a date"),
        (["recost", "--since", "yesterday"], "is not a date"),
        (["prices", "remove", "99"], "no override #99"),
        (["db", "prune"], "no retention set"),
    ],
)
def test_bad_cli_input_is_a_clear_error(db_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    assert message in result.output


def test_db_backup_vacuum_reset(known: Path, tmp_path: Path) -> None:
    out = run("db", "backup", str(tmp_path / "b.db"))
    assert "Backed up" in out and (tmp_path / "b.db").stat().st_size > 0
    assert "Vacuumed" in run("db", "vacuum")
    refused = CliRunner().invoke(cli, ["db", "reset"], input="n\n")
    assert refused.exit_code == 1
    assert json.loads(run("status", "--json"))["totals"]["events"] == 4
    out = run("db", "reset", input="y\n")
    assert "Backup written to" in out
    backup = Path(out.split("Backup written to ")[1].split(";")[0])
    assert Store(backup).totals().events == 4
    assert json.loads(run("status", "--json"))["totals"]["events"] == 0


def test_prune_with_retention_setting(known: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("retention_days = 30\n")
    out = run("--config", str(cfg), "db", "prune")
    assert "Removed 1 raw events" in out
    assert json.loads(run("status", "--json"))["totals"]["events"] == 4  # daily totals kept


def test_bad_config_file_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("retention_days = [\n")
    result = CliRunner().invoke(cli, ["--config", str(cfg), "status"])
    assert result.exit_code == 1 and "cannot read config file" in result.output


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["--demo"], ["tui", "--demo"]),
        (["--demo", "--no-listener"], ["tui", "--demo", "--no-listener"]),
        (["--db", "x.db", "--demo"], ["--db", "x.db", "tui", "--demo"]),
        (["--db=x.db", "--no-listener"], ["--db=x.db", "tui", "--no-listener"]),
        (["status", "--json"], ["status", "--json"]),
        (["--db", "x.db", "status"], ["--db", "x.db", "status"]),
        ([], []),
        (["--help"], ["--help"]),
        (["--db", "x.db"], ["--db", "x.db", "tui"]),
        (["--db", "x.db", "--version"], ["--db", "x.db", "--version"]),
        # Global options after the command are moved in front of it.
        (["status", "--json", "--db", "x.db"], ["--db", "x.db", "status", "--json"]),
        (["keys", "list", "--config=c.toml"], ["--config=c.toml", "keys", "list"]),
        (["--demo", "--db", "x.db"], ["--db", "x.db", "tui", "--demo"]),
        (["add-cost", "--note", "x", "--", "--db"], ["add-cost", "--note", "x", "--", "--db"]),
        # An unknown word stays put, so that the group can say it is not a command.
        (["stauts", "--json"], ["stauts", "--json"]),
    ],
)
def test_tui_options_work_on_the_bare_command(argv: list[str], expected: list[str]) -> None:
    from costtui.cli import _with_default_command

    assert _with_default_command(argv) == expected


def test_global_options_after_the_command(known: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    Store(other).close()
    assert json.loads(run("status", "--json", "--db", str(other)))["totals"]["events"] == 0
    assert json.loads(run("status", "--db", str(known), "--json"))["totals"]["events"] == 4
    cfg = tmp_path / "c.toml"
    cfg.write_text("retention_days = 30\n")
    assert "Removed 1 raw events" in run("db", "prune", "--config", str(cfg))


def test_read_only_command_on_a_missing_named_database_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "costtui.db"
    for args in (["status", "--json"], ["status"], ["quotas"], ["quotas", "--json"]):
        result = CliRunner().invoke(cli, [*args, "--db", str(missing)])
        assert result.exit_code == 1, result.output
        assert f"no database at {missing}" in result.output
        assert result.output.count("\n") == 1  # one line, no traceback
    assert not (tmp_path / "no").exists()  # nothing created


def test_read_only_command_at_the_usual_place_reads_an_empty_database(db_path: Path) -> None:
    """COSTTUI_DB (and the XDG default) say where data will go: status reports nothing recorded,
    and creates nothing."""
    assert not db_path.exists()
    result = CliRunner().invoke(cli, ["status", "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["totals"]["events"] == 0 and report["database"] == str(db_path)
    human = CliRunner().invoke(cli, ["status"])
    assert human.exit_code == 0 and "No database yet" in human.output
    assert not db_path.exists()


def test_a_path_that_cannot_be_created_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    for args in (["demo", "--days", "1"], ["serve", "--no-sync"], ["tui", "--no-listener"], ["--no-listener"]):
        result = CliRunner().invoke(cli, [*args, "--db", str(blocker / "sub" / "c.db")])
        assert result.exit_code == 1, args
        assert result.output.startswith("Error: cannot create the database"), result.output
        assert result.output.count("\n") == 1


def test_a_named_config_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["paths", "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 1 and "config file" in result.output and "does not exist" in result.output


@pytest.mark.parametrize("argv,nearest", [(["stauts"], "status"), (["keys", "lst"], "list"), (["synk"], "sync")])
def test_unknown_command_names_the_nearest(argv: list[str], nearest: str) -> None:
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 2
    assert f"No such command '{argv[-1]}'" in result.output and f"Did you mean '{nearest}'" in result.output
    assert "unexpected extra argument" not in result.output


def test_help_shows_the_tui_options() -> None:
    out = run("--help")
    assert "--demo" in out and "--no-listener" in out and "status" in out
