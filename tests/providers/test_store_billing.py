"""The billed/limits store: accounts, quotas (latest + history), manual costs, reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from costtui.analytics.summary import status_report
from costtui.models import Account, BilledLine, ManualCost, QuotaSnapshot
from costtui.store import Store
from costtui.store.billing import AccountExists, AccountNotFound

T0 = datetime(2026, 8, 3, 12, tzinfo=UTC)


@pytest.fixture
def store(db_path: Path) -> Store:
    s = Store(db_path)
    yield s
    s.close()


def snap(remaining: str, at: datetime, **kw) -> QuotaSnapshot:
    return QuotaSnapshot(
        provider="deepseek",
        account="default",
        kind="balance",
        scope="usd",
        remaining=Decimal(remaining),
        unit="usd",
        taken_at=at,
        **kw,
    )


def test_quotas_latest_and_history(store: Store) -> None:
    store.billing.record_quotas([snap("10", T0)])
    store.billing.record_quotas([snap("10", T0)])  # same snapshot again: same rows
    store.billing.record_quotas([snap("10", T0 + timedelta(minutes=5))])  # unchanged, < 1 h: no history row
    store.billing.record_quotas([snap("9.5", T0 + timedelta(minutes=10))])  # changed: history row
    store.billing.record_quotas([snap("8", T0 - timedelta(days=1))])  # older: ignored
    (latest,) = store.billing.latest_quotas()
    assert latest.remaining == Decimal("9.5") and latest.taken_at == T0 + timedelta(minutes=10)
    hist = store.billing.quota_history("deepseek", "default", "balance", "usd")
    assert [h.remaining for h in hist] == [Decimal("10"), Decimal("9.5")]


def test_fraction_used() -> None:
    q = QuotaSnapshot(provider="x", account="a", kind="key_limit", limit=50, remaining=10)
    assert q.fraction_used == pytest.approx(0.8)
    assert QuotaSnapshot(provider="x", account="a", kind="balance", remaining=3).fraction_used is None


def test_manual_cost_crud_and_range_spread(store: Store) -> None:
    entry = store.billing.add_manual_cost(
        ManualCost(
            provider="groq",
            start=date(2026, 8, 1),
            end=date(2026, 8, 3),
            amount_usd="10",
            input_tokens=1000,
            note="invoice 7",
        ),
    )
    lines = store.billing.billed_lines(kinds=["manual"])
    assert [ln.cost_usd for ln in lines] == [Decimal("3.333333333"), Decimal("3.333333333"), Decimal("3.333333334")]
    assert sum(ln.input_tokens for ln in lines) == 1000 and lines[0].note == "invoice 7"
    assert store.billing.billed_summary().cost_usd == Decimal(10)
    store.billing.update_manual_cost(entry.model_copy(update={"amount_usd": Decimal(4), "end": date(2026, 8, 2)}))
    assert [ln.cost_usd for ln in store.billing.billed_lines(kinds=["manual"])] == [Decimal(2), Decimal(2)]
    store.billing.delete_manual_cost(entry.id)
    assert store.billing.billed_lines() == [] and store.billing.list_manual_costs() == []
    with pytest.raises(ValueError):
        store.billing.add_manual_cost(
            ManualCost(provider="groq", start=date(2026, 8, 2), end=date(2026, 8, 1), amount_usd=1)
        )


def test_accounts_crud(store: Store) -> None:
    a = store.billing.add_account(Account(provider="openai", key_kind="admin", key_fp="sk-admi…abcd"))
    with pytest.raises(AccountExists):
        store.billing.add_account(Account(provider="openai", key_kind="admin"))
    store.billing.add_account(Account(provider="openai", name="work", key_kind="admin"))
    assert store.billing.find_account("openai").name == "default"
    assert store.billing.find_account("openai", "work").name == "work"
    store.billing.update_account(a.id, enabled=False, base_url="http://x")
    assert store.billing.find_account("openai").enabled is False
    assert [x.name for x in store.billing.list_accounts(enabled_only=True)] == ["work"]
    store.billing.remove_account(a.id)
    assert store.billing.find_account("openai").name == "work"
    with pytest.raises(AccountNotFound):
        store.billing.find_account("anthropic")


def test_status_json_has_billed_and_quotas(store: Store) -> None:
    store.billing.add_account(Account(provider="deepseek"))
    store.billing.record_billed(
        [
            BilledLine(
                provider="openai",
                account="default",
                stream="openai.costs",
                kind="cost",
                day=date(2026, 8, 1),
                cost_usd=Decimal("1.25"),
            ),
            BilledLine(
                provider="openai",
                account="default",
                stream="openai.usage.completions",
                kind="usage",
                day=date(2026, 8, 1),
                input_tokens=100,
            ),
            BilledLine(
                provider="anthropic",
                account="default",
                stream="anthropic.claude_code",
                kind="estimate",
                day=date(2026, 8, 2),
                cost_usd=Decimal(5),
            ),
        ],
    )
    store.billing.record_quotas([snap("17.42", T0, resets_at=None)])
    report = status_report(store, now=T0)
    assert report["billed"] == {
        "cost_usd": "1.25",
        "manual_usd": "0",
        "by_provider": [{"name": "openai", "cost_usd": "1.25"}],
        "unknown_days": 0,
        "period": {"from": "2026-08-01", "to": "2026-08-01"},
    }
    (q,) = report["quotas"]
    assert q["provider"] == "deepseek" and q["remaining"] == "17.42" and q["health"] == "never"
    assert set(q) >= {
        "provider",
        "account",
        "kind",
        "used",
        "limit",
        "remaining",
        "unit",
        "resets_at",
        "health",
        "refreshed_at",
    }
