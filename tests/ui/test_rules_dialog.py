"""Editing the proxy rules from Settings: the dialog writes the [rules] table of the config file,
keeps the rest of the file, and the section shows the new rules."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from textual.widgets import Input, Select

from costtui.config import load_settings
from costtui.ui.dialogs.rules import RulesDialog
from costtui.ui.screens.settings import SettingsScreen
from costtui.ui.widgets.rules_section import RulesSection

from .conftest import build_app, settle, text_of


async def test_rules_dialog_saves_to_the_config_file(demo_db: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("# mine\nretention_days = 400\n\n[rules]\nrpm_per_key = 60\n", encoding="utf-8")
    app = build_app(demo_db)
    app.config_file = config
    app.settings.rules = load_settings(config).rules
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("0")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        section = app.screen.query_one(RulesSection)
        assert "60 per key" in text_of(section)
        await pilot.press("l")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, RulesDialog)
        assert dialog.query_one("#rules-rpm-per-key", Input).value == "60"

        # A wrong value is named by its label and nothing is written.
        dialog.query_one("#rules-tpm-per-key", Input).value = "lots"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        assert "Tokens per minute per key: 'lots' is not a whole number" in text_of(dialog.query_one("#rules-error"))
        dialog.query_one("#rules-max-cost-per-call-usd", Input).value = "-3"
        dialog.query_one("#rules-tpm-per-key", Input).value = "20,000"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Max $ per call: must be more than 0" in text_of(dialog.query_one("#rules-error"))
        assert "max_cost" not in config.read_text(encoding="utf-8")

        dialog.query_one("#rules-max-cost-per-call-usd", Input).value = "$0.25"
        dialog.query_one("#rules-allow-models", Input).value = "gpt-4o*, anthropic:claude-*"
        dialog.query_one("#rules-blocklist", Input).value = "project falcon, hunter2"
        dialog.query_one("#rules-detect-email", Select).value = "flag"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)

        saved = load_settings(config)
        assert saved.retention_days == 400  # the rest of the file is kept
        assert "# mine" in config.read_text(encoding="utf-8")
        assert saved.rules.allow_models == ["gpt-4o*", "anthropic:claude-*"]
        assert saved.rules.max_cost_per_call_usd == Decimal("0.25")
        assert saved.rules.rpm_per_key == 60 and saved.rules.tpm_per_key == 20_000
        assert saved.rules.blocklist == ["project falcon", "hunter2"]
        assert saved.rules.detect_email == "flag"
        assert app.settings.rules == saved.rules  # in effect in the app at once
        shown = text_of(app.screen.query_one(RulesSection))
        assert "gpt-4o*, anthropic:claude-*" in shown and "$0.25" in shown and "emails flag" in shown


async def test_cancel_writes_nothing(demo_db: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    app = build_app(demo_db)
    app.config_file = config
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("0", "l")
        await settle(pilot)
        app.screen.query_one("#rules-rpm-per-key", Input).value = "5"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert not config.exists()
        assert "No rules set" in text_of(app.screen.query_one(RulesSection))
