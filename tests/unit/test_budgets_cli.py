"""`costtui budgets` and `costtui alerts` as a script uses them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner, Result

from costtui.cli import cli
from costtui.models import UsageEvent
from costtui.services.budgets import check_budgets
from costtui.store import Store


def run(db: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), *args], input=input)


def _spend(db: Path, cost: str) -> None:
    with Store(db) as store:
        now = datetime.now(UTC)
        store.record(
            [UsageEvent(event_id=f"e{cost}", ts=now, provider="openai", model="gpt-4o", cost_usd=Decimal(cost))]
        )


def test_add_list_edit_remove(db_path: Path) -> None:
    added = run(db_path, "budgets", "add", "team", "--limit", "100", "--scope", "provider", "--value", "OpenAI")
    assert added.exit_code == 0, added.output
    assert "Budget team added: $100.00 per month for provider openai, alerts at 50%, 80%, 100%." in added.output
    run(db_path, "budgets", "add", "daily", "--limit", "$2", "--period", "day", "--thresholds", "90")
    _spend(db_path, "1.5")

    listed = json.loads(run(db_path, "budgets", "list", "--json").output)
    by_name = {b["name"]: b for b in listed}
    assert by_name["daily"]["spend_usd"] == "1.5" and by_name["daily"]["percent"] == "75.0"
    assert by_name["daily"]["state"] == "ok" and by_name["team"]["scope_value"] == "openai"
    assert by_name["team"]["percent"] == "1.5" and by_name["team"]["thresholds"] == [50, 80, 100]

    table = run(db_path, "budgets", "list").output
    assert "daily" in table and "75.0%" in table and "provider openai" in table

    edited = run(db_path, "budgets", "edit", "daily", "--limit", "1", "--rename", "today")
    assert edited.exit_code == 0 and "Budget today: $1.00 per day" in edited.output
    assert "EXCEEDED" in run(db_path, "budgets", "list").output

    assert run(db_path, "budgets", "remove", "today").exit_code == 0
    assert [b["name"] for b in json.loads(run(db_path, "budgets", "list", "--json").output)] == ["team"]


def test_mistakes_are_said_in_words_and_change_nothing(db_path: Path) -> None:
    cases = [
        (["--limit", "0"], "limit: the limit must be more than 0"),
        (["--limit", "ten"], "'ten' is not a number"),
        (["--limit", "5", "--scope", "provider"], "a provider budget needs the provider it counts"),
        (["--limit", "5", "--thresholds", "50,x"], "thresholds: thresholds are whole percentages"),
        (["--limit", "5", "--scope", "account", "--value", "openai"], "provider/name"),
    ]
    for options, message in cases:
        result = run(db_path, "budgets", "add", "b", *options)
        assert result.exit_code != 0 and message in result.output, result.output
    run(db_path, "budgets", "add", "b", "--limit", "5")
    assert [b["limit_usd"] for b in json.loads(run(db_path, "budgets", "list", "--json").output)] == ["5"]
    again = run(db_path, "budgets", "add", "b", "--limit", "6")
    assert again.exit_code == 1 and "a budget named 'b' exists already" in again.output
    missing = run(db_path, "budgets", "remove", "nope")
    assert missing.exit_code == 1 and "no budget named 'nope'" in missing.output


def test_alerts_log_shows_thresholds_and_deliveries(db_path: Path) -> None:
    run(db_path, "budgets", "add", "m", "--limit", "10")
    _spend(db_path, "8")
    with Store(db_path) as store:
        (fifty, eighty) = check_budgets(store)
        d = store.budgets.add_delivery(eighty.id, "webhook", "hooks.example.com")  # type: ignore[arg-type]
        store.budgets.finish_delivery(d.id, "failed", 4, "hooks.example.com answered HTTP 500")  # type: ignore[arg-type]
    log = json.loads(run(db_path, "budgets", "alerts", "--json").output)
    assert [a["threshold"] for a in log] == [80, 50]
    assert log[0]["deliveries"] == [
        {
            "channel": "webhook",
            "target": "hooks.example.com",
            "status": "failed",
            "attempts": 4,
            "error": "hooks.example.com answered HTTP 500",
            "sent_at": None,
        }
    ]
    text = run(db_path, "budgets", "alerts").output
    assert "m: 80%" in text and "FAILED: hooks.example.com answered HTTP 500 (4 attempts)" in text


def test_alerts_test_without_channels_says_how_to_add_one(db_path: Path) -> None:
    result = run(db_path, "alerts", "test")
    assert result.exit_code == 1 and "[[alerts.webhooks]]" in result.output


def test_alerts_test_reports_a_failing_channel(db_path: Path, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[alerts]\nretries = 0\n[[alerts.webhooks]]\nurl = "http://127.0.0.1:9/never"\n')
    result = run(db_path, "--config", str(config), "alerts", "test")
    assert result.exit_code == 1 and "webhook → 127.0.0.1:9: FAILED after 1 attempts: cannot reach" in result.output


def test_email_password_goes_to_the_keyring(db_path: Path, memory_keyring: object) -> None:
    result = run(db_path, "alerts", "email-password", input="s3cret-pw\n")
    assert result.exit_code == 0, result.output
    assert "s3cret-pw" not in result.output
    from costtui.secrets import Credentials

    assert Credentials().get_secret("alerts:smtp") == "s3cret-pw"


def test_status_exit_code_follows_the_worst_budget(db_path: Path) -> None:
    Store(db_path).close()
    empty = run(db_path, "status", "--json")
    assert empty.exit_code == 0 and json.loads(empty.output)["budgets"] == []
    run(db_path, "budgets", "add", "m", "--limit", "10", "--thresholds", "80,100")
    _spend(db_path, "5")
    assert run(db_path, "status", "--json").exit_code == 0  # 50%: under the first threshold
    _spend(db_path, "3.5")
    warned = run(db_path, "status", "--json")
    doc = json.loads(warned.output)
    assert warned.exit_code == 1 and doc["budgets_state"] == "warning"
    (budget,) = doc["budgets"]
    assert (budget["name"], budget["spend_usd"], budget["percent"], budget["state"]) == ("m", "8.5", "85.0", "warning")
    assert budget["limit_usd"] == "10" and budget["period"] == "month" and "projected_usd" in budget
    plain = run(db_path, "status")
    assert plain.exit_code == 1 and "WARNING" in plain.output and "exit code 1" in plain.output
    _spend(db_path, "2")
    assert run(db_path, "status", "--json").exit_code == 2
    assert run(db_path, "status").exit_code == 2


def test_status_json_has_alerts_and_freshness(db_path: Path) -> None:
    run(db_path, "budgets", "add", "m", "--limit", "10")
    _spend(db_path, "6")
    with Store(db_path) as store:
        check_budgets(store)
    doc = json.loads(run(db_path, "status", "--json").output)
    assert [(a["budget"], a["threshold"], a["deliveries"]) for a in doc["alerts"]] == [("m", 50, [])]
    fresh = doc["freshness"]
    assert fresh["newest_event_at"] == doc["last_event_at"] and 0 <= fresh["newest_event_age_seconds"] < 600
    assert fresh["accounts"] == []
    # Every key that was there before stays.
    for key in ("totals", "today", "month_to_date", "by_provider", "by_model", "quotas", "accounts", "billed"):
        assert key in doc
