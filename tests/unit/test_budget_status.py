"""Budget status (spend, percent, projection, state) and the check that claims crossed thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from costtui.analytics.budgets import (
    budget_status,
    budget_statuses,
    overall_state,
    project_period_spend,
)
from costtui.models import Budget, UsageEvent
from costtui.services.budgets import alert_text, check_budgets
from costtui.store import Store

AT = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)  # a Monday, noon


def _spend(store: Store, n: int, ts: datetime, cost: str, provider: str = "openai") -> None:
    store.record(
        [UsageEvent(event_id=f"e{n}", ts=ts, provider=provider, model="gpt-4o", cost_usd=Decimal(cost), input_tokens=1)]
    )


def test_projection_is_the_pace_so_far_carried_to_the_period_end() -> None:
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    # 10 days of 30 gone, $20 spent: $60 by the end of the month.
    assert project_period_spend(Decimal(20), start, end, start + timedelta(days=10)) == Decimal(60)
    # A minute into the period the pace is taken over an hour, not a minute.
    assert project_period_spend(Decimal(1), start, end, start + timedelta(minutes=1)) == Decimal(720)
    assert project_period_spend(Decimal(5), start, end, end) == Decimal(5)


def test_status_of_a_budget_in_its_period(db_path: Path) -> None:
    with Store(db_path) as store:
        _spend(store, 1, AT - timedelta(hours=1), "6")
        _spend(store, 2, AT - timedelta(days=3), "100")  # last week: not this week's budget
        _spend(store, 3, AT, "50", provider="anthropic")
        store.budgets.add(Budget(name="week", period="week", scope="provider", scope_value="openai", limit_usd=10))
        store.budgets.add(Budget(name="all", period="day", limit_usd=Decimal(40)))
        store.budgets.add(Budget(name="quiet", period="month", scope="model", scope_value="none", limit_usd=1))
        by_name = {s.budget.name: s for s in budget_statuses(store, AT)}

        week = by_name["week"]
        assert week.spend == Decimal(6) and week.percent == Decimal("60.0")
        assert week.state == "warning" and week.crossed == (50,)
        assert week.projected == Decimal(6) * 14  # half a day of a 7-day week gone
        assert by_name["all"].state == "exceeded" and by_name["all"].crossed == (50, 80, 100)
        assert by_name["quiet"].state == "ok" and by_name["quiet"].percent == 0
        assert overall_state(list(by_name.values())) == "exceeded"
        assert overall_state([week, by_name["quiet"]]) == "warning"
        assert overall_state([]) == "ok"
        assert week.as_json()["spend_usd"] == "6" and week.as_json()["state"] == "warning"


def test_thresholds_fire_once_per_period_and_again_the_next(db_path: Path) -> None:
    with Store(db_path) as store:
        store.budgets.add(Budget(name="daily", period="day", limit_usd=Decimal(10)))
        _spend(store, 1, AT, "5")
        assert [a.threshold for a in check_budgets(store, AT)] == [50]
        assert check_budgets(store, AT) == []  # every refresh after: nothing new
        _spend(store, 2, AT + timedelta(minutes=5), "6")
        fired = check_budgets(store, AT + timedelta(minutes=5))
        assert [a.threshold for a in fired] == [80, 100]
        assert "Budget daily has reached 100%" in alert_text(fired[-1])
        assert "$11" in alert_text(fired[-1])
        # The next day starts from zero, then fires again.
        tomorrow = AT + timedelta(days=1)
        assert check_budgets(store, tomorrow) == []
        _spend(store, 3, tomorrow, "9")
        assert [a.threshold for a in check_budgets(store, tomorrow)] == [50, 80]
        assert len(store.budgets.alerts()) == 5


def test_two_checkers_on_one_database_claim_each_threshold_once(db_path: Path) -> None:
    with Store(db_path) as tui, Store(db_path) as serve:
        tui.budgets.add(Budget(name="m", limit_usd=Decimal(10)))
        _spend(tui, 1, AT, "9")
        first = check_budgets(serve, AT)
        second = check_budgets(tui, AT)
        assert [a.threshold for a in first] == [50, 80] and second == []


def test_status_of_one_budget_without_spend(db_path: Path) -> None:
    with Store(db_path) as store:
        b = store.budgets.add(Budget(name="m", limit_usd=Decimal(10)))
        s = budget_status(store, b, AT)
        assert s.spend == 0 and s.projected == 0 and s.remaining == Decimal(10) and not s.projected_over
