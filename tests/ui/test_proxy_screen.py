"""The Proxy screen and what the event detail shows of a proxied call."""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal
from pathlib import Path

from costtui.models import UsageEvent
from costtui.store import Store
from costtui.ui.dialogs.event_detail import EventDetailScreen
from costtui.ui.screens.proxy import ProxyScreen

from .conftest import FROZEN_NOW, build_app, settle, text_of


def seed(db: Path) -> None:
    now = FROZEN_NOW.astimezone(UTC)
    events = [
        UsageEvent(
            event_id="px_call",
            ts=now - timedelta(minutes=1),
            provider="openai",
            model="gpt-4o-mini",
            operation="chat",
            source="proxy",
            api_key_fp="sk-proj…WXYZ#1a2b3c4d",
            input_tokens=1000,
            output_tokens=200,
            latency_ms=420,
            ttft_ms=95,
            retries=1,
            flags=["truncated"],
        ),
        UsageEvent(
            event_id="px_hit",
            ts=now,
            provider="openai",
            model="gpt-4o-mini",
            source="proxy",
            api_key_fp="sk-proj…WXYZ#1a2b3c4d",
            cache_hit=True,
            cost_usd=Decimal(0),
            saved_usd=Decimal("0.0042"),
            latency_ms=2,
        ),
    ]
    with Store(db) as store:
        store.record(events)
        store.proxy.put_bodies([("px_call", now, '{"messages": "[email]"}', '{"content": "Hi"}')], 7)


async def test_proxy_screen_lists_calls_and_the_detail_shows_what_the_proxy_measured(db_path: Path) -> None:
    seed(db_path)
    app = build_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        assert isinstance(app.screen, ProxyScreen)
        summary = text_of(app.screen.query_one("#proxy-summary"))
        assert "2 calls" in summary and "1 hits (50.0%)" in summary and "saved $0.0042" in summary
        log = text_of(app.screen.query_one("#proxy-log"))
        assert "cache" in log and "saved $0.0042" in log and "sk-proj…WXYZ" in log and "#1a2b" not in log
        await pilot.press("down", "enter")  # the older call: newest first
        await settle(pilot)
        assert isinstance(app.screen, EventDetailScreen)
        table = text_of(app.screen.query_one("#detail-table"))
        assert "95 ms" in table and "1 before this one" in table and "truncated" in table
        bodies = text_of(app.screen.query_one("#detail-bodies"))
        assert "request body (redacted)" in bodies and "[email]" in bodies and '"content": "Hi"' in bodies
