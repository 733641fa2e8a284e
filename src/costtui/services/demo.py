"""Fill a database with the demo: metered events, then the provider side derived from them
(demo accounts, billed costs, balances and limits), through the store's usual entry points.

Running it again changes nothing for the same clock and seed: events are keyed by their demo id,
accounts are added once, billed lines are upserted, and quota snapshots are keyed by their time.
Demo accounts carry the demo mark (:attr:`costtui.models.Account.is_demo`): they have no key and
sync never calls a provider for them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from costtui.agents import CLAUDE_CODE
from costtui.agents.codex import rate_limit_snapshots
from costtui.config import Settings
from costtui.demo import (
    BILLED_STREAMS,
    MODELS,
    MeteredDay,
    demo_accounts,
    demo_agent_events,
    demo_billed,
    demo_codex_rate_limits,
    demo_events,
    demo_plan_quotas,
    demo_quotas,
)
from costtui.models import Totals, UsageEvent
from costtui.store import Store

BATCH = 5000


@dataclass(frozen=True)
class DemoResult:
    events: int
    accounts: int
    """Demo accounts added by this run (0 when they were there already)."""
    billed_written: int
    quotas: int
    budgets: int = 0
    """Demo budgets added by this run (0 when they were there already)."""


def record_in_batches(
    store: Store, events: Iterable[UsageEvent], batch: int = BATCH, progress: Callable[[int], None] | None = None
) -> int:
    """Record ``events`` a batch at a time (one transaction each); returns how many were new."""
    total = 0
    chunk: list[UsageEvent] = []
    for e in events:
        chunk.append(e)
        if len(chunk) >= batch:
            total += store.record(chunk).accepted
            chunk = []
            if progress:
                progress(total)
    if chunk:
        total += store.record(chunk).accepted
    return total


def fill_demo(
    store: Store,
    *,
    days: int = 90,
    seed: int = 7,
    now: datetime | None = None,
    events: bool = True,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Write ``days`` of demo usage (unless ``events`` is false) and the demo's provider accounts,
    billed costs and limits (blocks: SQLite)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    added = 0
    if events:
        usage = itertools.chain(demo_events(days, now=now, seed=seed), demo_agent_events(days, now=now, seed=seed))
        added = record_in_batches(store, usage, progress=progress)
    providers = _fill_providers(store, days=days, seed=seed, now=now)
    return DemoResult(events=added, budgets=_fill_budgets(store, now), **providers)


def _fill_budgets(store: Store, now: datetime) -> int:
    """Two budgets sized from the demo's own spend: a monthly total comfortably on course, and an
    Anthropic week whose pace runs past its limit. Both stay under their first threshold, so
    ``costtui status`` on a demo database exits 0 (scripts and the CLI contract rely on that)."""
    from decimal import ROUND_CEILING, Decimal

    from costtui.analytics.budgets import budget_status
    from costtui.models import Budget

    def round_up(amount: Decimal, step: int) -> Decimal:
        return max(Decimal(step), (amount / step).to_integral_value(ROUND_CEILING) * step)

    existing = {b.name for b in store.budgets.all()}
    added = 0
    for name, period, scope, value, pace, step in (
        ("monthly total", "month", "all", None, Decimal("1.25"), 50),
        ("anthropic weekly", "week", "provider", "anthropic", Decimal("0.9"), 5),
    ):
        if name in existing:
            continue
        probe = Budget(name=name, period=period, scope=scope, scope_value=value, limit_usd=Decimal(1))  # type: ignore[arg-type]
        status = budget_status(store, probe, now)
        # Under 45% spent now (below the 50% threshold), the limit ``pace`` × the projection.
        limit = round_up(max(status.spend / Decimal("0.45"), status.projected * pace), step)
        store.budgets.add(probe.model_copy(update={"limit_usd": limit}))
        added += 1
    return added


def _fill_providers(store: Store, *, days: int, seed: int, now: datetime) -> dict[str, int]:
    existing = {(a.provider, a.name) for a in store.billing.list_accounts()}
    new_accounts = 0
    accounts = []
    for account in demo_accounts():
        if (account.provider, account.name) in existing:
            accounts.append(store.billing.find_account(account.provider, account.name))
        else:
            accounts.append(store.billing.add_account(account))
            new_accounts += 1
    today = now.date()
    start = today - timedelta(days=days - 1)
    metered = []
    for m in MODELS:
        if m.provider not in BILLED_STREAMS:
            continue
        # Claude Code runs on the Claude plan, not on the API key: the cost report does not bill it.
        plan = {d.day: d for d in store.by_day(start, today, provider=m.provider, model=m.model, source=CLAUDE_CODE)}
        for d in store.by_day(start, today, provider=m.provider, model=m.model):
            p = plan.get(d.day) or Totals()
            metered.append(
                MeteredDay(
                    m.provider,
                    m.model,
                    d.day,
                    d.cost_usd - p.cost_usd,
                    d.input_tokens
                    + d.cache_read_tokens
                    + d.cache_write_tokens
                    - p.input_tokens
                    - p.cache_read_tokens
                    - p.cache_write_tokens,
                    d.output_tokens - p.output_tokens,
                    d.events - p.events,
                )
            )
    billed = demo_billed(metered, today=today, seed=seed)
    # A fixed stamp: a second run over the same data leaves every row as it was.
    stamp = now.replace(hour=0, minute=0, second=0, microsecond=0)
    written = store.billing.record_billed(billed, now=stamp)
    quotas = store.billing.record_quotas(demo_quotas(now, billed))
    # A Claude plan as the status line keeps it (no account: the plan card of the Quotas screen).
    quotas += store.billing.record_quotas(demo_plan_quotas(now))
    # A Codex plan read the way the Codex log import reads it (the plan windows of the Agents screen).
    for at, limits in demo_codex_rate_limits(now):
        quotas += store.billing.record_quotas(rate_limit_snapshots(limits, at))
    store.plans.mark("claude_statusline", "anthropic", "claude-code", now.replace(second=0, microsecond=0))
    taken = now.replace(second=0, microsecond=0)
    for account in accounts:
        assert account.id is not None
        # Fresh as of this run: the cards read "ok", not "never synced" (the data is synthetic).
        for plane in ("usage", "quota"):
            store.billing.mark_success(account.id, plane, synced_through=today - timedelta(days=1), now=taken)
    return {"accounts": new_accounts, "billed_written": written.written, "quotas": quotas}


def demo_settings(settings: Settings) -> Settings:
    """The settings of a demo window: its listener takes a free port, never the real listener's
    (apps pointed at costtui keep writing to the user's own database, and a running ``costtui
    serve`` is not mistaken for the demo's listener). Nothing here is saved to the config file."""
    return settings.model_copy(update={"listener": settings.listener.model_copy(update={"port": 0})})
