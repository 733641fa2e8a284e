"""Dashboard and Settings: KPIs, range switching, charts, unpriced, sections."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from costtui.formatting import money
from costtui.models import GroupTotals
from costtui.store import Store
from costtui.ui.screens.dashboard import RANGES, DashboardScreen, RecentDays
from costtui.ui.widgets.charts import (
    DailyCostChart,
    ModelCostChart,
    TokensCostChart,
    downsample,
    money_ticks,
    nice_step,
)

from .conftest import FROZEN_NOW, build_app, settle, text_of


async def test_kpis_match_the_store(demo_db: Path) -> None:
    from costtui.analytics.summary import dashboard

    with Store(demo_db) as store:
        snap = dashboard(store, now=FROZEN_NOW)
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert screen.query_one("#kpi-today").value_text == money(snap.today_totals.cost_usd)
        assert screen.query_one("#kpi-month").value_text == money(snap.month_to_date.cost_usd)
        assert screen.query_one("#kpi-all").value_text == money(snap.all_time.cost_usd)
        assert screen.query_one("#kpi-events").value_text == f"{snap.all_time.events:,}"
        assert screen.query_one("#kpi-unpriced").value_text == f"{snap.all_time.unpriced_events:,}"
        assert snap.all_time.unpriced_events > 0
        banner = " ".join(text_of(screen.query_one("#unpriced-banner")).replace("█", "").split())
        assert "unpriced" in banner and "costtui prices set ft:gpt-4o-mini:acme:support-v3" in banner


async def test_range_key_cycles_the_charts(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        chart = screen.query_one(DailyCostChart)
        assert screen.range_days == 30 and len(chart.days) == 30
        assert chart.days[-1].day == FROZEN_NOW.date()
        await pilot.press("d")
        await pilot.pause()
        assert screen.range_days == 90 and len(chart.days) == 90
        assert len(screen.query_one(TokensCostChart).days) == 90
        assert screen.query_one(RecentDays).row_count == 90
        await pilot.press("d")
        await pilot.pause()
        assert screen.range_days == 7 and len(chart.days) == 7
        assert "last 7 days" in text_of(screen.query_one("#model-title"))
        # The model bars follow the range: 7 days cost less than 30.
        week = sum(g.cost_usd for g in screen.query_one(ModelCostChart).groups)
        assert week < screen.data.snapshot.all_time.cost_usd  # type: ignore[union-attr]


async def test_range_from_command_palette(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "range: 7 days")
        command.callback()
        await settle(pilot)
        assert app.screen.range_days == 7  # type: ignore[attr-defined]


async def test_settings_sections(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        await pilot.press("0")
        await settle(pilot)
        database = text_of(app.screen.query_one("DatabaseSection"))
        assert str(demo_db) in database
        with Store(demo_db) as store:
            assert f"{store.schema_version()}" in database
        prices = text_of(app.screen.query_one("PricesSection"))
        assert "ft:gpt-4o-mini:acme:support-v3" in prices
        assert "costtui prices set ft:gpt-4o-mini:acme:support-v3 --input X --output Y" in prices
        display = text_of(app.screen.query_one("DisplaySection"))
        assert "theme" in display and "config file" in display


async def test_settings_lists_price_overrides(demo_db: Path) -> None:
    from costtui.models import PriceOverride

    with Store(demo_db) as store:
        store.add_price_override(
            PriceOverride(model="my-model", input_per_mtok=Decimal("1.5"), output_per_mtok=Decimal(3))
        )
    app = build_app(demo_db)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        await pilot.press("0")
        await settle(pilot)
        prices = text_of(app.screen.query_one("PricesSection"))
        assert "my-model" in prices and "1.5" in prices


def test_downsample_to_width() -> None:
    values = [float(i) for i in range(90)]
    starts, means = downsample(values, 30)
    assert len(means) <= 30
    assert starts == sorted(starts) and starts[0] == 0
    assert means[-1] == (87 + 88 + 89) / 3  # the newest bucket is whole
    assert downsample([1.0, 2.0], 10) == ([0, 1], [1.0, 2.0])
    starts, means = downsample([1.0] * 10_000, 120)
    assert len(means) <= 120 and all(m == 1.0 for m in means)


def test_ticks_are_round() -> None:
    assert nice_step(7.3, 4) == 2
    assert nice_step(0, 4) == 1
    values, labels = money_ticks(7.3)
    assert values[0] == 0 and values[-1] >= 7.3
    assert labels[:2] == ["$0.00", "$2.00"]


async def test_model_bars_sorted_by_cost_then_name() -> None:
    """The chart orders what it is given: most expensive on top, equal costs by name, $0 left out."""
    from textual.app import App, ComposeResult

    class ChartApp(App[None]):
        def compose(self) -> ComposeResult:
            yield ModelCostChart()

    groups = [
        GroupTotals(name="model-b", cost_usd=Decimal(1)),
        GroupTotals(name="model-free", cost_usd=Decimal(0)),
        GroupTotals(name="model-a", cost_usd=Decimal(1)),
        GroupTotals(name="model-c", cost_usd=Decimal(5)),
    ]
    app = ChartApp()
    async with app.run_test(size=(80, 12)) as pilot:
        chart = app.query_one(ModelCostChart)
        chart.update(groups)
        await pilot.pause()
        assert [g.name for g in chart.groups] == ["model-c", "model-a", "model-b", "model-free"]
        shown = [line for line in text_of(chart).splitlines() if "model-" in line]
        assert [line.split()[0] for line in shown] == ["model-c", "model-a", "model-b"]
        # Fed the other way round, the bars come out the same.
        chart.update(list(reversed(groups)))
        await pilot.pause()
        assert [line.split()[0] for line in text_of(chart).splitlines() if "model-" in line] == [
            "model-c",
            "model-a",
            "model-b",
        ]
    assert RANGES == (7, 30, 90)
