"""Amp's balance text (quota_sources.md §5.2), every wording seen so far."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from costtui.providers.amp import AmpProvider
from costtui.providers.base import BadResponse, Unauthorized

from .fakes import FakeAPI, js
from .plan_helpers import NOW, empty_remote_cache, make  # noqa: F401

PATH = "/api/internal"
TEXT = (
    "Signed in as dev@example.com (acme)\n"
    "Amp Free: 64% remaining today (resets daily) - https://ampcode.com/settings#amp-free\n"
    "Individual credits: $1,018.40 remaining (set up auto-reload to avoid running out) - https://ampcode.com/settings\n"
    "Workspace acme: $212.05 remaining (set up auto-reload to avoid running out) - https://ampcode.com/workspaces/acme"
)


def answer(text: str) -> dict[str, object]:
    return {"ok": True, "result": {"displayText": text}}


async def test_free_percent_credits_and_workspaces() -> None:
    api = FakeAPI().add("POST", PATH, js(answer(TEXT)))
    by = {(s.kind, s.scope): s for s in await make(AmpProvider, api).fetch_quotas()}
    assert by[("plan.daily", "")].used == Decimal(36) and by[("plan.daily", "")].window == "day"
    assert by[("balance", "individual")].remaining == Decimal("1018.40")
    assert by[("balance", "workspace acme")].remaining == Decimal("212.05")
    req = api.requests[0]
    assert req.url.query == b"userDisplayBalanceInfo" and b"userDisplayBalanceInfo" in req.content


async def test_legacy_dollar_free_tier_and_subscription_pools() -> None:
    text = (
        "Amp Free: $7.50/$10 remaining (replenishes +$0.50/hour)\n"
        "Subscription Megawatt: 80% other usage and 55% orb usage remaining - resets upon renewal in 12 days\n"
        "Something Amp added later: 3 widgets"
    )
    api = FakeAPI().add("POST", PATH, js(answer(text)))
    snaps = await make(AmpProvider, api).fetch_quotas()
    by = {s.kind: s for s in snaps}
    free = by["plan.free"]
    assert (free.used, free.limit, free.remaining) == (Decimal("2.50"), Decimal(10), Decimal("7.50"))
    assert free.resets_at == NOW + timedelta(hours=5)
    assert by["plan.other"].used == Decimal(20) and by["plan.orb"].used == Decimal(45)
    assert by["plan.orb"].resets_at == NOW + timedelta(days=12)
    assert "Something Amp added later" in (snaps[0].detail or "")


async def test_unknown_wording_only_is_a_bad_response_with_the_line() -> None:
    api = FakeAPI().add("POST", PATH, js(answer("Balance: plenty")))
    with pytest.raises(BadResponse, match="Balance: plenty"):
        await make(AmpProvider, api).fetch_quotas()


async def test_auth_required_and_401() -> None:
    api = FakeAPI().add("POST", PATH, js({"ok": False, "error": {"code": "auth-required", "message": "sign in"}}))
    with pytest.raises(Unauthorized, match="access token"):
        await make(AmpProvider, api).test_key()
    api = FakeAPI().add("POST", PATH, js({"error": "nope"}, 401))
    with pytest.raises(Unauthorized):
        await make(AmpProvider, api, base="https://other.test").test_key()
