"""Snapshots of the Proxy rules section of Settings (demo data, frozen clock, relative paths as in
test_snapshots.py). Update with ``pytest tests/ui/test_rules_snapshots.py --snapshot-update``."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from costtui.config import RulesSettings
from costtui.ui.widgets.rules_section import RulesSection

from .conftest import build_app, settle

RULES = RulesSettings(
    allow_models=["gpt-4o*", "anthropic:claude-*"],
    block_models=["*-preview"],
    max_cost_per_call_usd=Decimal("0.50"),
    rpm_per_key=60,
    tpm_per_key=200_000,
    rpm_per_user=20,
    blocklist=["project falcon"],
    detect_email="flag",
    detect_card="block",
    detect_api_key="block",
)


@pytest.fixture
def snapshot_db(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(demo_db.parent)
    monkeypatch.setenv("COSTTUI_CONFIG", "config.toml")
    return Path(demo_db.name)


async def _show_rules(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("0")
    await settle(pilot)
    pilot.app.screen.query_one(RulesSection).scroll_visible(animate=False, top=True)
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_rules_section(snap_compare: Any, snapshot_db: Path, size: tuple[int, int]) -> None:
    app = build_app(snapshot_db, demo=True)
    app.settings.rules = RULES
    assert snap_compare(app, terminal_size=size, run_before=_show_rules)
