"""What the dashboard and ``costtui status`` show, computed from the store's rollups."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from costtui import __version__
from costtui.analytics.anomalies import Anomaly, detect
from costtui.analytics.budgets import budgets_report
from costtui.analytics.forecast import Forecast, month_forecast, quota_runouts, runouts_json
from costtui.analytics.health import health_map
from costtui.config import SyncSettings
from costtui.models import DayTotals, GroupTotals, Totals, UnpricedModel
from costtui.store import EventStore


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
    yesterday: Totals = Totals()
    """The whole previous UTC day (today's "previous period")."""
    previous_month_to_date: Totals = Totals()
    """The same days of the previous month (1st to today's day number, clamped to its length)."""
    trailing_week: Totals = Totals()
    """The 7 whole UTC days before today (today is partial, so it is left out)."""
    trailing_week_days: int = 0
    """How many of those 7 days had any history (from the first recorded day on)."""
    previous_week: Totals = Totals()
    """The 7 days before :attr:`trailing_week`, for its change."""
    previous_week_days: int = 0
    burn_rate_per_hour: Decimal = Decimal(0)
    """Today's cost per hour elapsed today (UTC), at least one hour, so a minute's spend after
    midnight is not extrapolated sixty-fold."""
    forecast: Forecast | None = None
    """Month-end spend forecast with its range (weekday-aware; see analytics.forecast)."""
    anomalies: list[Anomaly] = []
    """Anomalous days over the charts' range, newest first (see analytics.anomalies)."""

    @property
    def previous_month_span(self) -> tuple[date, date]:
        """The days :attr:`previous_month_to_date` covers."""
        return previous_month_span(self.today)

    @property
    def trailing_average_per_day(self) -> Decimal | None:
        """Average cost per day over the trailing week; None with no history before today."""
        return per_day(self.trailing_week.cost_usd, self.trailing_week_days)

    @property
    def previous_average_per_day(self) -> Decimal | None:
        return per_day(self.previous_week.cost_usd, self.previous_week_days)

    @property
    def trailing_burn_rate_per_hour(self) -> Decimal | None:
        """The trailing week's average cost per hour: what :attr:`burn_rate_per_hour` compares to."""
        avg = self.trailing_average_per_day
        return None if avg is None else avg / 24

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


def per_day(cost: Decimal, days: int) -> Decimal | None:
    return cost / days if days > 0 else None


def change_ratio(current: Decimal, previous: Decimal | None) -> Decimal | None:
    """Relative change from ``previous`` to ``current`` (0.25 is 25% more); None when there is no
    base to compare with (no previous period, or it cost nothing)."""
    if previous is None or previous <= 0:
        return None
    return (current - previous) / previous


def previous_month_span(today: date) -> tuple[date, date]:
    """The days of the previous month matching today's month to date: 1st to the same day
    number, clamped to the previous month's length (31 March compares with 1-28/29 February)."""
    last_of_previous = today.replace(day=1) - timedelta(days=1)
    start = last_of_previous.replace(day=1)
    return start, last_of_previous.replace(day=min(today.day, last_of_previous.day))


def days_with_history(start: date, end: date, first: date | None) -> int:
    """Days in [start, end] on or after the first recorded day: an average over a week that
    started mid-week divides by the days that could have had usage, not by 7."""
    if first is None or first > end:
        return 0
    return (end - max(start, first)).days + 1


def burn_rate_per_hour(today_cost: Decimal, now: datetime) -> Decimal:
    """Cost per hour elapsed since UTC midnight (at least one hour)."""
    now = now.astimezone(UTC)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC)
    hours = max(Decimal(1), Decimal(int((now - midnight).total_seconds())) / 3600)
    return today_cost / hours


def dashboard(store: EventStore, now: datetime | None = None, history_days: int = 90) -> DashboardSnapshot:
    now = (now or now_utc()).astimezone(UTC)
    today = now.date()
    month_start = today.replace(day=1)
    first = store.first_day()
    history_start = today - timedelta(days=history_days - 1)

    billed_all = store.billing.billed_summary()
    has_billed = billed_all.first_day is not None
    today_totals = store.totals(today, today)
    yesterday = today - timedelta(days=1)
    week_start, prev_week_start = today - timedelta(days=7), today - timedelta(days=14)
    prev_week_end = week_start - timedelta(days=1)
    return DashboardSnapshot(
        generated_at=now,
        today=today,
        today_totals=today_totals,
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
        yesterday=store.totals(yesterday, yesterday),
        previous_month_to_date=store.totals(*previous_month_span(today)),
        trailing_week=store.totals(week_start, yesterday),
        trailing_week_days=days_with_history(week_start, yesterday, first),
        previous_week=store.totals(prev_week_start, prev_week_end),
        previous_week_days=days_with_history(prev_week_start, prev_week_end, first),
        burn_rate_per_hour=burn_rate_per_hour(today_totals.cost_usd, now),
        forecast=month_forecast(store, now),
        anomalies=detect(store, now, days=history_days),
    )


def _group_json(rows: list[GroupTotals]) -> list[dict[str, Any]]:
    return [{"name": g.name, **g.as_json()} for g in rows]


def status_report(
    store: EventStore, now: datetime | None = None, *, sync: SyncSettings | None = None
) -> dict[str, Any]:
    """The JSON of ``costtui status --json`` (a contract other tools rely on: add, never rename).

    ``sync`` is the ``[sync]`` settings: account health in ``quotas`` depends on its intervals."""
    now = (now or now_utc()).astimezone(UTC)
    today = now.date()
    month_start = today.replace(day=1)
    report: dict[str, Any] = {
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
        # Month-end forecast: month_to_date, month_end and its 80% range (low, high).
        # ``runouts``: balances and quotas that are falling, and when they reach zero.
        "forecast": {
            **month_forecast(store, now).as_json(),
            "runouts": runouts_json(quota_runouts(store, now)),
        },
        # Billed plane and limits: what providers say is owed, and every quota.
        **_billed_and_quotas(store, sync),
        # Budgets (each with its state; ``budgets_state`` is the worst) and the recent alerts.
        **budgets_report(store, now),
    }
    report["freshness"] = freshness_report(report, now)
    return report


