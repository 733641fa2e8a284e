"""Dashboard and Settings: KPIs, range switching, charts, unpriced, sections."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.geometry import Region

from costtui.formatting import decimal_aligned, money, tokens
from costtui.models import GroupTotals
from costtui.store import Store
from costtui.ui.screens.dashboard import RANGES, DashboardScreen, RecentDays
from costtui.ui.widgets.charts import (
    DailyCostChart,
    ModelCostChart,
    TokensCostChart,
    bar_text,
    downsample,
    money_ticks,
    nice_ticks,
)
from costtui.ui.widgets.kpi import KpiCard, KpiStrip, change_text

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


def test_ticks_are_round_and_near_the_data() -> None:
    # A $6 maximum tops at $6, not $10; $6.30 at $7.50 (steps of 2.5), not $8 or $10.
    assert nice_ticks(6, 4) == [0, 2, 4, 6]
    assert nice_ticks(6.3, 4) == [0, 2.5, 5, 7.5]
    assert nice_ticks(0.042, 4) == [0, 0.025, 0.05]
    assert nice_ticks(6, 2) == [0, 5, 10]  # two steps cannot do better
    assert nice_ticks(0, 4) == [0, 1]
    for max_value in [0.0031, 0.7, 1, 3.3, 6, 9.99, 10, 12.5, 38.17, 101, 4321]:
        for steps in (2, 3, 4):
            ticks = nice_ticks(max_value, steps)
            step = ticks[1]
            mantissa = step / 10 ** __import__("math").floor(__import__("math").log10(step))
            assert round(mantissa, 9) in (1, 2, 2.5, 5), (max_value, steps, ticks)
            assert ticks[0] == 0 and len(ticks) - 1 <= steps
            assert ticks[-1] >= max_value and ticks[-2] < max_value, (max_value, steps, ticks)
    values, labels = money_ticks(7.3)
    assert values == [0, 2.5, 5, 7.5]
    assert labels == ["$0.00", "$2.50", "$5.00", "$7.50"]


def test_bar_text_and_decimal_alignment() -> None:
    assert bar_text(Decimal(1), 10) == "█" * 10
    assert bar_text(Decimal("0.5"), 10) == "█" * 5
    assert bar_text(Decimal("0.0625"), 10) == "▋"  # five eighths of a cell
    assert bar_text(Decimal("0.00001"), 10) == "▏"  # small, not absent
    assert bar_text(Decimal(0), 10) == ""
    aligned = decimal_aligned(["$38.17", "$0.465", "$0.0259", "$1,234.50"])
    assert len({len(a) for a in aligned}) == 1
    assert len({a.index(".") for a in aligned}) == 1


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


async def test_day_table_keeps_its_tokens_column_at_80x24(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(RecentDays)
        table.scroll_visible(animate=False)
        await pilot.pause()
        text = text_of(table)
        header, first = text.splitlines()[:2]
        assert header.split() == ["Day", "(UTC)", "Cost", "Events", "Tokens"]
        assert first.split()[-1].endswith(("k", "M")) or first.split()[-1].isdigit()
        assert table.virtual_size.width <= table.scrollable_content_region.width  # nothing hidden sideways
        # One money format in the column, aligned on the decimal point (the first "." of a row).
        rows = [line for line in text.splitlines()[1:] if "$" in line]
        assert len({line.index(".") for line in rows}) == 1, rows


def bar_cells(line: str) -> float:
    """The length of the bar at the end of a rendered row, in cells (eighths count)."""
    partial = " ▏▎▍▌▋▊▉"
    body = line.rstrip().split(" ")[-1]
    return sum(1.0 if ch == "█" else partial.index(ch) / 8 for ch in body if ch == "█" or ch in partial[1:])


MODEL_COSTS = {
    "claude-opus-4-1": "38.17",
    "claude-sonnet-4-5": "36.42",
    "gpt-4o": "6.24",
    "gemini-2.5-pro": "4.58",
    "claude-haiku-4-5": "3.40",
    "gpt-5-mini": "2.28",
    "gemini-2.5-flash": "1.82",
    "gpt-4o-mini": "0.78",
    "meta-llama/llama-3.3-70b-instruct": "0.48",
    "llama-3.3-70b-versatile": "0.465",
    "llama-3.1-8b-instant": "0.0259",
    "text-embedding-3-small": "0.0216",
}


@pytest.mark.parametrize("size", [(34, 14), (42, 16), (72, 20)])
async def test_model_bars_are_proportional_to_cost(size: tuple[int, int]) -> None:
    """Twelve models (more than plotext could draw exactly): one row each, each bar as long as its
    cost relative to the top one, to within a cell, read back from the rendered widget."""
    from textual.app import App, ComposeResult

    class ChartApp(App[None]):
        def compose(self) -> ComposeResult:
            yield ModelCostChart()

    groups = [GroupTotals(name=n, cost_usd=Decimal(c)) for n, c in MODEL_COSTS.items()]
    app = ChartApp()
    async with app.run_test(size=size) as pilot:
        chart = app.query_one(ModelCostChart)
        chart.update(groups)
        await pilot.pause()
        lines = [line for line in text_of(chart).splitlines() if line.strip()]
    assert len(lines) == len(groups)  # one row per model, none spread over two
    lengths = [bar_cells(line) for line in lines]
    top = Decimal(MODEL_COSTS["claude-opus-4-1"])
    for line, length, cost in zip(lines, lengths, MODEL_COSTS.values(), strict=True):
        expected = float(Decimal(cost) / top) * lengths[0]
        assert abs(length - expected) <= 1, (line, length, expected)
        assert money(Decimal(cost)) in line
    # gpt-4o ($6.24) is far shorter than claude-opus-4-1 ($38.17).
    assert lengths[2] < lengths[0] / 4
    # The money column is aligned on the decimal point.
    assert len({line.index(".", line.index("$")) for line in lines}) == 1


async def test_model_bars_sum_what_does_not_fit() -> None:
    from textual.app import App, ComposeResult

    class ChartApp(App[None]):
        def compose(self) -> ComposeResult:
            yield ModelCostChart()

    groups = [GroupTotals(name=n, cost_usd=Decimal(c)) for n, c in MODEL_COSTS.items()]
    app = ChartApp()
    async with app.run_test(size=(42, 5)) as pilot:
        chart = app.query_one(ModelCostChart)
        chart.update(groups)
        await pilot.pause()
        lines = text_of(chart).splitlines()
    rest = sum(Decimal(c) for c in list(MODEL_COSTS.values())[4:])
    assert lines[-1].strip().startswith("+8 more") and money(rest) in lines[-1]


async def test_daily_title_follows_an_empty_range(db_path: Path) -> None:
    """A range without cost says which range it is, not the title of the last one drawn."""
    from costtui.models import UsageEvent

    with Store(db_path) as store:
        store.record(
            [
                UsageEvent(
                    event_id="old",
                    ts=FROZEN_NOW - timedelta(days=20),
                    provider="openai",
                    model="gpt-4o",
                    input_tokens=1000,
                    cost_usd=Decimal(6),
                )
            ]
        )
    app = build_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        title = screen.query_one("#daily-box .panel-title")
        assert "last 30 days" in text_of(title)
        await pilot.press("d", "d")  # 90, then 7 days: nothing in the last week
        await pilot.pause()
        assert screen.range_days == 7  # type: ignore[attr-defined]
        assert "last 7 days" in text_of(title)
        assert "no cost in this range" in text_of(screen.query_one(DailyCostChart))


async def test_kpi_values_bright_labels_quiet(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        card = app.screen.query_one("#kpi-today", KpiCard)
        lines = card.render_lines(Region(0, 0, card.outer_size.width, card.outer_size.height))
        label = next(s for s in lines[0] if "Today" in s.text)
        value = next(s for s in lines[1] if card.value_text in s.text)
        assert value.style is not None and value.style.bold and not value.style.dim
        assert label.style is not None and not label.style.bold
        assert label.style.color != value.style.color  # the label is muted, the value is not


async def test_kpi_changes_and_burn_rate(demo_db: Path) -> None:
    from costtui.analytics.summary import change_ratio, dashboard

    with Store(demo_db) as store:
        snap = dashboard(store, now=FROZEN_NOW)
    app = build_app(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        today = text_of(app.screen.query_one("#kpi-today"))
        vs_yday = change_ratio(snap.today_totals.cost_usd, snap.yesterday.cost_usd)
        vs_avg = change_ratio(snap.today_totals.cost_usd, snap.trailing_average_per_day)
        assert vs_yday is not None and vs_avg is not None
        assert f"{change_text(vs_yday)} vs yday" in today
        assert f"{change_text(vs_avg)} vs 7d avg" in today
        assert f"{change_text(vs_yday)} vs yday" in str(app.screen.query_one("#kpi-today").tooltip)
        assert any(ch in today for ch in "▁▂▃▄▅▆▇█")  # the sparkline fits at this width
        burn = text_of(app.screen.query_one("#kpi-burn"))
        assert f"{money(snap.burn_rate_per_hour)}/h" in burn
        assert app.screen.query_one("#kpi-burn", KpiCard).value_text == f"{money(snap.burn_rate_per_hour)}/h"


def test_change_text() -> None:
    assert change_text(Decimal("0.125")) == "▲13%"
    assert change_text(Decimal("-0.042")) == "▼4.2%"
    assert change_text(Decimal(0)) == "±0%"
    assert change_text(Decimal(11)) == "▲12×"


async def test_short_terminal_compacts_kpis_and_keys_reach_the_lower_panels(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        strip = screen.query_one(KpiStrip)
        assert strip.outer_size.height == 2  # one row of the primary cards
        shown = [c.id for c in strip.query(KpiCard) if c.display]
        assert shown == ["kpi-today", "kpi-burn", "kpi-month", "kpi-forecast"]
        body = screen.query_one("#dash-body")
        tokens_box = screen.query_one("#tokens-box")
        assert not body.region.contains_region(tokens_box.region)  # below the fold
        await pilot.press("k")
        await pilot.pause()
        assert body.region.contains(tokens_box.region.x, tokens_box.region.y)
        await pilot.press("y")
        await pilot.pause()
        table = screen.query_one(RecentDays)
        assert app.focused is table and body.region.contains(table.region.x, table.region.y)
        # All four columns fit the 80-column side panel, Tokens included.
        header, first = text_of(table).splitlines()[:2]
        assert header.split() == ["Day", "(UTC)", "Cost", "Events", "Tokens"]
        newest = screen.data.snapshot.days[-1]  # type: ignore[attr-defined]
        assert first.split()[-1] == tokens(newest.total_tokens)
        await pilot.press("c")
        await pilot.pause()
        assert body.scroll_offset.y == 0
        bindings = {b.id: b for b in screen.BINDINGS if isinstance(b, Binding)}
        for key_id in ("dashboard.tokens", "dashboard.days", "dashboard.costs"):
            assert bindings[key_id].description and bindings[key_id].tooltip
    # With a few more rows every card shows, two rows high; with plenty, three (with changes).
    # Nine cards: four to a row below 120 columns (three rows), five from 120 (two rows).
    for size, height in (((100, 30), 6), ((120, 40), 6), ((120, 30), 4)):
        async with build_app(demo_db).run_test(size=size) as pilot:
            await settle(pilot)
            strip = pilot.app.screen.query_one(KpiStrip)
            assert strip.outer_size.height == height and all(c.display for c in strip.query(KpiCard))


async def test_wide_terminal_shows_model_names_whole(demo_db: Path) -> None:
    from costtui.ui.screens.dashboard import load_dashboard

    with Store(demo_db) as store:
        names = [g.name for g in load_dashboard(store, FROZEN_NOW).by_model[30] if g.cost_usd > 0]
    app = build_app(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        chart = text_of(app.screen.query_one(ModelCostChart))
    assert max(names, key=len) in chart and "…" not in chart


async def test_month_end_forecast_sits_beside_month_to_date_and_continues_the_chart(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        forecast = screen.data.snapshot.forecast  # type: ignore[attr-defined]
        assert forecast is not None and forecast.low <= forecast.expected <= forecast.high
        card = str(screen.query_one("#kpi-forecast").render())
        assert "Month end" in card and money(forecast.expected) in card
        assert f"±{money(forecast.high - forecast.expected)}" in card
        cards = [c.id for c in screen.query(KpiCard)]
        assert cards.index("kpi-forecast") == cards.index("kpi-month") + 1
        chart = screen.query_one(DailyCostChart)
        assert chart.projection and chart.projection[0][0] > screen.data.snapshot.today  # type: ignore[attr-defined]
        title = screen.query_one("#daily-box").query_one(".panel-title")
        assert "··· forecast" in str(title.render())
