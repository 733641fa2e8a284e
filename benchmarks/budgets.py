"""Budgets benchmark: how long one budget check takes (the TUI and `costtui serve` run it every
``[alerts] check_seconds`` and after new events), and `status --json`'s budget part.

Builds a database of N demo events over a year (200,000 by default; reuse one with --db), adds B
budgets over every scope and period, then prints:
  - check_budgets (every budget's spend from the rollups + the claims) per call, median of runs;
  - budget_statuses (what the Budgets screen and status --json read) per call;
  - the same per budget.
The rollups make this independent of the number of events (target: a check of 50 budgets well
under 100 ms). Figures taken while other work loads the CPU are pessimistic.

Run by hand:  python benchmarks/budgets.py [--events 200000] [--budgets 50] [--db PATH]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from costtui.analytics.budgets import budget_statuses
from costtui.demo import demo_events
from costtui.models import BUDGET_PERIODS, Budget
from costtui.services.budgets import check_budgets
from costtui.store import Store

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
DAYS = 365
SCOPES = [
    ("all", None),
    ("provider", "openai"),
    ("provider", "anthropic"),
    ("model", "gpt-4o-mini"),
    ("model", "claude-sonnet-4-5"),
    ("app", "support-bot"),
    ("project", "search"),
    ("account", "openai/demo"),
]


def build(store: Store, events: int) -> None:
    # demo_events' weekday/weekend rhythm averages ~0.8 of per_day; every day up to NOW is kept
    # (budgets read the current periods).
    per_day = int(events / DAYS / 0.8) + 1
    batch = []
    for e in demo_events(DAYS, now=NOW, seed=1, per_day=per_day):
        batch.append(e)
        if len(batch) >= 5000:
            store.record(batch)
            batch = []
    if batch:
        store.record(batch)


def timed(fn: object, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--budgets", type=int, default=50)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp()) / "budgets.db"
    with Store(db) as store:
        if store.count_events() == 0:
            t0 = time.perf_counter()
            build(store, args.events)
            print(f"built {store.count_events():,} events in {time.perf_counter() - t0:.1f} s")
        for b in store.budgets.all():
            assert b.id is not None
            store.budgets.remove(b.id)
        for i in range(args.budgets):
            scope, value = SCOPES[i % len(SCOPES)]
            period = BUDGET_PERIODS[i % len(BUDGET_PERIODS)]
            store.budgets.add(
                Budget(name=f"b{i}", scope=scope, scope_value=value, period=period, limit_usd=Decimal(10 + i))  # type: ignore[arg-type]
            )
        first = time.perf_counter()
        claimed = check_budgets(store, NOW)
        print(f"first check: {len(claimed)} alerts claimed in {(time.perf_counter() - first) * 1000:.1f} ms")
        check = timed(lambda: check_budgets(store, NOW), args.runs)
        statuses = timed(lambda: budget_statuses(store, NOW), args.runs)
        n = args.budgets
        print(f"check_budgets, {n} budgets:   {check * 1000:7.1f} ms  ({check * 1000 / n:.2f} ms per budget)")
        print(f"budget_statuses, {n} budgets: {statuses * 1000:7.1f} ms  ({statuses * 1000 / n:.2f} ms per budget)")


if __name__ == "__main__":
    main()
