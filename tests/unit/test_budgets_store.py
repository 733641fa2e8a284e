"""Budgets: the record's rules, the periods, spend per scope from the rollups, and one alert per
threshold per period."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from costtui.models import BilledLine, Budget, UsageEvent, period_bounds
from costtui.store import BudgetError, Store

AT = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a Wednesday


def _event(n: int, ts: datetime, cost: str, **fields: str) -> UsageEvent:
    return UsageEvent(
        event_id=f"e{n}",
        ts=ts,
        provider=fields.pop("provider", "openai"),
        model=fields.pop("model", "gpt-4o"),
        cost_usd=Decimal(cost),
        input_tokens=10,
        **fields,
    )


def test_periods_are_utc_calendar_periods() -> None:
    assert period_bounds("day", AT) == (datetime(2026, 11, 18, tzinfo=UTC), datetime(2026, 11, 19, tzinfo=UTC))
    assert period_bounds("week", AT) == (datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC))
    assert period_bounds("month", AT) == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert period_bounds("month", datetime(2026, 12, 31, 23, tzinfo=UTC))[1] == datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"limit_usd": "0"}, "more than 0"),
        ({"limit_usd": "-5"}, "more than 0"),
        ({"scope": "provider"}, "needs the provider"),
        ({"scope_value": "openai"}, "takes no scope value"),
        ({"thresholds": "50,abc"}, "whole percentages"),
        ({"thresholds": [0]}, "from 1 to 1000"),
        ({"scope": "account", "scope_value": "openai"}, "provider/name"),
    ],
)
def test_a_bad_budget_says_what_is_wrong(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Budget.model_validate({"name": "b", "limit_usd": "10", **fields})


def test_thresholds_are_sorted_and_deduplicated() -> None:
    assert Budget(name="b", limit_usd=Decimal(1), thresholds="100, 50 80%,50").thresholds == (50, 80, 100)


def test_spend_per_scope_and_period(db_path: Path) -> None:
    with Store(db_path) as store:
        store.record(
            [
                _event(1, AT, "1.25", app="bot", user="ann"),
                _event(2, AT.replace(day=16), "2", provider="anthropic", model="claude-sonnet-4", app="bot"),
                _event(3, AT.replace(day=3), "4", team="core"),
                _event(4, datetime(2026, 10, 31, 23, tzinfo=UTC), "100"),
            ]
        )
        store.billing.record_billed(
            [
                BilledLine(
                    provider="openai",
                    account="work",
                    stream="costs",
                    kind="cost",
                    day=date(2026, 11, 2),
                    cost_usd=Decimal("7.5"),
                )
            ]
        )
        budgets = store.budgets

        def spend(period: str, scope: str = "all", value: str | None = None) -> Decimal:
            b = Budget(name="x", scope=scope, scope_value=value, period=period, limit_usd=Decimal(10))  # type: ignore[arg-type]
            return budgets.spend(b, AT)

        assert spend("day") == Decimal("1.25")
        assert spend("week") == Decimal("3.25")
        assert spend("month") == Decimal("7.25")
        assert spend("month", "provider", "Anthropic") == Decimal(2)
        assert spend("month", "model", "gpt-4o") == Decimal("5.25")
        assert spend("week", "app", "bot") == Decimal("3.25")
        assert spend("month", "user", "ann") == Decimal("1.25")
        assert spend("month", "team", "core") == Decimal(4)
        assert spend("month", "account", "openai/work") == Decimal("7.5")
        assert spend("month", "project", "none") == Decimal(0)


def test_crud_and_names_are_unique(db_path: Path) -> None:
    with Store(db_path) as store:
        added = store.budgets.add(Budget(name="team", scope="provider", scope_value="x-ai", limit_usd=Decimal("50.10")))
        assert added.id is not None and added.scope_value == "xai"
        with pytest.raises(BudgetError, match="exists already"):
            store.budgets.add(Budget(name="team", limit_usd=Decimal(1)))
        changed = store.budgets.update(added.model_copy(update={"limit_usd": Decimal(60), "enforce": True}))
        assert changed.limit_usd == Decimal(60) and changed.enforce
        assert store.budgets.find("team").id == added.id
        assert store.budgets.find(str(added.id)).name == "team"
        store.budgets.remove(added.id)
        assert store.budgets.all() == []
        with pytest.raises(BudgetError, match="no budget"):
            store.budgets.remove(added.id)


def test_a_threshold_fires_once_per_period_even_from_two_processes(db_path: Path) -> None:
    with Store(db_path) as first, Store(db_path) as second:
        budget = first.budgets.add(Budget(name="m", limit_usd=Decimal(10)))
        nov, dec = date(2026, 11, 1), date(2026, 12, 1)
        assert first.budgets.claim_alert(budget, nov, 50, Decimal(6)) is not None
        assert second.budgets.claim_alert(budget, nov, 50, Decimal(7)) is None
        assert second.budgets.claim_alert(budget, nov, 80, Decimal(8)) is not None
        assert first.budgets.claim_alert(budget, dec, 50, Decimal(5)) is not None
        log = first.budgets.alerts()
        assert [(a.period_start, a.threshold) for a in log][:1] == [(dec, 50)]
        assert len(log) == 3
        first.budgets.remove(budget.id)  # type: ignore[arg-type]
        assert len(first.budgets.alerts()) == 3  # the log outlives the budget
        again = first.budgets.add(Budget(name="m", limit_usd=Decimal(10)))
        assert again.id != budget.id
        assert first.budgets.claim_alert(again, nov, 50, Decimal(6)) is not None
