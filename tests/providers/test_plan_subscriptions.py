"""The opt-in Claude and Codex plan usage endpoints (quota_sources.md §6.2, §6.5) and the plan sync."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from costtui.config import SyncSettings
from costtui.providers.base import RateLimited, Unauthorized
from costtui.providers.subscription_usage import (
    ClaudePlanUsage,
    CodexPlanUsage,
    SignInMissing,
    claude_token,
    codex_token,
)
from costtui.services import claude_statusline as cs
from costtui.services.plans import sync_plans
from costtui.store import Store

from .fakes import FakeAPI, js
from .plan_helpers import NOW, empty_remote_cache  # noqa: F401

CLAUDE_USAGE = {
    "five_hour": {"utilization": 37.0, "resets_at": "2026-08-21T19:00:00.412391+00:00"},
    "seven_day": {"utilization": 12.0, "resets_at": "2026-08-26T03:00:00.412412+00:00"},
    "seven_day_oauth_apps": None,
    "seven_day_opus": None,
    "seven_day_sonnet": {"utilization": 4.0, "resets_at": "2026-08-26T03:00:00.412420+00:00"},
    "extra_usage": {"is_enabled": False, "monthly_limit": None, "used_credits": None, "utilization": None},
    "iguana_necktie": {"utilization": 99, "resets_at": None},
}
CODEX_USAGE = {
    "plan_type": "plus",
    "rate_limit": {
        "allowed": True,
        "limit_reached": False,
        # Slots swapped on purpose: windows are named by their length, not their slot.
        "primary_window": {"used_percent": 41, "limit_window_seconds": 604800, "reset_at": 1788013440},
        "secondary_window": {"used_percent": 18, "limit_window_seconds": 18000, "reset_at": 1787711520},
    },
    "credits": {"has_credits": True, "unlimited": False, "balance": "12.5"},
    "additional_rate_limits": [
        {
            "limit_name": "gpt-5-codex-max",
            "rate_limit": {"primary_window": {"used_percent": 3, "limit_window_seconds": 18000}},
        }
    ],
    "rate_limit_reached_type": {"kind": "some_new_kind"},
}


def jwt(exp: datetime) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"exp": int(exp.timestamp())}).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJub25lIn0.{payload}.sig"


def claude_file(tmp_path: Path, expires: datetime) -> Path:
    path = tmp_path / ".credentials.json"
    body = {"claudeAiOauth": {"accessToken": "sk-ant-oat01-SECRETSECRET", "expiresAt": int(expires.timestamp() * 1000)}}
    path.write_text(json.dumps(body))
    return path


def test_claude_token_read_only_and_expired_says_sign_in_again(tmp_path: Path) -> None:
    path = claude_file(tmp_path, NOW + timedelta(hours=2))
    before = path.read_bytes()
    assert claude_token(path, NOW).get_secret_value() == "sk-ant-oat01-SECRETSECRET"
    assert path.read_bytes() == before
    with pytest.raises(Unauthorized, match="sign in again in Claude Code"):
        claude_token(claude_file(tmp_path, NOW - timedelta(minutes=1)), NOW)
    (tmp_path / "mcp.json").write_text(json.dumps({"mcpOAuth": {}}))
    with pytest.raises(SignInMissing, match="not signed in"):
        claude_token(tmp_path / "mcp.json", NOW)


async def test_claude_usage_windows_with_model_weeks() -> None:
    api = FakeAPI().add("GET", "/api/oauth/usage", js(CLAUDE_USAGE))
    p = ClaudePlanUsage(ClaudePlanUsage.account_for(), SecretStr("tok"), api.client(), now=lambda: NOW)
    snaps = await p.fetch_quotas()
    by = {(s.kind, s.scope): s for s in snaps}
    assert set(by) == {("plan.five_hour", ""), ("plan.seven_day", ""), ("plan.seven_day", "sonnet")}
    assert by[("plan.five_hour", "")].used == Decimal(37) and by[("plan.five_hour", "")].resets_at.hour == 19
    assert api.requests[0].headers["anthropic-beta"] == "oauth-2025-04-20"
    assert all(s.account == "claude-code" for s in snaps)


async def test_claude_usage_cached_180s_and_401_says_sign_in_again() -> None:
    api = FakeAPI().add("GET", "/api/oauth/usage", js(CLAUDE_USAGE))
    for _ in range(2):
        p = ClaudePlanUsage(ClaudePlanUsage.account_for(), SecretStr("tok"), api.client(), now=lambda: NOW)
        await p.fetch_quotas()
    assert len(api.requests) == 1
    from costtui.providers.remote_cache import CACHE

    CACHE.clear()
    bad = FakeAPI().add("GET", "/api/oauth/usage", js({"error": {"message": "token expired"}}, 401))
    p = ClaudePlanUsage(ClaudePlanUsage.account_for(), SecretStr("tok"), bad.client(), now=lambda: NOW)
    with pytest.raises(Unauthorized, match="sign in again in Claude Code"):
        await p.fetch_quotas()


async def test_claude_429_is_not_asked_again_before_retry_after() -> None:
    api = FakeAPI().add("GET", "/api/oauth/usage", js({"error": "rate"}, 429, {"retry-after": "300"}))
    for _ in range(2):
        p = ClaudePlanUsage(
            ClaudePlanUsage.account_for(), SecretStr("tok"), api.client(), now=lambda: NOW, max_retries=0
        )
        with pytest.raises(RateLimited):
            await p.fetch_quotas()
    assert len(api.requests) == 1


def test_codex_token_api_key_login_and_expiry(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    path.write_text(json.dumps({"OPENAI_API_KEY": "sk-x", "tokens": None}))
    with pytest.raises(SignInMissing, match="API key"):
        codex_token(path, NOW)
    path.write_text(json.dumps({"tokens": {"access_token": jwt(NOW - timedelta(hours=1)), "account_id": "acc"}}))
    with pytest.raises(Unauthorized, match="sign in again in Codex"):
        codex_token(path, NOW)
    path.write_text(json.dumps({"tokens": {"access_token": jwt(NOW + timedelta(hours=1)), "account_id": "acc"}}))
    token, account = codex_token(path, NOW)
    assert account == "acc" and token.get_secret_value().startswith("eyJ")


async def test_codex_windows_named_by_length_credits_and_extra_limits() -> None:
    api = FakeAPI().add("GET", "/backend-api/wham/usage", js(CODEX_USAGE))
    p = CodexPlanUsage(
        CodexPlanUsage.account_for(), SecretStr("tok"), api.client(), chatgpt_account="acc-1", now=lambda: NOW
    )
    by = {(s.kind, s.scope): s for s in await p.fetch_quotas()}
    assert by[("plan.five_hour", "")].used == Decimal(18) and by[("plan.weekly", "")].used == Decimal(41)
    assert by[("plan.five_hour", "gpt-5-codex-max")].used == Decimal(3)
    assert by[("credits", "")].remaining == Decimal("12.5") and by[("plan.weekly", "")].detail == "plus plan"
    assert api.requests[0].headers["chatgpt-account-id"] == "acc-1"


async def test_sync_plans_copies_the_status_line_and_records_failures_in_words(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    spool = str(tmp_path / "spool.json")
    reading = cs.parse(json.dumps({"rate_limits": {"five_hour": {"used_percentage": 50, "resets_at": 4102444800}}}))
    cs.write_spool(spool, reading, 1_787_690_000.0)

    async def broken(_client: object) -> list:
        raise Unauthorized("codex: Codex's sign-in has expired: sign in again in Codex (run `codex login`)")

    async with __import__("httpx").AsyncClient() as client:
        reports = await sync_plans(
            store, client, SyncSettings(), lambda: NOW, spool=spool, fetchers={"codex_usage": broken}
        )
    assert [r.ok for r in reports] == [True, False]
    health = {h.source: h for h in store.plans.health()}
    assert health["claude_statusline"].last_success_at == NOW and not health["claude_statusline"].failing
    assert "sign in again in Codex" in (health["codex_usage"].last_error or "")
    assert [q.kind for q in store.billing.latest_quotas(provider="anthropic")] == ["plan.five_hour"]
    hist = store.plans.used_history(datetime(2026, 1, 1, tzinfo=UTC))
    assert hist[("anthropic", "claude-code", "plan.five_hour", "")][0][1] == Decimal(50)
    store.close()
