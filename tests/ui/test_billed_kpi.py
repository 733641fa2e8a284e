"""The Dashboard tells billed (from providers) and metered (pushed, proxied, imported) cost apart."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from costtui.analytics.summary import dashboard
from costtui.config import Settings
from costtui.models import BilledLine, UsageEvent
from costtui.store import Store
from costtui.ui.app import make_app

from .conftest import settle, wait_until

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def seed(db: Path) -> None:
    with Store(db) as store:
        store.record([UsageEvent(event_id="a", ts=NOW, provider="openai", model="gpt-4o-mini", input_tokens=10**6)])
        store.billing.record_billed(
            [
                BilledLine(
                    provider="openai",
                    account="org",
                    stream="openai.costs",
                    kind="cost",
                    day=date(2026, 11, 3),
                    cost_usd="12.50",
                ),
                BilledLine(
                    provider="openai",
                    account="org",
                    stream="openai.costs",
                    kind="cost",
                    day=date(2026, 10, 30),
                    cost_usd="2.25",
                ),
            ],
        )


def test_snapshot_carries_billed_beside_metered(db_path: Path) -> None:
    seed(db_path)
    with Store(db_path) as store:
        snap = dashboard(store, now=NOW)
    assert snap.month_to_date.cost_usd == Decimal("0.15")  # metered: 1M tokens of gpt-4o-mini input
    assert snap.billed_month_to_date == Decimal("12.50")
    assert snap.billed_all_time == Decimal("14.75")


def test_without_billing_there_is_no_billed_figure(db_path: Path) -> None:
    with Store(db_path) as store:
        store.record([UsageEvent(event_id="a", ts=NOW, provider="openai", model="gpt-4o-mini", input_tokens=10)])
        snap = dashboard(store, now=NOW)
    assert snap.billed_month_to_date is None and snap.billed_all_time is None


async def test_dashboard_cards_show_billed(db_path: Path) -> None:
    seed(db_path)
    app = make_app(Settings(), db_path, listener=False, now=NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        # Wait for the loading workers themselves, not for a clock: a busy machine only takes longer.
        for _ in range(50):
            if getattr(screen, "data", None) is not None:
                break
            await settle(pilot)
        assert getattr(screen, "data", None) is not None, "the dashboard never loaded"
        await settle(pilot)
        # The cards render to their laid-out width: read them once the layout has given them one.
        card = screen.query_one("#kpi-month")
        assert await wait_until(pilot, lambda: card.content_size.width > 0), "the cards were never laid out"
        month = str(card.render())
        assert "$0.15" in month and "billed $12.50" in month
        assert "billed $14.75" in str(screen.query_one("#kpi-all").render())
