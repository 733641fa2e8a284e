"""Reconciliation math on a fixture whose answers are known by hand."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from costtui.analytics.reconcile import reconcile
from costtui.cli import cli
from costtui.models import BilledLine, UsageEvent
from costtui.store import Store

D = Decimal
D1, D2, D3 = date(2026, 11, 10), date(2026, 11, 11), date(2026, 11, 12)


def event(n: int, day: date, model: str, cost: str | None, provider: str = "openai", tokens: int = 100) -> UsageEvent:
    return UsageEvent(
        event_id=f"e{n}",
        ts=datetime(day.year, day.month, day.day, 12, n, tzinfo=UTC),
        provider=provider,
        model=model,
        input_tokens=tokens,
        output_tokens=0,
        cost_usd=None if cost is None else D(cost),
        unpriced=cost is None,
    )


def line(day: date, model: str, cost: str | None, kind: str = "cost", provider: str = "openai") -> BilledLine:
    return BilledLine(
        provider=provider,
        account="main",
        stream={"cost": f"{provider}.costs", "usage": f"{provider}.usage"}.get(kind, "manual"),
        kind=kind,  # type: ignore[arg-type]
        day=day,
        model=model,
        line_item=model or "all",
        cost_usd=None if cost is None else D(cost),
    )


@pytest.fixture
def store(db_path: Path) -> Store:
    s = Store(db_path)
    s.record(
        [
            event(1, D1, "gpt-4o", "8.00"),
            event(2, D1, "gpt-4o", "2.00"),
            event(3, D1, "mystery", None, tokens=1234),
            event(4, D2, "gpt-4o", "5.00"),
            # D3: nothing metered for openai
            event(5, D1, "llama-3", "1.00", provider="groq"),  # groq has no billing: metered only
        ]
    )
    s.billing.record_billed(
        [
            line(D1, "gpt-4o", "11.00"),
            line(D1, "gpt-4o", "1.00", kind="manual"),
            line(D1, "gpt-4o", "99.00", kind="usage"),  # token report: never money
            # D2: nothing billed yet
            line(D3, "gpt-4o", "4.00"),
            line(D3, "gpt-4o-mini", None),  # unknown amount: missing, not $0
        ]
    )
    return s


def test_days_pair_billed_with_metered_and_missing_is_not_zero(store: Store) -> None:
    r = reconcile(store, D1, D3)
    days = {(row.day, row.provider): row for row in r.days}
    d1 = days[(D1, "openai")]
    assert (d1.billed, d1.metered) == (D(12), D(10))
    assert d1.difference == D(2) and d1.drift == D(2) / D(12)
    assert d1.unpriced_tokens == 1234 and d1.unpriced_events == 1
    d2 = days[(D2, "openai")]
    assert d2.billed is None and d2.metered == D(5) and d2.difference is None and d2.drift is None
    d3 = days[(D3, "openai")]
    assert d3.billed == D(4) and d3.metered is None
    assert r.missing_days == 2
    assert r.metered_only == ["groq"] and r.billed_only == []
    total = r.total()
    assert (total.billed, total.metered) == (D(16), D(15))


def test_model_rows_and_unknown_billed_cells(store: Store) -> None:
    models = {(row.day, row.model): row for row in reconcile(store, D1, D3).models}
    assert models[(D1, "gpt-4o")].billed == D(12) and models[(D1, "gpt-4o")].metered == D(10)
    assert models[(D1, "mystery")].billed is None and models[(D1, "mystery")].metered == 0
    assert models[(D3, "gpt-4o-mini")].billed is None  # every line unknown


def test_cli_json_carries_nulls_and_drift(store: Store, db_path: Path) -> None:
    store.close()
    result = CliRunner().invoke(
        cli, ["--db", str(db_path), "reconcile", "--from", D1.isoformat(), "--to", D3.isoformat(), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    d1, d2 = data["days"][0], data["days"][1]
    assert d1["billed_usd"] == "12" and d1["metered_usd"] == "10" and d1["drift_pct"] == "16.67"
    assert d2["billed_usd"] is None and d2["difference_usd"] is None
    assert data["total"]["billed_usd"] == "16"
    assert data["metered_only_providers"] == ["groq"]
    table = CliRunner().invoke(cli, ["--db", str(db_path), "reconcile", "--from", "2026-11-10", "--to", "2026-11-12"])
    assert "missing" in table.output and "+16.7%" in table.output
