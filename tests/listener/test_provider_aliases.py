"""Every edge stores one provider id: events pushed under aliases (/ingest and OTLP), manual costs,
billed rows, quotas and accounts all group under the canonical provider in ``status --json``, the
dashboard and the billed rows."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from click.testing import CliRunner
from listener_helpers import AUTH, JSON_AUTH, rows

from costtui.analytics.summary import dashboard
from costtui.cli import cli
from costtui.models import Account, BilledLine, QuotaSnapshot
from costtui.store import Store

TODAY = datetime.now(UTC).replace(microsecond=0)
CANONICAL = {"moonshot", "xai", "gemini"}
CENT = Decimal("0.01")

# (provider as sent or None, model): every one priced by the client at one cent.
INGESTED = [
    ("moonshotai", "kimi-k2-0905-preview"),
    ("kimi", "kimi-k2-0905-preview"),
    ("Moonshot", "kimi-k2-0905-preview"),
    (None, "moonshotai/kimi-k2"),
    ("x-ai", "grok-4"),
    ("x_ai", "grok-4"),
    (None, "x-ai/grok-4"),
    (None, "grok-4-fast"),
    ("google", "gemini-2.5-flash"),
    (None, "google/gemini-2.5-pro"),
    (None, "gemini-2.5-pro"),
]
# (gen_ai.provider.name or gen_ai.system, value, model)
SPANS = [
    ("gen_ai.provider.name", "gcp.gemini", "gemini-2.5-flash"),
    ("gen_ai.provider.name", "gcp.vertex_ai", "gemini-2.5-pro"),
    ("gen_ai.system", "gemini", "gemini-2.5-flash"),
    ("gen_ai.provider.name", "x_ai", "grok-4"),
    ("gen_ai.system", "xai", "grok-4"),
    ("gen_ai.system", "moonshotai", "kimi-k2"),
]


def _span(i: int, attr: str, value: str, model: str) -> dict[str, Any]:
    attrs = {
        "gen_ai.operation.name": "chat",
        attr: value,
        "gen_ai.request.model": model,
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 10,
        "gen_ai.usage.cost": 0.01,
    }
    start = int(TODAY.timestamp()) * 1_000_000_000
    return {
        "traceId": "4fd0b6131f19f39af59518d127b0cafe",
        "spanId": f"{i:016x}",
        "name": "chat",
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + 1_000_000),
        "attributes": [
            {"key": k, "value": {"intValue": str(v)} if isinstance(v, int) else {"stringValue": str(v)}}
            if not isinstance(v, float)
            else {"key": k, "value": {"doubleValue": v}}
            for k, v in attrs.items()
        ],
    }


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


async def test_aliases_from_every_edge_group_under_one_provider(client: aiohttp.ClientSession, db_path: Path) -> None:
    events = []
    for i, (provider, model) in enumerate(INGESTED):
        event: dict[str, Any] = {
            "event_id": f"ingest-{i}",
            "ts": TODAY.isoformat(),
            "model": model,
            "input_tokens": 100,
            "output_tokens": 10,
            "cost_usd": "0.01",
        }
        if provider is not None:
            event["provider"] = provider
        events.append(event)
    async with client.post("/ingest", data=json.dumps({"events": events}), headers=JSON_AUTH) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["accepted"] == len(INGESTED)

    doc = {
        "resourceSpans": [
            {"scopeSpans": [{"spans": [_span(i, attr, value, model) for i, (attr, value, model) in enumerate(SPANS)]}]}
        ]
    }
    headers = {**AUTH, "Content-Type": "application/json"}
    async with client.post("/v1/traces", data=json.dumps(doc), headers=headers) as resp:
        assert resp.status == 200, await resp.text()
    assert len(rows(db_path)) == len(INGESTED) + len(SPANS)

    # Manual costs, billed rows, quotas and accounts, each under an alias.
    day = TODAY.date().isoformat()
    await asyncio.to_thread(_cli, "add-cost", "--provider", "google", "--amount", "2", "--date", day)
    await asyncio.to_thread(_cli, "add-cost", "--provider", "kimi", "--amount", "3", "--date", day)

    def billed_plane() -> None:
        with Store(db_path) as store:
            store.billing.record_billed(
                [
                    BilledLine(
                        provider="x-ai",
                        account="default",
                        stream="xai.invoice",
                        kind="cost",
                        day=date.today(),
                        cost_usd=5,
                    ),
                    BilledLine(
                        provider="moonshotai",
                        account="default",
                        stream="manual-import",
                        kind="cost",
                        day=date.today(),
                        cost_usd=7,
                    ),
                ],
            )
            store.billing.add_account(Account(provider="x-ai", name="default", key_kind="management"))
            store.billing.record_quotas([QuotaSnapshot(provider="x-ai", account="default", kind="balance", limit=100)])

    await asyncio.to_thread(billed_plane)

    expected_events = {
        "moonshot": sum(1 for p, m in INGESTED if "kimi" in m) + 1,
        "xai": sum(1 for p, m in INGESTED if "grok" in m) + 2,
        "gemini": sum(1 for p, m in INGESTED if "gemini" in m) + 3,
    }
    assert sum(expected_events.values()) == len(INGESTED) + len(SPANS)

    # status --json: metered, billed and quotas.
    status = json.loads(await asyncio.to_thread(_cli, "status", "--json"))
    by_provider = {g["name"]: g for g in status["by_provider"]}
    assert set(by_provider) == CANONICAL
    for pid, n in expected_events.items():
        assert by_provider[pid]["events"] == n
        assert Decimal(by_provider[pid]["cost_usd"]) == n * CENT
    billed = {g["name"]: Decimal(g["cost_usd"]) for g in status["billed"]["by_provider"]}
    assert billed == {"gemini": Decimal(2), "moonshot": Decimal(10), "xai": Decimal(5)}
    (quota,) = status["quotas"]
    assert quota["provider"] == "xai" and quota["health"] == "never"  # it met its account

    def read() -> None:
        with Store(db_path) as store:
            snap = dashboard(store)
            assert {g.name: g.events for g in snap.by_provider} == expected_events
            assert {line.provider for line in store.billing.billed_lines()} == CANONICAL
            assert store.billing.billed_summary().by_provider == {"gemini": 2, "moonshot": 10, "xai": 5}
            # A filter in any spelling finds the rows.
            assert store.totals(provider="x-ai").events == expected_events["xai"]
            assert [e.provider for e in store.billing.list_manual_costs("google")] == ["gemini"]
            assert sum(line.cost_usd or 0 for line in store.billing.billed_lines(provider="kimi")) == 10
            assert store.billing.find_account("x-ai").provider == "xai"
            assert [q.provider for q in store.billing.latest_quotas("x_ai")] == ["xai"]
            for table in ("events", "daily", "billed_costs", "manual_costs", "accounts", "quota_latest"):
                stored = {r["provider"] for r in store.query(f"SELECT DISTINCT provider FROM {table}")}
                assert stored <= CANONICAL, (table, stored)

    await asyncio.to_thread(read)
