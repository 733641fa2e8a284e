"""5-hour blocks (ccusage semantics), sessions and projects from imported agent events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from costtui.analytics.agents import blocks, overview
from costtui.models import QuotaSnapshot, UsageEvent
from costtui.store import Store
from costtui.store.agents import SecondRow

T0 = datetime(2026, 8, 5, 9, 14, 3, tzinfo=UTC)


def row(at: datetime, cost: str = "1") -> SecondRow:
    return SecondRow(ts=at, events=1, tokens=100, cost_usd=Decimal(cost), models=("m",))


def test_blocks_start_on_the_hour_last_five_hours_and_break_on_gaps() -> None:
    found = blocks(
        [
            row(T0),
            row(T0 + timedelta(hours=4, minutes=40)),  # still within 09:00-14:00
            row(T0 + timedelta(hours=4, minutes=50)),  # 14:04: past the block's end: a new block at 14:00
            row(T0 + timedelta(hours=10, minutes=51)),  # a gap of more than 5 h: another block
        ]
    )
    assert [(b.start.hour, b.events) for b in found] == [(9, 2), (14, 1), (20, 1)]
    assert found[0].end == datetime(2026, 8, 5, 14, tzinfo=UTC)


def test_burn_rate_and_projection_to_the_block_end() -> None:
    [b] = blocks([row(T0.replace(minute=0, second=0), "2"), row(T0.replace(minute=30, second=0), "1")])
    assert b.burn_per_hour() == Decimal(6)  # $3 over 30 minutes
    now = T0.replace(minute=30, second=0)
    assert b.time_left(now) == timedelta(hours=4, minutes=30)
    assert b.projected_cost(now) == Decimal(3) + Decimal(6) * Decimal("4.5")
    assert b.is_active(now) and not b.is_active(now + timedelta(hours=5))


def test_overview_sessions_projects_and_official_windows(db_path: Path) -> None:
    def ev(i: int, session: str, project: str, minutes: int, source: str = "claude-code") -> UsageEvent:
        return UsageEvent(
            event_id=f"e{i}",
            ts=T0 + timedelta(minutes=minutes),
            provider="anthropic",
            model="claude-sonnet-4-5",
            source=source,
            session=session,
            project=project,
            input_tokens=1000,
            output_tokens=100,
            cost_usd=Decimal("0.5"),
        )

    with Store(db_path) as store:
        store.record(
            [
                ev(1, "s1", "/a", 0),
                ev(2, "s1", "/a", 30),
                ev(3, "s2", "/b", 60),
                ev(4, "x", "/c", 61, source="ingest"),  # not an agent event
            ]
        )
        store.billing.record_quotas(
            [
                QuotaSnapshot(
                    provider="openai",
                    account="codex",
                    kind="plan.five_hour",
                    scope="primary",
                    used=Decimal(20),
                    limit=Decimal(100),
                    unit="percent",
                    window="5h",
                    resets_at=T0 + timedelta(hours=2),
                    taken_at=T0,
                    source="log",
                )
            ]
        )
        data = overview(store, T0 + timedelta(minutes=90))
    assert data.current is not None and data.current.cost_usd == Decimal("1.5")
    assert [(s.session, s.events, s.cost_usd) for s in data.sessions] == [
        ("s2", 1, Decimal("0.5")),
        ("s1", 2, Decimal(1)),
    ]
    assert data.sessions[1].end - data.sessions[1].start == timedelta(minutes=30)
    assert [(p.project, p.sessions) for p in data.projects] == [("/a", 1), ("/b", 1)]
    assert data.official_reset() == T0 + timedelta(hours=2)
    assert [w.window for w in data.windows] == ["5h"]
