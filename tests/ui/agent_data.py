"""Coding-agent events for UI tests: a session in the current 5-hour block, older sessions, and a
Codex plan window, around the frozen clock."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from costtui.models import QuotaSnapshot, UsageEvent
from costtui.store import Store

from .conftest import FROZEN_NOW


def seed_agents(store: Store) -> None:
    events = []
    plan = [
        ("claude-code", "anthropic", "claude-sonnet-4-5-20250929", "s-now", "/home/ana/src/app", 80, 30),
        ("codex", "openai", "gpt-5-codex", "c-now", "/home/ana/src/api", 50, 10),
        ("claude-code", "anthropic", "claude-opus-4-5-20251101", "s-old", "/home/ana/src/site", 60 * 26, 20),
    ]
    for source, provider, model, session, project, minutes_ago, n in plan:
        for i in range(n):
            events.append(
                UsageEvent(
                    event_id=f"{session}-{i}",
                    ts=FROZEN_NOW - timedelta(minutes=minutes_ago) + timedelta(minutes=2 * i),
                    provider=provider,
                    model=model,
                    source=source,
                    session=session,
                    project=project,
                    input_tokens=20,
                    cache_read_tokens=30_000,
                    output_tokens=400 + 10 * i,
                )
            )
    store.record(events)
    store.billing.record_quotas(
        [
            QuotaSnapshot(
                provider="openai",
                account="codex",
                kind="plan.five_hour",
                scope=scope,
                used=Decimal(used),
                limit=Decimal(100),
                remaining=Decimal(100) - Decimal(used),
                unit="percent",
                window=window,
                resets_at=FROZEN_NOW + reset,
                taken_at=FROZEN_NOW - timedelta(minutes=5),
                source="log",
                detail="Codex plus plan",
            )
            for scope, used, window, reset in (
                ("primary", 18, "5h", timedelta(hours=2)),
                ("secondary", 41, "7d", timedelta(days=3)),
            )
        ]
    )
