"""What the dashboard and ``costtui status`` show, computed from the store's rollups."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from costtui import __version__
from costtui.analytics.health import health_map
from costtui.config import SyncSettings
from costtui.models import DayTotals, GroupTotals, Totals, UnpricedModel
from costtui.store import Store


class DashboardSnapshot(BaseModel):
    """Everything the Dashboard paints, computed in one go (immutable; the UI swaps it whole)."""

    model_config = ConfigDict(frozen=True)

    generated_at: datetime
    today: date
    """The current UTC day (rollups are by UTC day)."""
    today_totals: Totals
    month_to_date: Totals
    all_time: Totals
    first_day: date | None
    active_days: int
    """Days from the first recorded day to today (for the per-day average)."""
    days: list[DayTotals]
    """The last ``history_days`` days, oldest first, zero-filled."""
    by_provider: list[GroupTotals]
    by_model: list[GroupTotals]
    by_app: list[GroupTotals]
    unpriced: list[UnpricedModel]
    last_event: datetime | None
    billed_month_to_date: Decimal | None = None
    """What providers (and manual entries) say is owed this month; None with no billed data."""
    billed_all_time: Decimal | None = None

    @property
    def is_empty(self) -> bool:
        return self.all_time.events == 0 and self.billed_all_time is None

    @property
    def average_per_day(self) -> Decimal:
        if not self.active_days:
            return Decimal(0)
        return self.all_time.cost_usd / self.active_days


def now_utc() -> datetime:
    return datetime.now(UTC)


def dashboard(store: Store, now: datetime | None = None, history_days: int = 90) -> DashboardSnapshot:
    now = (now or now_utc()).astimezone(UTC)
    today = now.date()
    month_start = today.replace(day=1)
    first = store.first_day()
    history_start = today - timedelta(days=history_days - 1)

    billed_all = store.billing.billed_summary()
    has_billed = billed_all.first_day is not None
    return DashboardSnapshot(
        generated_at=now,
        today=today,
        today_totals=store.totals(today, today),
        month_to_date=store.totals(month_start, today),
        all_time=store.totals(),
        first_day=first,
        active_days=((today - first).days + 1) if first and first <= today else (1 if first else 0),
        days=store.by_day(history_start, today),
        by_provider=store.by_dimension("provider"),
        by_model=store.by_dimension("model"),
        by_app=store.by_dimension("app"),
        unpriced=store.unpriced_models(),
        last_event=store.last_event_time(),
        billed_month_to_date=store.billing.billed_summary(month_start, today).cost_usd if has_billed else None,
        billed_all_time=billed_all.cost_usd if has_billed else None,
    )


def _group_json(rows: list[GroupTotals]) -> list[dict[str, Any]]:
    return [{"name": g.name, **g.as_json()} for g in rows]


def status_report(store: Store, now: datetime | None = None, *, sync: SyncSettings | None = None) -> dict[str, Any]:
    """The JSON of ``costtui status --json`` (a contract other tools rely on: add, never rename).

    ``sync`` is the ``[sync]`` settings: account health in ``quotas`` depends on its intervals."""
    now = (now or now_utc()).astimezone(UTC)
    today = now.date()
    month_start = today.replace(day=1)
    return {
        "generated_at": now.isoformat(),
        "version": __version__,
        "database": str(store.path),
        "day_boundary": "UTC",
        "totals": store.totals().as_json(),
        "today": {"date": today.isoformat(), **store.totals(today, today).as_json()},
        "month_to_date": {"from": month_start.isoformat(), **store.totals(month_start, today).as_json()},
        "by_provider": _group_json(store.by_dimension("provider")),
        "by_model": _group_json(store.by_dimension("model")),
        "by_app": _group_json([g for g in store.by_dimension("app") if g.name]),
        "unpriced_models": [
            {
                "provider": u.provider,
                "model": u.model,
                "events": u.events,
                "tokens": u.tokens,
                "last_seen": u.last_seen.isoformat(),
            }
            for u in store.unpriced_models()
        ],
        "last_event_at": (t.isoformat() if (t := store.last_event_time()) else None),
        # Billed plane and limits: what providers say is owed, and every quota.
        **_billed_and_quotas(store, sync),
    }


def _billed_and_quotas(store: Store, sync: SyncSettings | None = None) -> dict[str, Any]:
    """``billed`` (provider-reported and manual costs) and ``quotas``."""
    return {"billed": billed_report(store), "quotas": quotas_report(store, sync)}


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.astimezone(UTC).isoformat()


def quotas_report(store: Store, sync: SyncSettings | None = None) -> list[dict[str, Any]]:
    """One entry per account and limit (``costtui quotas --json`` and the ``quotas`` key of ``status --json``).

    Health is judged against the configured sync intervals (the defaults without), in one place:
    :func:`costtui.analytics.health.health_map`.
    """
    health = health_map(store, sync)
    out = []
    for q in store.billing.latest_quotas():
        h = health.get((q.provider, q.account))
        out.append(
            {
                "provider": q.provider,
                "account": q.account,
                "kind": q.kind,
                "scope": q.scope,
                "used": _text(q.used),
                "limit": _text(q.limit),
                "remaining": _text(q.remaining),
                "unit": q.unit,
                "window": q.window,
                "resets_at": _iso(q.resets_at),
                "health": h.health if h else "removed",
                "refreshed_at": _iso(q.taken_at),
                "source": q.source,
                "detail": q.detail,
            }
        )
    return out


def billed_report(store: Store, start: date | None = None, end: date | None = None) -> dict[str, Any]:
    """The ``billed`` key of ``costtui status --json``: money providers say is owed (plus manual)."""
    s = store.billing.billed_summary(start, end)
    return {
        "cost_usd": str(s.cost_usd),
        "manual_usd": str(s.manual_usd),
        "by_provider": [{"name": p, "cost_usd": str(v)} for p, v in sorted(s.by_provider.items())],
        "unknown_days": s.unknown_days,
        "period": {
            "from": s.first_day.isoformat() if s.first_day else None,
            "to": s.last_day.isoformat() if s.last_day else None,
        },
    }
