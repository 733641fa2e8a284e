"""OpenRouter, DeepSeek, Moonshot and xAI (providers.md section 4)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import SecretStr

from costtui.models import Account
from costtui.providers.base import BadResponse, PaymentRequired, Unauthorized
from costtui.providers.deepseek import DeepSeekProvider
from costtui.providers.moonshot import MoonshotProvider
from costtui.providers.openrouter import OpenRouterProvider
from costtui.providers.xai import XAIProvider

from .fakes import FakeAPI, Sleeps, js

NOW = datetime(2026, 8, 5, 12, tzinfo=UTC)  # a Wednesday

KEY_INFO = {
    "data": {
        "label": "sk-or-v1-5d2...9af",
        "limit": 50,
        "limit_remaining": 31.42,
        "limit_reset": "monthly",
        "include_byok_in_limit": False,
        "usage": 118.67,
        "usage_daily": 0.84,
        "usage_weekly": 6.12,
        "usage_monthly": 18.58,
        "byok_usage": 0,
        "is_free_tier": False,
        "is_management_key": False,
        "rate_limit": {"requests": -1, "interval": "10s", "note": "deprecated"},
    }
}


def make(cls, api: FakeAPI, kind: str = "inference", base: str = "https://api.test", **opts):
    acc = Account(id=1, provider=cls.id, key_kind=kind, base_url=base, options=opts)
    return cls(acc, SecretStr("sk-test-KEYKEYKEYKEY"), api.client(), sleep=Sleeps(), now=lambda: NOW)


async def test_openrouter_key_quotas_and_credits_403() -> None:
    api = FakeAPI().add("GET", "/key", js(KEY_INFO))
    api.add(
        "GET",
        "/credits",
        js({"error": {"code": 403, "message": "Only management keys can perform this operation"}}, 403),
    )
    snaps = {s.kind: s for s in await make(OpenRouterProvider, api).fetch_quotas()}
    assert snaps["key_limit"].limit == Decimal(50) and snaps["key_limit"].remaining == Decimal("31.42")
    assert snaps["key_limit"].used == Decimal("18.58")
    assert snaps["key_limit"].resets_at == datetime(2026, 9, 1, tzinfo=UTC)
    assert snaps["usage.day"].used == Decimal("0.84") and snaps["usage.week"].resets_at == datetime(
        2026, 8, 10, tzinfo=UTC
    )
    assert "credits" not in snaps


async def test_openrouter_credits_with_management_key() -> None:
    api = FakeAPI().add("GET", "/key", js({"data": {**KEY_INFO["data"], "limit": None, "is_management_key": True}}))
    api.add("GET", "/credits", js({"data": {"total_credits": 250.0, "total_usage": 131.19}}))
    snaps = {s.kind: s for s in await make(OpenRouterProvider, api, "management").fetch_quotas()}
    assert "key_limit" not in snaps
    assert snaps["credits"].remaining == Decimal("118.81") and snaps["credits"].limit == Decimal("250.0")


async def test_openrouter_daily_line_with_inference_key() -> None:
    """First reading: today's spend so far, the running total at 00:00 UTC, and the days before
    marked unknown (an ordinary key has no daily history), not $0."""
    api = FakeAPI().add("GET", "/key", js(KEY_INFO))
    result = await make(OpenRouterProvider, api).fetch_usage(date(2026, 8, 1), date(2026, 8, 5))
    today = [ln for ln in result.lines if ln.day == date(2026, 8, 5)]
    assert [(ln.cost_usd, ln.kind, ln.quantity) for ln in today] == [(Decimal("0.84"), "cost", Decimal("117.83"))]
    before = sorted((ln for ln in result.lines if ln.day < date(2026, 8, 5)), key=lambda ln: ln.day)
    assert [ln.day for ln in before] == [date(2026, 8, d) for d in (1, 2, 3, 4)]
    assert all(ln.cost_usd is None and "unknown" in (ln.note or "") for ln in before)
    assert [(w.stream, w.start, w.end) for w in result.windows] == [
        ("openrouter.key_daily", date(2026, 8, 5), date(2026, 8, 5))
    ]


def _reading(day: date, cost: str, running: str, note: str | None = None):
    from costtui.models import BilledLine

    return BilledLine(
        provider="openrouter",
        account="default",
        stream="openrouter.key_daily",
        kind="cost",
        day=day,
        line_item="key usage",
        cost_usd=Decimal(cost),
        quantity=Decimal(running),
        note=note,
    )


async def test_openrouter_yesterday_is_completed_from_the_running_total() -> None:
    """Yesterday's sync read $0.50 so far at a running total of $100 at midnight; today the running
    total at midnight is 118.67 - 0.84 = 117.83, so yesterday cost $17.83, all of it."""
    api = FakeAPI().add("GET", "/key", js(KEY_INFO))
    p = make(OpenRouterProvider, api)
    p.history = [_reading(date(2026, 8, 4), "0.50", "100")]
    result = await p.fetch_usage(date(2026, 8, 1), date(2026, 8, 5))
    by_day = {ln.day: ln for ln in result.lines}
    assert set(by_day) == {date(2026, 8, 4), date(2026, 8, 5)}
    assert by_day[date(2026, 8, 4)].cost_usd == Decimal("17.83") and by_day[date(2026, 8, 4)].note is None
    assert by_day[date(2026, 8, 4)].quantity == Decimal("100")  # its own reading is kept
    assert result.windows[0].start == date(2026, 8, 4)


async def test_openrouter_days_without_a_sync_share_the_total() -> None:
    api = FakeAPI().add("GET", "/key", js(KEY_INFO))
    p = make(OpenRouterProvider, api)
    p.history = [_reading(date(2026, 8, 2), "2", "100")]
    result = await p.fetch_usage(date(2026, 7, 30), date(2026, 8, 5))
    gap = sorted((ln for ln in result.lines if ln.day < date(2026, 8, 5)), key=lambda ln: ln.day)
    assert [ln.day for ln in gap] == [date(2026, 8, 2), date(2026, 8, 3), date(2026, 8, 4)]
    # 117.83 - 100 = 17.83 over three days: nothing lost, the first day keeps what was read on it.
    assert sum(ln.cost_usd for ln in gap) == Decimal("17.83")
    assert gap[0].cost_usd > Decimal("2") and gap[1].cost_usd == Decimal("5.276666666")
    assert all("spread evenly" in (ln.note or "") for ln in gap)
    # Syncing again the same day keeps the same split.
    p.history = [*gap, result.lines[0]]
    again = await p.fetch_usage(date(2026, 7, 30), date(2026, 8, 5))
    assert sorted((ln.day, ln.cost_usd) for ln in again.lines) == sorted((ln.day, ln.cost_usd) for ln in result.lines)


async def test_openrouter_activity_with_management_key() -> None:
    api = FakeAPI().add(
        "GET",
        "/activity",
        js(
            {
                "data": [
                    {
                        "date": "2026-08-03",
                        "model": "anthropic/claude-sonnet-4.5",
                        "model_permaslug": "x",
                        "endpoint_id": "e1",
                        "provider_name": "Anthropic",
                        "requests": 12,
                        "prompt_tokens": 1000,
                        "completion_tokens": 200,
                        "reasoning_tokens": 0,
                        "usage": 0.4821,
                        "byok_usage_inference": 0,
                    },
                    {"date": "2026-06-01", "model": "old", "usage": 1},
                ]
            }
        ),
    )
    result = await make(OpenRouterProvider, api, "management").fetch_usage(date(2026, 7, 30), date(2026, 8, 5))
    assert len(result.lines) == 1 and result.lines[0].cost_usd == Decimal("0.4821")
    assert result.windows[0].start == date(2026, 7, 30) and result.windows[0].end == date(2026, 8, 4)


async def test_openrouter_402_and_401() -> None:
    api = FakeAPI().add("GET", "/key", js({"error": {"message": "Insufficient credits"}}, 402))
    with pytest.raises(PaymentRequired):
        await make(OpenRouterProvider, api).test_key()
    api = FakeAPI().add("GET", "/key", js({"error": {"message": "No auth credentials found"}}, 401))
    with pytest.raises(Unauthorized):
        await make(OpenRouterProvider, api).test_key()


async def test_deepseek_balance_strings() -> None:
    api = FakeAPI().add(
        "GET",
        "/user/balance",
        js(
            {
                "is_available": True,
                "balance_infos": [
                    {
                        "currency": "USD",
                        "total_balance": "17.42",
                        "granted_balance": "0.00",
                        "topped_up_balance": "17.42",
                    },
                    {
                        "currency": "CNY",
                        "total_balance": "110.00",
                        "granted_balance": "10.00",
                        "topped_up_balance": "100.00",
                    },
                ],
            }
        ),
    )
    snaps = await make(DeepSeekProvider, api).fetch_quotas()
    assert [(s.scope, s.remaining, s.unit) for s in snaps] == [
        ("usd", Decimal("17.42"), "usd"),
        ("cny", Decimal("110.00"), "cny"),
    ]


async def test_deepseek_empty_and_bad() -> None:
    api = FakeAPI().add("GET", "/user/balance", js({"is_available": False, "balance_infos": []}))
    assert await make(DeepSeekProvider, api).fetch_quotas() == []
    api = FakeAPI().add("GET", "/user/balance", js({"balance_infos": [{"currency": "USD", "total_balance": "lots"}]}))
    with pytest.raises(BadResponse):
        await make(DeepSeekProvider, api).fetch_quotas()


async def test_moonshot_currency_from_host() -> None:
    body = {
        "code": 0,
        "data": {"available_balance": 12.5031, "voucher_balance": 10.0, "cash_balance": 2.5031},
        "scode": "0x0",
        "status": True,
    }
    api = FakeAPI().add("GET", "/v1/users/me/balance", js(body))
    snap = (await make(MoonshotProvider, api, base="https://api.moonshot.ai").fetch_quotas())[0]
    assert (snap.remaining, snap.unit) == (Decimal("12.5031"), "usd")
    snap = (await make(MoonshotProvider, api, base="https://api.moonshot.cn").fetch_quotas())[0]
    assert snap.unit == "cny"
    api = FakeAPI().add("GET", "/v1/users/me/balance", js({"code": 5, "data": None}))
    with pytest.raises(BadResponse):
        await make(MoonshotProvider, api).fetch_quotas()


async def test_xai_negative_cents_and_team_discovery() -> None:
    api = FakeAPI().add("GET", "/auth/management-keys/validation", js({"scope": "SCOPE_TEAM", "scopeId": "team-8c1f"}))
    api.add(
        "GET",
        "/v1/billing/teams/team-8c1f/prepaid/balance",
        js({"total": {"val": "-4250"}, "changes": [{"changeOrigin": "PURCHASE", "amount": {"val": "-5000"}}]}),
    )
    snaps = await make(XAIProvider, api, "management").fetch_quotas()
    assert snaps[0].remaining == Decimal("42.50") and snaps[0].kind == "balance"
    # The posted ledger lags the console mid-cycle: the balance says so wherever it shows.
    assert snaps[0].detail and "posted" in snaps[0].detail and "lags the console" in snaps[0].detail
    api2 = FakeAPI().add("GET", "/v1/billing/teams/t1/prepaid/balance", js({"total": {"val": "-799"}}))
    assert (await make(XAIProvider, api2, "management", team_id="t1").fetch_quotas())[0].remaining == Decimal("7.99")
    assert api2.calls("/auth/management-keys/validation") == []
