"""Names from clients are shown as they are: never read as markup, never a command to paste raw."""

from __future__ import annotations

from pathlib import Path

from costtui.models import UsageEvent
from costtui.store import Store
from costtui.ui.screens.activity import ActivityScreen, EventsTable
from costtui.ui.screens.dashboard import DashboardScreen

from .conftest import FROZEN_NOW, build_app, settle, text_of

MARKUP = "[red]x[/red]"
SHELL = "$(rm -rf ~)"


def seed(db: Path) -> None:
    with Store(db) as store:
        store.record(
            [
                # Unknown provider and models: unpriced, so the fix hints name them.
                UsageEvent(event_id="a", ts=FROZEN_NOW, provider="acme", model=SHELL, input_tokens=2_000_000),
                UsageEvent(event_id="b", ts=FROZEN_NOW, provider="acme", model=MARKUP, input_tokens=1000),
            ]
        )
        # A row stored before identifiers refused control characters (written past the edge).
        old = UsageEvent.model_construct(ts=FROZEN_NOW, provider="acme", model="old\x1b[2Jname", input_tokens=10)
        object.__setattr__(old, "event_id", "c")
        store.record([old])


async def test_names_render_literally_and_fix_hints_are_quoted(db_path: Path) -> None:
    seed(db_path)
    app = build_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        banner = " ".join(text_of(app.screen.query_one("#unpriced-banner")).split())
        # The most-used unpriced model's hint: quoted, so pasting it runs nothing but costtui.
        assert "costtui prices set '$(rm -rf ~)' --input X --output Y" in banner

        await pilot.press("0")
        await settle(pilot)
        prices = text_of(app.screen.query_one("PricesSection"))
        assert f"acme/{MARKUP}" in prices  # literal brackets, not red text
        assert f"costtui prices set '{MARKUP}' --input X --output Y" in prices
        assert "costtui prices set '$(rm -rf ~)' --input X --output Y" in prices
        assert "old\\x1b[2Jname" in prices and "\x1b" not in prices

        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, ActivityScreen)
        table = app.screen.query_one(EventsTable)
        shown = text_of(table)
        assert MARKUP in shown and SHELL in shown
        assert "old\\x1b[2Jname" in shown and "\x1b" not in shown
