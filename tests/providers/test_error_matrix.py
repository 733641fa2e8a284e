"""Every endpoint × every failure: 401, 403, 429 with Retry-After, 500, timeout, malformed JSON.

All other endpoints answer with a valid (empty) body, the one under test fails; the provider must
raise the documented error class (never a bare httpx/JSON exception), after honouring Retry-After.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from costtui.models import Account
from costtui.providers.anthropic import AnthropicProvider
from costtui.providers.base import (
    BadResponse,
    ProviderDown,
    RateLimited,
    Unauthorized,
    WrongKeyType,
)
from costtui.providers.deepseek import DeepSeekProvider
from costtui.providers.moonshot import MoonshotProvider
from costtui.providers.openai import USAGE_ENDPOINTS, OpenAIProvider
from costtui.providers.openrouter import OpenRouterProvider
from costtui.providers.xai import XAIProvider

from .fakes import FakeAPI, Sleeps, js

NOW = datetime(2026, 8, 3, 12, tzinfo=UTC)
PAGE = {"object": "page", "data": [], "has_more": False, "next_page": None}

VALID: dict[str, dict[str, Any]] = {
    "openai": {
        "/v1/organization/costs": PAGE,
        **{f"/v1{ep.path}": PAGE for ep in USAGE_ENDPOINTS},
        "/v1/organization/spend_limit": {"object": "organization.spend_limit", "threshold_amount": 100},
        "/v1/organization/projects/proj_1/rate_limits": {"object": "list", "data": [], "has_more": False},
    },
    "anthropic": {
        "/v1/organizations/cost_report": PAGE,
        "/v1/organizations/usage_report/messages": PAGE,
        "/v1/organizations/usage_report/claude_code": PAGE,
        "/v1/organizations/rate_limits": {"data": [], "next_page": None},
    },
    "openrouter": {
        "/key": {"data": {"limit": None, "usage_daily": 0}},
        "/credits": {"data": {}},
        "/activity": {"data": []},
    },
    "deepseek": {"/user/balance": {"is_available": True, "balance_infos": []}},
    "moonshot": {"/v1/users/me/balance": {"code": 0, "data": {"available_balance": 1}}},
    "xai": {
        "/auth/management-keys/validation": {"scopeId": "t1"},
        "/v1/billing/teams/t1/prepaid/balance": {"total": {"val": "-1"}},
    },
}

CLASSES = {
    "openai": (OpenAIProvider, "admin", "sk-admin-MATRIXMATRIX"),
    "anthropic": (AnthropicProvider, "admin", "sk-ant-admin01-MATRIXMATRIX"),
    "openrouter": (OpenRouterProvider, "management", "sk-or-v1-MATRIXMATRIX"),
    "deepseek": (DeepSeekProvider, "inference", "sk-MATRIXMATRIX"),
    "moonshot": (MoonshotProvider, "inference", "sk-MATRIXMATRIX"),
    "xai": (XAIProvider, "management", "xai-MATRIXMATRIX"),
}


async def usage(p: Any) -> Any:
    return await p.fetch_usage(date(2026, 8, 1), date(2026, 8, 2))


async def quotas(p: Any) -> Any:
    return await p.fetch_quotas({"proj_1": set()})


ENDPOINTS: list[tuple[str, str, Callable[[Any], Any]]] = [
    ("openai", "/v1/organization/costs", usage),
    *[("openai", f"/v1{ep.path}", usage) for ep in USAGE_ENDPOINTS],
    ("openai", "/v1/organization/spend_limit", quotas),
    ("openai", "/v1/organization/projects/proj_1/rate_limits", quotas),
    ("anthropic", "/v1/organizations/cost_report", usage),
    ("anthropic", "/v1/organizations/usage_report/messages", usage),
    ("anthropic", "/v1/organizations/usage_report/claude_code", usage),
    ("anthropic", "/v1/organizations/rate_limits", quotas),
    ("openrouter", "/key", quotas),
    ("openrouter", "/credits", quotas),
    ("openrouter", "/activity", usage),
    ("deepseek", "/user/balance", quotas),
    ("moonshot", "/v1/users/me/balance", quotas),
    ("xai", "/auth/management-keys/validation", quotas),
    ("xai", "/v1/billing/teams/t1/prepaid/balance", quotas),
]

FAILURES: dict[str, tuple[Any, type[Exception]]] = {
    "401": (js({"error": {"message": "invalid key"}}, 401), Unauthorized),
    "403": (js({"error": {"message": "forbidden"}}, 403), WrongKeyType),
    "429": (js({"error": {"message": "slow down"}}, 429, {"retry-after": "3"}), RateLimited),
    "500": (js({"error": {"message": "oops"}}, 500), ProviderDown),
    "timeout": (httpx.ReadTimeout("timed out"), ProviderDown),
    "malformed": (
        httpx.Response(200, content=b'{"data": [', headers={"content-type": "application/json"}),
        BadResponse,
    ),
}


@pytest.mark.parametrize("failure", list(FAILURES))
@pytest.mark.parametrize(("provider", "path", "call"), ENDPOINTS, ids=[f"{p}{path}" for p, path, _ in ENDPOINTS])
async def test_endpoint_failure(provider: str, path: str, call: Callable[[Any], Any], failure: str) -> None:
    api = FakeAPI()
    for route, body in VALID[provider].items():
        api.add("GET", route, js(body))
    response, expected = FAILURES[failure]
    api.add("GET", path, response)
    cls, kind, key = CLASSES[provider]
    sleeps = Sleeps()
    p = cls(
        Account(
            id=1,
            provider=provider,
            key_kind=kind,
            base_url="https://api.test" + ("/v1" if provider == "openai" else ""),
        ),
        SecretStr(key),
        api.client(),
        sleep=sleeps,
        max_retries=1,
        now=lambda: NOW,
    )
    if provider == "openai":
        p.http.base_url = "https://api.test/v1"
    tolerated = provider == "openrouter" and path == "/credits" and failure == "403"
    if tolerated:
        # Only management keys may read credits: a 403 there is no error, and what /key said stays.
        snapshots = await call(p)
        assert [(q.kind, q.used) for q in snapshots] == [("usage.day", Decimal(0))]
        assert sleeps.calls == []  # refused for good, not retried
        return
    if provider == "anthropic" and path.endswith("/claude_code"):
        # A failing Claude Code day keeps the cost and usage reports fetched before it.
        result = await call(p)
        assert len(result.errors) == 1 and key not in result.errors[0]
        streams = {w.stream for w in result.windows}
        assert {"anthropic.cost_report", "anthropic.usage.messages"} <= streams
        assert "anthropic.claude_code" not in streams
    else:
        with pytest.raises(expected) as err:
            await call(p)
        assert key not in str(err.value)
    if failure == "429":
        assert sleeps.calls == [3.0]
    if failure in ("500", "timeout"):
        assert sleeps.calls == [1.0]
