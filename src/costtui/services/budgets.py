"""Budget workflows the CLI, the TUI and ``costtui serve`` share: check every budget and claim the
thresholds newly crossed.

A claim is a row in ``budget_alerts`` with a UNIQUE (budget, period, threshold) key, so when the TUI
and ``costtui serve`` both check the same database each threshold fires once per period, in the
process that claimed it; only that process sends it anywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from costtui.analytics.budgets import budget_status
from costtui.formatting import money
from costtui.models import Budget, BudgetAlert
from costtui.store.budgets import BudgetError

if TYPE_CHECKING:
    from costtui.store import Store


def check_budgets(store: Store, now: datetime | None = None) -> list[BudgetAlert]:
    """Claim every threshold the current periods' spend has reached and no one had claimed yet;
    returns the alerts this call claimed (oldest budget name first, lowest threshold first)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    claimed: list[BudgetAlert] = []
    for budget in store.budgets.all():
        status = budget_status(store, budget, now)
        for threshold in status.crossed:
            alert = store.budgets.claim_alert(budget, status.period_start.date(), threshold, status.spend)
            if alert is not None:
                claimed.append(alert)
    return claimed


def alert_title(alert: BudgetAlert) -> str:
    """One line naming the budget and how far it is: the toast's title and the email's subject."""
    word = "exceeded" if alert.threshold >= 100 else "reached"
    return f"Budget {alert.budget_name}: {alert.threshold}% {word}"


def alert_text(alert: BudgetAlert) -> str:
    """The alert in a sentence, for every channel."""
    return (
        f"Budget {alert.budget_name} has reached {alert.threshold}% of its limit:"
        f" {money(alert.spend_usd)} of {money(alert.limit_usd)} spent in the period from"
        f" {alert.period_start.isoformat()} (UTC)."
    )


_FIELD_WORDS = {"limit_usd": "limit", "scope_value": "scope value", "name": "name"}


def validation_words(exc: ValidationError) -> str:
    """A budget's validation errors in words: "limit: the limit must be more than 0"."""
    parts = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        field = ".".join(str(p) for p in error["loc"])
        parts.append(f"{_FIELD_WORDS.get(field, field)}: {message}" if field else message)
    return "; ".join(parts)


def make_budget(**fields: Any) -> Budget:
    """A budget from user input (CLI options, the dialog's fields); BudgetError says what is wrong."""
    try:
        return Budget.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        raise BudgetError(validation_words(exc)) from None


def change_budget(budget: Budget, **fields: Any) -> Budget:
    """``budget`` with the given fields changed (None leaves a field as it is), validated again."""
    data = budget.model_dump()
    data.update({k: v for k, v in fields.items() if v is not None})
    if data.get("scope") == "all":
        data["scope_value"] = None
    return make_budget(**data)
