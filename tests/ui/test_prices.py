"""Setting a price from the TUI: the unpriced model gets a price and history is re-priced."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from textual.widgets import Input

from costtui.config import Settings
from costtui.models import UsageEvent
from costtui.store import Store
from costtui.ui.app import make_app
from costtui.ui.dialogs.price_form import PriceFormScreen

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def seed(db: Path) -> None:
    with Store(db) as store:
        store.record(
            [
                UsageEvent(event_id="a", ts=NOW, provider="acme", model="mystery-9000", input_tokens=1_000_000),
                UsageEvent(event_id="b", ts=NOW, provider="openai", model="gpt-4o-mini", input_tokens=1000),
            ]
        )


async def wait_until(pilot, condition, tries: int = 100) -> None:  # type: ignore[no-untyped-def]
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met")


async def test_p_on_dashboard_prices_the_unpriced_model(db_path: Path) -> None:
    seed(db_path)
    app = make_app(Settings(), db_path, listener=False, now=NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_until(pilot, lambda: getattr(screen, "data", None) is not None)
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, PriceFormScreen))
        form = app.screen
        assert form.query_one("#price-model", Input).value == "mystery-9000"
        assert form.query_one("#price-provider", Input).value == "acme"
        # A bad number is refused with a message; nothing is saved.
        await pilot.press(*"abc", "tab")
        await pilot.press(*"2", "ctrl+s")
        assert "Input: 'abc' is not a number" in str(form.query_one("#price-error").render())
        form.query_one("#price-input", Input).value = "3"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, PriceFormScreen))
        await app.workers.wait_for_complete()
        with Store(db_path) as store:
            await wait_until(pilot, lambda: store.totals().unpriced_events == 0)
            [override] = store.price_overrides()
            assert (override.model, override.provider) == ("mystery-9000", "acme")
            assert store.unpriced_models() == []
            # 1M input tokens at $3 per 1M, plus the gpt-4o-mini event.
            assert store.totals(provider="acme").cost_usd == 3


async def test_escape_cancels_without_saving(db_path: Path) -> None:
    seed(db_path)
    app = make_app(Settings(), db_path, listener=False, now=NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("0")
        await pilot.pause()
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, PriceFormScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, PriceFormScreen))
    with Store(db_path) as store:
        assert store.price_overrides() == []
