"""Activity: paging, filters, search, the detail modal."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Select

from costtui.formatting import TimeZoneRule, money_exact
from costtui.models import EventFilter
from costtui.store import Store
from costtui.ui.dialogs.event_detail import EventDetailScreen, detail_rows
from costtui.ui.dialogs.filters import FilterScreen, describe_filter
from costtui.ui.screens.activity import PAGE_SIZE, ActivityScreen, Columns, EventsTable

from .conftest import build_app, settle, text_of


async def open_activity(pilot) -> ActivityScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ActivityScreen)
    return screen


async def test_first_page_only_then_more_near_the_bottom(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_activity(pilot)
        table = screen.query_one(EventsTable)
        assert table.row_count == PAGE_SIZE  # never everything
        with Store(demo_db) as store:
            newest = store.events_page(limit=1)[0]
            total = store.count_events()
        assert screen.order[0] == newest.row_id  # newest first
        assert f"{total:,} events" in text_of(screen.query_one("#activity-status"))
        table.move_cursor(row=PAGE_SIZE - 1)
        await settle(pilot)
        assert table.row_count == 2 * PAGE_SIZE
        times = [screen.events[r].ts for r in screen.order]
        assert times == sorted(times, reverse=True)
        assert len(set(screen.order)) == len(screen.order)


async def test_new_events_do_not_move_a_scrolled_cursor(demo_db: Path) -> None:
    from costtui.demo import demo_events

    from .conftest import FROZEN_NOW, wait_until

    app = build_app(demo_db, refresh_seconds=3600)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_activity(pilot)
        await pilot.press("down", "down", "down")
        first = screen.order[0]
        with Store(demo_db) as writer:
            writer.record(list(demo_events(1, now=FROZEN_NOW, seed=11, per_day=30)))
        app.data_changed()
        assert await wait_until(pilot, lambda: screen.new_data)
        assert "new events: press r" in text_of(screen.query_one("#activity-status"))
        assert screen.order[0] == first and screen.query_one(EventsTable).cursor_row == 3
        await pilot.press("r")
        await settle(pilot)
        assert not screen.new_data and screen.query_one(EventsTable).cursor_row == 0
        with Store(demo_db) as store:
            assert screen.total == store.count_events()
            assert screen.order[0] == store.events_page(limit=1)[0].row_id


async def test_filter_by_provider(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_activity(pilot)
        await pilot.press("f")
        dialog = app.screen
        assert isinstance(dialog, FilterScreen)
        select = dialog.query_one("#filter-provider", Select)
        assert "anthropic" in [value for _, value in select._options]  # filled from store.distinct
        select.value = "anthropic"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.filter.provider == "anthropic"
        providers = {screen.events[r].provider for r in screen.order}
        assert providers == {"anthropic"}
        with Store(demo_db) as store:
            expected = store.count_events(EventFilter(provider="anthropic"))
            assert expected < store.count_events()
        assert screen.total == expected
        assert "provider=anthropic" in text_of(screen.query_one("#filter-summary"))
        await pilot.press("c")
        await settle(pilot)
        assert screen.filter == EventFilter()
        assert len({screen.events[r].provider for r in screen.order}) > 1


async def test_filter_dialog_rejects_bad_dates(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_activity(pilot)
        await pilot.press("f")
        dialog = app.screen
        dialog.query_one("#filter-from", Input).value = "2026-13-01"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog
        assert "error" in text_of(dialog.query_one("#filter-error"))
        dialog.query_one("#filter-from", Input).value = "2026-11-19"
        dialog.query_one("#filter-to", Input).value = "2026-11-19"
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ActivityScreen)
        days = {screen.events[r].ts.date().isoformat() for r in screen.order}
        assert days == {"2026-11-19"}


async def test_search(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_activity(pilot)
        await pilot.press("slash")
        assert screen.focused is screen.query_one("#search", Input)
        await pilot.press("escape")
        assert screen.focused is screen.query_one(EventsTable)
        await pilot.press("slash")
        await pilot.press(*"opus")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.filter.search == "opus"
        assert screen.order
        assert all("opus" in screen.events[r].model for r in screen.order)
        assert screen.focused is screen.query_one(EventsTable)


async def test_enter_opens_detail_and_escape_closes(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_activity(pilot)
        event = screen.events[screen.order[0]]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EventDetailScreen)
        shown = text_of(app.screen.query_one("#detail-table"))
        assert event.model in shown
        assert money_exact(event.cost_usd) in shown
        assert "price version" in shown and "cache write" in shown and "reasoning" in shown
        await pilot.press("2", "q")  # neither leaves the dialog stranded nor quits from inside it
        assert isinstance(app.screen, EventDetailScreen) and app.is_running
        await pilot.press("escape")
        assert app.screen is screen


async def test_unpriced_event_detail_says_how_to_fix(demo_db: Path) -> None:
    with Store(demo_db) as store:
        event = store.events_page(EventFilter(model="ft:gpt-4o-mini:acme:support-v3"), limit=1)[0]
    assert event.unpriced
    rows = dict(detail_rows(event))
    assert "unpriced" in rows["cost"]
    assert "costtui prices set ft:gpt-4o-mini:acme:support-v3 --input X --output Y" in rows["cost"]


def test_detail_rows_show_every_field(demo_db: Path) -> None:
    with Store(demo_db) as store:
        event = store.events_page(EventFilter(provider="anthropic"), limit=1)[0]
    names = [name for name, _ in detail_rows(event)]
    for field in (
        "event id",
        "provider",
        "model",
        "operation",
        "source",
        "app",
        "user",
        "team",
        "project",
        "api key",
        "tags",
        "cost",
        "price version",
        "input (uncached)",
        "cache read",
        "cache write",
        "output",
        "latency",
        "status",
        "error",
        "cache hit",
    ):
        assert field in names


def test_columns_fit_the_terminal() -> None:
    for width in (80, 100, 140, 160, 200):
        cols = Columns.for_width(width)
        widths = {"time": cols.time, "provider": cols.provider, "model": cols.model, "app": cols.app}
        widths |= {"user": cols.user, "cost": 9, "status": 9}
        used = sum(widths.get(key, 7) + 2 for key in cols.shown()) + 2
        assert used <= width, width
    essentials = ["time", "provider", "model", "tokens", "cost", "status"]
    assert Columns.for_width(80).shown() == essentials
    assert "app" in Columns.for_width(100).shown()
    assert {"user", "latency", "input", "output"} <= set(Columns.for_width(160).shown())


def test_describe_filter() -> None:
    from datetime import UTC, datetime

    flt = EventFilter(
        provider="openai",
        start=datetime(2026, 11, 1, tzinfo=UTC),
        end=datetime(2026, 11, 3, tzinfo=UTC),
        search="timeout",
    )
    utc = TimeZoneRule(utc=True)
    assert describe_filter(flt, utc) == '2026-11-01 → 2026-11-02 · provider=openai · "timeout"'
    assert describe_filter(EventFilter(), utc) == ""


async def test_user_text_is_never_markup(db_path: Path) -> None:
    from datetime import timedelta

    from costtui.models import UsageEvent

    from .conftest import FROZEN_NOW

    with Store(db_path) as store:
        store.record(
            [
                UsageEvent(
                    ts=FROZEN_NOW - timedelta(minutes=1),
                    provider="openai",
                    model="[bold]odd[/]model",
                    app="[/]",
                    error="bad [link=x] thing",
                    status="error",
                )
            ]
        )
    app = build_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_activity(pilot)
        assert "[bold]odd[/]model" in text_of(screen.query_one(EventsTable))
        await pilot.press("enter")
        await pilot.pause()
        assert "bad [link=x] thing" in text_of(app.screen.query_one("#detail-table"))
        await pilot.press("escape")
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FilterScreen)


async def test_totals_cover_the_whole_filter_not_the_loaded_page(demo_db: Path) -> None:
    from costtui.formatting import money, tokens

    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_activity(pilot)
        screen.set_filter(EventFilter(provider="anthropic"))
        await settle(pilot)
        with Store(demo_db) as store:
            expected = store.event_totals(EventFilter(provider="anthropic"))
        assert expected.events > PAGE_SIZE  # more than what is loaded
        status = text_of(screen.query_one("#activity-status"))
        assert (
            f"{expected.events:,} events · {money(expected.cost_usd)} · {tokens(expected.total_tokens)} tokens"
            in status
        )


async def test_sort_by_any_column_with_s_and_reverse_with_shift_s(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_activity(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert screen.sort.column == "cost" and screen.sort.descending
        costs = [screen.events[r].cost_usd or -1 for r in screen.order]
        assert costs == sorted(costs, reverse=True)
        with Store(demo_db) as store:
            top = store.events_page(limit=1, sort=screen.sort)[0]
        assert screen.order[0] == top.row_id  # the most expensive of all, not of the first page
        assert "Cost▼" in text_of(screen.query_one(EventsTable)).splitlines()[0]
        await pilot.press("S")
        await settle(pilot)
        assert not screen.sort.descending
        costs = [screen.events[r].cost_usd or -1 for r in screen.order]
        assert costs == sorted(costs)


async def test_home_and_end_reach_the_first_and_last_event(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_activity(pilot)
        table = screen.query_one(EventsTable)
        with Store(demo_db) as store:
            oldest = store.events_page(limit=1, sort=screen.sort.reversed())[0]
            newest = store.events_page(limit=1)[0]
        await pilot.press("end")
        await settle(pilot)
        assert screen.order[-1] == oldest.row_id
        assert table.cursor_row == len(screen.order) - 1
        assert "last page" in text_of(screen.query_one("#activity-status"))
        await pilot.press("home")
        await settle(pilot)
        assert screen.order[0] == newest.row_id and table.cursor_row == 0


async def test_jump_to_a_date(demo_db: Path) -> None:
    from datetime import date

    from costtui.ui.dialogs.filters import JumpScreen

    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_activity(pilot)
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, JumpScreen)
        await pilot.press(*"2026-11-10", "enter")
        await settle(pilot)
        first = screen.events[screen.order[0]]
        assert first.ts.date() == date(2026, 11, 10)  # the latest event of that day (UTC here)
        with Store(demo_db) as store:
            later = store.event_totals(EventFilter(start=screen.times.day_end(date(2026, 11, 10)))).events
        assert later > 0  # newer events exist, and are above the window
        assert "from 2026-11-10" in text_of(screen.query_one("#activity-status"))


async def test_times_follow_the_timezone_setting(demo_db: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import time

    from costtui.config import Settings, UISettings
    from costtui.ui.app import make_app

    from .conftest import FROZEN_NOW

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    with Store(demo_db) as store:
        newest = store.events_page(limit=1)[0]
    for zone, label, shift in (("local", "CET", 1), ("utc", "UTC", 0)):
        app = make_app(Settings(ui=UISettings(timezone=zone)), demo_db, listener=False, now=FROZEN_NOW)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await open_activity(pilot)
            text = text_of(screen.query_one(EventsTable))
            assert f"Time ({label})" in text.splitlines()[0]
            from datetime import timedelta

            assert (newest.ts + timedelta(hours=shift)).strftime("%m-%d %H:%M:%S") in text.splitlines()[1]
            rows = dict(detail_rows(newest, screen.times))
            assert f"time ({label})" in rows


def test_detail_starts_with_status_and_error(demo_db: Path) -> None:
    with Store(demo_db) as store:
        event = store.events_page(EventFilter(status="error"), limit=1)[0]
    rows = detail_rows(event)
    assert [name for name, _ in rows[:2]] == ["status", "error"]
    assert rows[0][1].startswith("error") and rows[1][1] != "—"


def test_wide_terminal_shows_user_latency_and_token_split() -> None:
    assert Columns.for_width(160).shown() == [
        "time",
        "provider",
        "model",
        "app",
        "user",
        "input",
        "output",
        "tokens",
        "cost",
        "latency",
        "status",
    ]
