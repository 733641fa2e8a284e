"""Every dialog, built the way the app opens it, with a valid way to fill it (shared by the pilot
tests and the snapshots)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from costtui.config import RulesSettings, SecretsSettings
from costtui.formatting import TimeZoneRule
from costtui.models import EventFilter
from costtui.secrets import Credentials
from costtui.ui.dialogs.account import AddAccountModal
from costtui.ui.dialogs.base import Dialog
from costtui.ui.dialogs.budget_form import BudgetFormModal
from costtui.ui.dialogs.confirm import ConfirmModal
from costtui.ui.dialogs.filters import FilterScreen, JumpScreen
from costtui.ui.dialogs.manual_cost import ManualCostModal
from costtui.ui.dialogs.passphrase import PassphraseModal
from costtui.ui.dialogs.price_form import PriceFormScreen
from costtui.ui.dialogs.rules import RulesDialog
from costtui.ui.dialogs.tokens import PickTokenScreen, TokenNameScreen


async def _nothing(dialog: Any, pilot: Pilot[Any]) -> None:
    return None


def _typed(**values: str) -> Callable[[Any, Pilot[Any]], Awaitable[None]]:
    """Fill the dialog's inputs by id (as if typed)."""

    async def fill(dialog: Any, pilot: Pilot[Any]) -> None:
        for wid, value in values.items():
            dialog.query_one(f"#{wid}", Input).value = value
        await pilot.pause()

    return fill


@dataclass
class Case:
    name: str
    build: Callable[[Any], Dialog[Any]]
    """Builds the dialog for a running app."""
    fill: Callable[[Any, Pilot[Any]], Awaitable[None]] = _nothing
    """Makes the form valid, so that ctrl+s saves."""
    saved: Callable[[Any], bool] = lambda result: result is not None
    """True for what the dialog returns when it saved."""
    cancelled: Any = None
    labels: tuple[str, ...] = ("Save", "Cancel")
    kwargs: dict[str, Any] = field(default_factory=dict)


def key_file_credentials(folder: Path) -> Credentials:
    """Keys in the encrypted file (no system keyring), locked: the passphrase dialog's case."""
    return Credentials(SecretsSettings(backend="file"), data_dir=folder)


CASES = [
    Case(
        "account",
        lambda app: AddAccountModal(),
        _typed(key="sk-admin-TESTKEY-0000000001"),
        saved=lambda result: result is True,
        cancelled=False,
        labels=("Save", "Save and test", "Cancel"),
    ),
    Case(
        "passphrase",
        lambda app: PassphraseModal(),
        _typed(passphrase="correct horse"),
        saved=lambda result: result is True,
        cancelled=False,
        labels=("Unlock", "Cancel"),
    ),
    Case(
        "token-name",
        lambda app: TokenNameScreen(),
        _typed(**{"token-name": "billing-bot"}),
        labels=("Create", "Cancel"),
    ),
    Case(
        "pick-token",
        lambda app: PickTokenScreen("Delete which token?", [("billing-bot", "enabled"), ("etl", "disabled")]),
        labels=("Select", "Cancel"),
    ),
    Case(
        "manual-cost",
        lambda app: ManualCostModal(date(2026, 11, 20)),
        _typed(**{"m-provider": "groq", "m-amount": "12.50"}),
        saved=lambda result: result is True,
        cancelled=False,
    ),
    Case(
        "price-form",
        lambda app: PriceFormScreen("gpt-x", "openai"),
        _typed(**{"price-input": "0.4", "price-output": "1.6"}),
    ),
    Case(
        "confirm",
        lambda app: ConfirmModal(
            "Remove openai/default and delete its key from the keyring?\n"
            "Its billed history stays (costtui keys remove --purge deletes it).",
        ),
        saved=lambda result: result is True,
        cancelled=False,
        labels=("Remove", "Cancel"),
    ),
    Case(
        "filters",
        lambda app: FilterScreen(
            EventFilter(provider="openai"), {"provider": ["anthropic", "openai"]}, TimeZoneRule.from_setting("utc")
        ),
        saved=lambda result: isinstance(result, EventFilter) and result.provider == "openai",
        labels=("Apply", "Reset", "Cancel"),
    ),
    Case(
        "budget",
        lambda app: BudgetFormModal(),
        _typed(**{"b-name": "monthly", "b-limit": "100"}),
        saved=lambda result: result is True,
        cancelled=False,
    ),
    Case(
        "jump",
        lambda app: JumpScreen(TimeZoneRule.from_setting("utc")),
        fill=_typed(**{"jump-day": "2026-11-20"}),
        saved=lambda result: result == date(2026, 11, 20),
        labels=("Go", "Cancel"),
    ),
    Case(
        "rules",
        lambda app: RulesDialog(RulesSettings(rpm_per_key=60, detect_card="block")),
        _typed(**{"rules-allow-models": "gpt-4o*, anthropic:claude-*"}),
        saved=lambda result: (
            isinstance(result, RulesSettings) and result.allow_models == ["gpt-4o*", "anthropic:claude-*"]
        ),
    ),
]
"""Every dialog with a primary action."""
