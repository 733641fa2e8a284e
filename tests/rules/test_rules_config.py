"""The [rules] table: validation that names the setting, rewriting it without losing the rest of
the file, and `costtui rules show|check`."""

from __future__ import annotations

import json
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from costtui.cli import cli
from costtui.config import ConfigError, RulesSettings, load_settings, save_rules
from costtui.models import Budget
from costtui.store import Store

CONFIG = """\
# my costtui settings
retention_days = 30  # a month is enough

[listener]
port = 9000
cors_origins = ["https://dash.example.com"]

[rules]
rpm_per_key = 10  # old limit
detect_email = "flag"

# keys are rebound here
[ui.keymap]
"screen.activity" = "a"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rules_read_from_the_config_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[rules]\nallow_models = ["gpt-4o*"]\nmax_cost_per_call_usd = "0.50"\ntpm_per_key = 10000\ndetect_card = "block"\n',
    )
    rules = load_settings(path).rules
    assert rules.allow_models == ["gpt-4o*"]
    assert rules.max_cost_per_call_usd == Decimal("0.50")
    assert rules.tpm_per_key == 10_000 and rules.detect_card == "block"
    assert rules.any_rule and not RulesSettings().any_rule


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("max_cost_per_call_usd = 0.5", 'rules.max_cost_per_call_usd: write the amount as a string, e.g. "0.50"'),
        ('max_cost_per_call_usd = "ten"', "rules.max_cost_per_call_usd: not a decimal amount"),
        ('max_cost_per_call_usd = "-1"', "rules.max_cost_per_call_usd: must be more than 0"),
        ("rpm_per_key = 0", "rules.rpm_per_key: Input should be greater than or equal to 1"),
        ('detect_phone = "warn"', "rules.detect_phone: Input should be 'off', 'flag' or 'block'"),
        ('allow_models = ["gpt 4"]', "rules.allow_models: model pattern 'gpt 4' must be 1 to 200 characters"),
        ('blocklist = [""]', "rules.blocklist: blocklist entry '' must be a word or phrase"),
        ("rpm_per_keys = 5", "rules.rpm_per_keys: Extra inputs are not permitted"),
    ],
)
def test_a_bad_rule_is_named_in_the_error(tmp_path: Path, line: str, message: str) -> None:
    path = _write(tmp_path, f"[rules]\n{line}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_the_environment_sets_rules_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COSTTUI_RULES__RPM_PER_KEY", "42")
    assert load_settings(_write(tmp_path, "")).rules.rpm_per_key == 42


def test_save_rules_rewrites_only_the_rules_table(tmp_path: Path) -> None:
    path = _write(tmp_path, CONFIG)
    rules = RulesSettings(
        allow_models=["gpt-4o*", "anthropic:claude-*"],
        max_cost_per_call_usd=Decimal("0.25"),
        blocklist=['say "hi"', "naïve"],
        detect_api_key="block",
    )
    save_rules(path, rules)
    text = path.read_text(encoding="utf-8")
    # Every other setting and every comment outside the table stays.
    for kept in ("# my costtui settings", "# a month is enough", "# keys are rebound here", "port = 9000"):
        assert kept in text
    assert "old limit" not in text and "rpm_per_key" not in text
    settings = load_settings(path)
    assert settings.rules == rules
    assert settings.retention_days == 30 and settings.listener.port == 9000
    assert settings.listener.cors_origins == ["https://dash.example.com"]
    assert settings.ui.keymap == {"screen.activity": "a"}
    assert tomllib.loads(text)["rules"]["max_cost_per_call_usd"] == "0.25"


def test_save_rules_creates_the_file_and_appends_a_table(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    save_rules(path, RulesSettings(rpm_per_key=5))
    assert load_settings(path).rules.rpm_per_key == 5
    existing = _write(tmp_path, "retention_days = 7\n")
    save_rules(existing, RulesSettings(detect_email="flag"))
    assert existing.read_text(encoding="utf-8") == 'retention_days = 7\n\n[rules]\ndetect_email = "flag"\n'
    save_rules(existing, RulesSettings())  # back to no rules: an empty table
    assert load_settings(existing).rules == RulesSettings()


def test_save_rules_refuses_a_file_it_cannot_rewrite_safely(tmp_path: Path) -> None:
    text = "rules.rpm_per_key = 5\n"
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match="edit the file by hand"):
        save_rules(path, RulesSettings(rpm_per_key=6))
    assert path.read_text(encoding="utf-8") == text  # nothing lost
    broken = _write(tmp_path, "[rules\n")
    with pytest.raises(ConfigError, match="cannot read config file"):
        save_rules(broken, RulesSettings())


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_rules_show_and_check(tmp_path: Path, db_path: Path) -> None:
    path = _write(
        tmp_path,
        '[rules]\nallow_models = ["gpt-4o*", "opnai:o3"]\nrpm_per_key = 60\ntpm_per_app = 5000\ndetect_card = "block"\n',
    )
    with Store(db_path) as store:
        store.budgets.add(
            Budget(name="team cap", scope="team", scope_value="core", limit_usd=Decimal(50), enforce=True)
        )
    out = _run("rules", "check", "--config", str(path), "--db", str(db_path))
    assert "the rules are valid" in out
    assert "warning: rules.allow_models: 'opnai'" in out
    assert "60 per key" in out and "5,000 per app" in out and "card numbers block" in out
    assert "team cap: $50.00 per month, team core" in out
    data = json.loads(_run("rules", "show", "--json", "--config", str(path), "--db", str(db_path)))
    assert data["rules"] == {
        "allow_models": ["gpt-4o*", "opnai:o3"],
        "rpm_per_key": 60,
        "tpm_per_app": 5000,
        "detect_card": "block",
    }
    assert data["enforced_budgets"][0]["limit_usd"] == "50"


def test_cli_rules_check_fails_on_a_bad_setting(tmp_path: Path) -> None:
    path = _write(tmp_path, "[rules]\nrpm_per_key = -1\n")
    result = CliRunner().invoke(cli, ["rules", "check", "--config", str(path)])
    assert result.exit_code == 1
    assert "rules.rpm_per_key" in result.output


def test_cli_rules_show_without_rules(tmp_path: Path) -> None:
    out = _run("rules", "show", "--config", str(_write(tmp_path, "")))
    assert "No [rules] set" in out and "any model" in out
