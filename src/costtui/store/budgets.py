"""Budgets and their alerts, reached as ``store.budgets``.

Spend is read from the daily rollups (budgets run over whole UTC days), so checking a budget costs
the same at ten million events as at ten; an account budget counts that account's billed costs.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from costtui.models import MONEY_KINDS, AlertChannel, AlertDelivery, Budget, BudgetAlert, DeliveryStatus
from costtui.store.event_rows import from_nusd, to_nusd
from costtui.vocabulary import canonical_provider

if TYPE_CHECKING:
    from costtui.store.db import Store


class BudgetError(ValueError):
    """A budget cannot be saved or found; the message says why."""


# Scope → (rollup table, its filter). ``daily`` holds provider and model; ``daily_dim`` the rest.
_DIM_SCOPES = {"app": "app", "user": "user", "team": "team", "project": "project", "key": "api_key_fp"}


def canonical_budget(budget: Budget) -> Budget:
    """Provider names in a budget's scope, spelled as rows are stored."""
    if budget.scope == "provider" and budget.scope_value:
        return budget.model_copy(update={"scope_value": canonical_provider(budget.scope_value)})
    if budget.scope == "account" and budget.scope_value:
        provider, _, name = budget.scope_value.partition("/")
        return budget.model_copy(update={"scope_value": f"{canonical_provider(provider)}/{name}"})
    return budget


def _budget_from_row(r: dict[str, Any]) -> Budget:
    return Budget(
        id=r["id"],
        name=r["name"],
        scope=r["scope"],
        scope_value=r["scope_value"],
        period=r["period"],
        limit_usd=from_nusd(r["limit_nusd"]),
        thresholds=tuple(json.loads(r["thresholds"])),
        enforce=bool(r["enforce"]),
        created_at=datetime.fromisoformat(r["created_at"]),
    )


def _alert_from_row(r: dict[str, Any]) -> BudgetAlert:
    return BudgetAlert(
        id=r["id"],
        budget_id=r["budget_id"],
        budget_name=r["budget_name"],
        period_start=date.fromisoformat(r["period_start"]),
        threshold=r["threshold"],
        spend_usd=from_nusd(r["spend_nusd"]),
        limit_usd=from_nusd(r["limit_nusd"]),
        fired_at=datetime.fromisoformat(r["fired_at"]),
    )


def _delivery_from_row(r: dict[str, Any]) -> AlertDelivery:
    return AlertDelivery(
        id=r["id"],
        alert_id=r["alert_id"],
        channel=r["channel"],
        target=r["target"],
        status=r["status"],
        attempts=r["attempts"],
        error=r["error"],
        created_at=datetime.fromisoformat(r["created_at"]),
        sent_at=datetime.fromisoformat(r["sent_at"]) if r["sent_at"] else None,
    )


class BudgetStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ budgets

    def all(self) -> list[Budget]:
        return [_budget_from_row(r) for r in self.store.query("SELECT * FROM budgets ORDER BY name")]

    def get(self, budget_id: int) -> Budget:
        rows = self.store.query("SELECT * FROM budgets WHERE id = ?", (budget_id,))
        if not rows:
            raise BudgetError(f"no budget with id {budget_id}")
        return _budget_from_row(rows[0])

    def find(self, name_or_id: str) -> Budget:
        """A budget by its name, or by its id written as a number."""
        rows = self.store.query("SELECT * FROM budgets WHERE name = ?", (name_or_id,))
        if not rows and name_or_id.isdigit():
            rows = self.store.query("SELECT * FROM budgets WHERE id = ?", (int(name_or_id),))
        if not rows:
            raise BudgetError(f"no budget named {name_or_id!r}")
        return _budget_from_row(rows[0])

    def _row(self, budget: Budget) -> tuple[Any, ...]:
        return (
            budget.name,
            budget.scope,
            budget.scope_value,
            budget.period,
            to_nusd(budget.limit_usd),
            json.dumps(list(budget.thresholds)),
            int(budget.enforce),
        )

    def add(self, budget: Budget) -> Budget:
        budget = canonical_budget(budget)
        created = datetime.now(UTC)
        try:
            with self.store.transaction() as conn:
                cur = conn.execute(
                    "INSERT INTO budgets (name, scope, scope_value, period, limit_nusd, thresholds, enforce, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (*self._row(budget), created.isoformat()),
                )
        except sqlite3.IntegrityError:
            raise BudgetError(f"a budget named {budget.name!r} exists already") from None
        return budget.model_copy(update={"id": cur.lastrowid, "created_at": created})

    def update(self, budget: Budget) -> Budget:
        budget_id = budget.id
        if budget_id is None:
            raise BudgetError("the budget to change has no id")
        budget = canonical_budget(budget)
        try:
            with self.store.transaction() as conn:
                cur = conn.execute(
                    "UPDATE budgets SET name = ?, scope = ?, scope_value = ?, period = ?, limit_nusd = ?,"
                    " thresholds = ?, enforce = ? WHERE id = ?",
                    (*self._row(budget), budget.id),
                )
        except sqlite3.IntegrityError:
            raise BudgetError(f"a budget named {budget.name!r} exists already") from None
        if cur.rowcount == 0:
            raise BudgetError(f"no budget with id {budget_id}")
        return self.get(budget_id)

    def remove(self, budget_id: int) -> None:
        """Remove a budget; the alerts it raised stay in the log under its name."""
        with self.store.transaction() as conn:
            cur = conn.execute("DELETE FROM budgets WHERE id = ?", (budget_id,))
        if cur.rowcount == 0:
            raise BudgetError(f"no budget with id {budget_id}")

    # ------------------------------------------------------------------ spend

    def spend(self, budget: Budget, at: datetime | None = None) -> Decimal:
        """What the budget's scope has cost in the period holding ``at`` (default now)."""
        start, end = budget.bounds(at or datetime.now(UTC))
        return self.spend_between(budget, start.date(), end.date())

    def spend_between(self, budget: Budget, start: date, end: date) -> Decimal:
        """Cost of the budget's scope over the UTC days ``[start, end)``."""
        days = (start.isoformat(), end.isoformat())
        params: tuple[Any, ...]
        value = budget.scope_value
        if budget.scope == "all":
            sql, params = "SELECT SUM(cost_nusd) FROM daily WHERE day >= ? AND day < ?", days
        elif budget.scope in ("provider", "model"):
            column = "provider" if budget.scope == "provider" else "model"
            if column == "provider" and value:
                value = canonical_provider(value)
            sql = f"SELECT SUM(cost_nusd) FROM daily WHERE day >= ? AND day < ? AND {column} = ?"
            params = (*days, value)
        elif budget.scope == "account":
            provider, _, name = (value or "").partition("/")
            kinds = ", ".join("?" for _ in MONEY_KINDS)
            sql = (
                "SELECT SUM(cost_nusd) FROM billed_costs WHERE day >= ? AND day < ? AND provider = ? AND account = ?"
                f" AND kind IN ({kinds})"
            )
            params = (*days, canonical_provider(provider), name, *MONEY_KINDS)
        else:
            sql = "SELECT SUM(cost_nusd) FROM daily_dim WHERE dim = ? AND value = ? AND day >= ? AND day < ?"
            params = (_DIM_SCOPES[budget.scope], value, *days)
        return from_nusd(self.store.scalar(sql, params))

    # ------------------------------------------------------------------ alerts

    def claim_alert(self, budget: Budget, period_start: date, threshold: int, spend: Decimal) -> BudgetAlert | None:
        """Record that ``threshold`` was crossed in the period; None when it had been already (by
        this process or another), so each threshold fires once per period."""
        if budget.id is None:
            raise BudgetError("the budget has no id")
        fired = datetime.now(UTC)
        with self.store.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO budget_alerts"
                " (budget_id, budget_name, period_start, threshold, spend_nusd, limit_nusd, fired_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    budget.id,
                    budget.name,
                    period_start.isoformat(),
                    threshold,
                    to_nusd(spend),
                    to_nusd(budget.limit_usd),
                    fired.isoformat(),
                ),
            )
        if cur.rowcount == 0:
            return None
        return BudgetAlert(
            id=cur.lastrowid,
            budget_id=budget.id,
            budget_name=budget.name,
            period_start=period_start,
            threshold=threshold,
            spend_usd=spend,
            limit_usd=budget.limit_usd,
            fired_at=fired,
        )

    def alerts(self, limit: int = 200, budget_id: int | None = None) -> list[BudgetAlert]:
        """The newest alerts first."""
        where, params = ("WHERE budget_id = ?", [budget_id]) if budget_id is not None else ("", [])
        rows = self.store.query(
            f"SELECT * FROM budget_alerts {where} ORDER BY fired_at DESC, id DESC LIMIT ?", [*params, limit]
        )
        return [_alert_from_row(r) for r in rows]

    def alert(self, alert_id: int) -> BudgetAlert | None:
        rows = self.store.query("SELECT * FROM budget_alerts WHERE id = ?", (alert_id,))
        return _alert_from_row(rows[0]) if rows else None

    # ------------------------------------------------------------------ deliveries

    def add_delivery(self, alert_id: int, channel: AlertChannel, target: str) -> AlertDelivery:
        """Record that an alert is being sent through ``channel`` (status ``sending``)."""
        created = datetime.now(UTC)
        with self.store.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO alert_deliveries (alert_id, channel, target, status, attempts, created_at)"
                " VALUES (?, ?, ?, 'sending', 0, ?)",
                (alert_id, channel, target, created.isoformat()),
            )
        return AlertDelivery(id=cur.lastrowid, alert_id=alert_id, channel=channel, target=target, created_at=created)

    def finish_delivery(
        self, delivery_id: int, status: DeliveryStatus, attempts: int, error: str | None = None
    ) -> None:
        """The outcome of a send: ``sent`` (with the time) or ``failed`` (with the last error)."""
        sent_at = datetime.now(UTC).isoformat() if status == "sent" else None
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE alert_deliveries SET status = ?, attempts = ?, error = ?, sent_at = ? WHERE id = ?",
                (status, attempts, error, sent_at, delivery_id),
            )

    def deliveries(self, alert_ids: list[int] | None = None) -> dict[int, list[AlertDelivery]]:
        """Deliveries by alert id (all when ``alert_ids`` is None), oldest first."""
        if alert_ids is not None and not alert_ids:
            return {}
        where, params = "", []
        if alert_ids is not None:
            where = f"WHERE alert_id IN ({', '.join('?' for _ in alert_ids)})"
            params = list(alert_ids)
        out: dict[int, list[AlertDelivery]] = {}
        for r in self.store.query(f"SELECT * FROM alert_deliveries {where} ORDER BY id", params):
            d = _delivery_from_row(r)
            out.setdefault(d.alert_id, []).append(d)
        return out
