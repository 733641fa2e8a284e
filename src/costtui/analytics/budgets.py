"""Where each budget stands: spend in its current period, percent used, the spend projected to the
period's end, and a state (ok, warning, exceeded) that ``costtui status`` turns into its exit code.

The projection is one function (:func:`project_period_spend`): a straight line at the period's pace
so far. A better forecast replaces that function and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal

from costtui.models import AlertDelivery, Budget, BudgetAlert, decimal_str

if TYPE_CHECKING:
    from costtui.store import EventStore

BudgetState = Literal["ok", "warning", "exceeded"]
STATE_EXIT_CODES: dict[BudgetState, int] = {"ok": 0, "warning": 1, "exceeded": 2}
"""``costtui status``'s exit code: 0 all budgets fine, 1 a warning threshold crossed, 2 a budget exceeded."""

MIN_PACE_WINDOW = timedelta(hours=1)
"""The projection never divides by less than an hour: a minute into a period, one request would
otherwise project an absurd total."""


def project_period_spend(spend: Decimal, start: datetime, end: datetime, now: datetime) -> Decimal:
    """The spend expected by ``end`` if the pace since ``start`` holds (linear), never below ``spend``."""
    total = (end - start).total_seconds()
    elapsed = max((now - start).total_seconds(), min(MIN_PACE_WINDOW.total_seconds(), total))
    if elapsed >= total:
        return spend
    return max(spend, spend * Decimal(total) / Decimal(elapsed))


def percent_of(spend: Decimal, limit: Decimal) -> Decimal:
    """``spend`` as a percentage of ``limit``, to one decimal."""
    return (spend * 100 / limit).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def crossed_thresholds(budget: Budget, spend: Decimal) -> tuple[int, ...]:
    """The thresholds ``spend`` has reached (a threshold is reached at exactly its percentage)."""
    return tuple(t for t in budget.thresholds if spend * 100 >= budget.limit_usd * t)


def state_of(budget: Budget, spend: Decimal) -> BudgetState:
    """``exceeded`` at or past the limit, ``warning`` once any threshold is reached, else ``ok``."""
    if spend >= budget.limit_usd:
        return "exceeded"
    return "warning" if crossed_thresholds(budget, spend) else "ok"


@dataclass(frozen=True)
class BudgetStatus:
    """One budget in its current period."""

    budget: Budget
    period_start: datetime
    period_end: datetime
    spend: Decimal
    projected: Decimal
    percent: Decimal
    state: BudgetState
    crossed: tuple[int, ...]

    @property
    def remaining(self) -> Decimal:
        return max(Decimal(0), self.budget.limit_usd - self.spend)

    @property
    def projected_over(self) -> bool:
        """The pace so far ends the period past the limit."""
        return self.projected > self.budget.limit_usd

    def as_json(self) -> dict[str, Any]:
        b = self.budget
        return {
            "id": b.id,
            "name": b.name,
            "scope": b.scope,
            "scope_value": b.scope_value,
            "period": b.period,
            "period_start": self.period_start.date().isoformat(),
            "period_end": self.period_end.date().isoformat(),
            "limit_usd": decimal_str(b.limit_usd),
            "spend_usd": decimal_str(self.spend),
            "percent": str(self.percent),
            "projected_usd": decimal_str(self.projected),
            "thresholds": list(b.thresholds),
            "crossed": list(self.crossed),
            "state": self.state,
            "enforce": b.enforce,
        }


def budget_status(store: EventStore, budget: Budget, now: datetime | None = None) -> BudgetStatus:
    now = (now or datetime.now(UTC)).astimezone(UTC)
    start, end = budget.bounds(now)
    spend = store.budgets.spend_between(budget, start.date(), end.date())
    return BudgetStatus(
        budget=budget,
        period_start=start,
        period_end=end,
        spend=spend,
        # An estimate: to the hundredth of a cent, not the 28 digits of a division.
        projected=project_period_spend(spend, start, end, now).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
        percent=percent_of(spend, budget.limit_usd),
        state=state_of(budget, spend),
        crossed=crossed_thresholds(budget, spend),
    )


def budget_statuses(store: EventStore, now: datetime | None = None) -> list[BudgetStatus]:
    """Every budget, by name."""
    return [budget_status(store, b, now) for b in store.budgets.all()]


def overall_state(statuses: list[BudgetStatus]) -> BudgetState:
    """The worst state of all budgets (``ok`` with none)."""
    worst: BudgetState = "ok"
    for s in statuses:
        if STATE_EXIT_CODES[s.state] > STATE_EXIT_CODES[worst]:
            worst = s.state
    return worst


def alert_json(alert: BudgetAlert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "budget_id": alert.budget_id,
        "budget": alert.budget_name,
        "period_start": alert.period_start.isoformat(),
        "threshold": alert.threshold,
        "spend_usd": decimal_str(alert.spend_usd),
        "limit_usd": decimal_str(alert.limit_usd),
        "fired_at": alert.fired_at.isoformat(),
    }


def delivery_json(d: AlertDelivery) -> dict[str, Any]:
    return {
        "channel": d.channel,
        "target": d.target,
        "status": d.status,
        "attempts": d.attempts,
        "error": d.error,
        "sent_at": d.sent_at.isoformat() if d.sent_at else None,
    }


def alerts_report(store: EventStore, limit: int = 50) -> list[dict[str, Any]]:
    """The newest alerts first, each with where it was sent and how that went."""
    alerts = store.budgets.alerts(limit=limit)
    deliveries = store.budgets.deliveries([a.id for a in alerts if a.id is not None])
    return [{**alert_json(a), "deliveries": [delivery_json(d) for d in deliveries.get(a.id or 0, [])]} for a in alerts]


def budgets_report(store: EventStore, now: datetime | None = None) -> dict[str, Any]:
    """``budgets``, ``budgets_state`` and ``alerts`` of ``costtui status --json``."""
    statuses = budget_statuses(store, now)
    return {
        "budgets": [s.as_json() for s in statuses],
        "budgets_state": overall_state(statuses),
        "alerts": alerts_report(store, limit=20),
    }
