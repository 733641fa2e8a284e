"""Coding-agent views: sessions, projects and 5-hour blocks (the windows agent plans use).

Blocks follow ccusage: events in time order; a block starts at its first event's time floored
to the hour and lasts 5 hours; an event more than 5 hours after the block's start, or more than
5 hours after the previous event, starts a new block. This estimates a subscription window; where
the logs carry the plan's own windows (Codex ``rate_limits``) those are shown and preferred.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from costtui.agents import AGENT_SOURCES
from costtui.agents.codex import QUOTA_ACCOUNT
from costtui.models import QuotaSnapshot
from costtui.store import Store
from costtui.store.agents import ProjectRow, SecondRow, SessionRow

BLOCK = timedelta(hours=5)
HISTORY_DAYS = 30


@dataclass
class Block:
    start: datetime
    first: datetime
    last: datetime
    events: int = 0
    tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    models: set[str] = field(default_factory=set)

    @property
    def end(self) -> datetime:
        return self.start + BLOCK

    def is_active(self, now: datetime) -> bool:
        return now < self.end and now - self.last < BLOCK

    def burn_per_hour(self) -> Decimal | None:
        """Spend per hour between the block's first and last event (None before two distinct times)."""
        seconds = int((self.last - self.first).total_seconds())
        if seconds <= 0:
            return None
        return self.cost_usd * 3600 / seconds

    def tokens_per_minute(self) -> float | None:
        seconds = (self.last - self.first).total_seconds()
        return None if seconds <= 0 else self.tokens * 60 / seconds

    def projected_cost(self, now: datetime) -> Decimal | None:
        """What the block will have cost at its end if spending goes on at the current rate."""
        rate = self.burn_per_hour()
        if rate is None:
            return None
        left = max(timedelta(0), self.end - max(now, self.last))
        return self.cost_usd + rate * Decimal(int(left.total_seconds())) / 3600

    def time_left(self, now: datetime) -> timedelta:
        return max(timedelta(0), self.end - now)


def floor_hour(ts: datetime) -> datetime:
    return ts.replace(minute=0, second=0, microsecond=0)


def blocks(rows: Sequence[SecondRow]) -> list[Block]:
    """5-hour blocks from per-second sums in time order (oldest first)."""
    found: list[Block] = []
    current: Block | None = None
    for row in rows:
        if current is None or row.ts - current.start > BLOCK or row.ts - current.last > BLOCK:
            current = Block(start=floor_hour(row.ts), first=row.ts, last=row.ts)
            found.append(current)
        current.last = row.ts
        current.events += row.events
        current.tokens += row.tokens
        current.cost_usd += row.cost_usd
        current.models.update(m for m in row.models if m)
    return found


@dataclass(frozen=True)
class PlanWindow:
    """An official plan window from the logs (Codex ``rate_limits``)."""

    agent: str
    scope: str
    window: str | None
    used_percent: Decimal
    resets_at: datetime | None
    taken_at: datetime
    detail: str | None


@dataclass
class AgentOverview:
    now: datetime
    current: Block | None
    past: list[Block]
    sessions: list[SessionRow]
    projects: list[ProjectRow]
    windows: list[PlanWindow]
    total_cost: Decimal
    total_events: int

    @property
    def empty(self) -> bool:
        return self.total_events == 0 and not self.windows

    def official_reset(self) -> datetime | None:
        """The reset of the shortest official window still running (preferred to the estimate)."""
        running = [w for w in self.windows if w.resets_at is not None and w.resets_at > self.now]
        if not running:
            return None
        return min(running, key=lambda w: (w.scope != "primary", w.resets_at)).resets_at


def plan_windows(quotas: Sequence[QuotaSnapshot]) -> list[PlanWindow]:
    return [
        PlanWindow(
            agent="codex",
            scope=q.scope,
            window=q.window,
            used_percent=q.used or Decimal(0),
            resets_at=q.resets_at,
            taken_at=q.taken_at,
            detail=q.detail,
        )
        for q in quotas
        if q.account == QUOTA_ACCOUNT and q.kind.startswith("plan.")
    ]


def overview(store: Store, now: datetime | None = None, *, days: int = HISTORY_DAYS) -> AgentOverview:
    """Everything the Agents screen shows, read in one go (call it from a worker thread)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    since = now - timedelta(days=days)
    sources = list(AGENT_SOURCES)
    all_blocks = blocks(store.agents.seconds(sources, since))
    current = all_blocks[-1] if all_blocks and all_blocks[-1].is_active(now) else None
    past = [b for b in all_blocks if b is not current][::-1]
    sessions = store.agents.sessions(sources, since)
    projects = store.agents.projects(sources, since)
    windows = plan_windows(store.billing.latest_quotas("openai", QUOTA_ACCOUNT))
    return AgentOverview(
        now=now,
        current=current,
        past=past,
        sessions=sessions,
        projects=projects,
        windows=windows,
        total_cost=sum((b.cost_usd for b in all_blocks), start=Decimal(0)),
        total_events=sum(b.events for b in all_blocks),
    )