def _age_seconds(iso: str | None, now: datetime) -> int | None:
    return None if iso is None else max(0, int((now - datetime.fromisoformat(iso)).total_seconds()))


def freshness_report(report: dict[str, Any], now: datetime) -> dict[str, Any]:
    """How old the data is: the newest event, and each account's last complete sync (from the
    report's ``last_event_at`` and ``accounts``), with ages in seconds."""
    return {
        "newest_event_at": report["last_event_at"],
        "newest_event_age_seconds": _age_seconds(report["last_event_at"], now),
        "accounts": [
            {
                "provider": a["provider"],
                "account": a["account"],
                "health": a["health"],
                "last_success_at": a["last_success_at"],
                "age_seconds": _age_seconds(a["last_success_at"], now),
            }
            for a in report["accounts"]
        ],
    }


def _billed_and_quotas(store: EventStore, sync: SyncSettings | None = None) -> dict[str, Any]:
    """``billed`` (provider-reported and manual costs), ``quotas`` and ``accounts`` (sync health)."""
    return {
        "billed": billed_report(store),
        "quotas": quotas_report(store, sync),
        "accounts": accounts_report(store, sync),
    }


def _planes(store: EventStore, account_id: int) -> dict[str, dict[str, Any]]:
    """Each plane's freshness: when it was last tried, last read completely, and its last error."""
    out: dict[str, dict[str, Any]] = {}
    for plane, r in store.billing.plane_sync(account_id).items():
        failing = r["last_error_at"] is not None and (
            r["last_success_at"] is None or r["last_error_at"] >= r["last_success_at"]
        )
        out[plane] = {
            "ok": not failing and r["last_success_at"] is not None,
            "last_attempt_at": _iso(r["last_attempt_at"]),
            "last_success_at": _iso(r["last_success_at"]),
            "last_error": r["last_error"] if failing else None,
            "last_error_at": _iso(r["last_error_at"]) if failing else None,
            "synced_through": r["synced_through"].isoformat() if r["synced_through"] else None,
        }
    return out


def accounts_report(store: EventStore, sync: SyncSettings | None = None) -> list[dict[str, Any]]:
    """One entry per provider account: its health and each plane's freshness (the ``accounts`` key
    of ``status --json``). Every account is here, with or without quota rows, so a script sees an
    account whose syncs fail even when it never reported a limit."""
    accounts = store.billing.list_accounts()
    health = health_map(store, sync, accounts=accounts)
    out = []
    for a in accounts:
        h = health[(a.provider, a.name)]
        assert a.id is not None
        out.append(
            {
                "provider": a.provider,
                "account": a.name,
                "enabled": a.enabled,
                "health": h.health,
                "last_attempt_at": _iso(h.last_attempt_at),
                "last_success_at": _iso(h.last_success_at),
                "last_error": h.last_error,
                "last_error_at": _iso(h.last_error_at),
                "usage_synced_through": h.usage_synced_through.isoformat() if h.usage_synced_through else None,
                "planes": _planes(store, a.id),
            }
        )
    return out


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.astimezone(UTC).isoformat()


def quotas_report(store: EventStore, sync: SyncSettings | None = None) -> list[dict[str, Any]]:
    """One entry per account and limit (``costtui quotas --json`` and the ``quotas`` key of ``status --json``).

    Health is judged against the configured sync intervals (the defaults without), in one place:
    :func:`costtui.analytics.health.health_map`. Every row says its account's last error; an
    account with no limit rows (never synced, failing, or a provider that reports none) is one row
    of kind ``"account"`` with null values, so the list stays a list and no account is missing.
    """
    accounts = store.billing.list_accounts()
    health = health_map(store, sync, accounts=accounts)
    # Plans with no account (Claude Code's status line, the opted-in usage endpoints) keep their
    # health beside the accounts': a failure there is an error, not a removed account.
    plan_errors: dict[tuple[str, str], str | None] = {}
    for ph in store.plans.health():
        plan_errors[(ph.provider, ph.account)] = plan_errors.get((ph.provider, ph.account)) or ph.last_error
    out = []
    seen: set[tuple[str, str]] = set()
    for q in store.billing.latest_quotas():
        h = health.get((q.provider, q.account))
        plan_error = plan_errors.get((q.provider, q.account))
        plan_health = None if h or (q.provider, q.account) not in plan_errors else ("error" if plan_error else "ok")
        seen.add((q.provider, q.account))
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
                "health": h.health if h else plan_health or "removed",
                "refreshed_at": _iso(q.taken_at),
                "source": q.source,
                "detail": q.detail,
                "last_error": h.last_error if h and h.health == "error" else plan_error if not h else None,
            }
        )
    for a in accounts:
        if (a.provider, a.name) in seen:
            continue
        h = health[(a.provider, a.name)]
        out.append(
            {
                "provider": a.provider,
                "account": a.name,
                "kind": "account",
                "scope": None,
                "used": None,
                "limit": None,
                "remaining": None,
                "unit": None,
                "window": None,
                "resets_at": None,
                "health": h.health,
                "refreshed_at": _iso(h.last_success_at),
                "source": None,
                "detail": "no limits reported",
                "last_error": h.last_error if h.health == "error" else None,
            }
        )
    return out


def billed_report(store: EventStore, start: date | None = None, end: date | None = None) -> dict[str, Any]:
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
