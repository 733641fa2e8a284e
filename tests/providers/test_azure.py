"""Azure OpenAI: the Entra ID client-credentials flow, Cost Management, regional quota, deployments,
ARM throttling and the error shapes of quota_sources.md §1, replayed over httpx.MockTransport."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from costtui.models import Account
from costtui.providers import RateLimited, Unauthorized, WrongKeyType
from costtui.providers.azure import AzureProvider
from costtui.providers.cloud import ReadCache
from costtui.secrets import pack_fields

from .fakes import FakeAPI, Sleeps, js

SECRET = "azSECRETq8Q~VeryLongClientSecret123"
SUB = "00000000-0000-0000-0000-000000000000"
RID = f"/subscriptions/{SUB}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/oai-prod"
TOKEN_PATH = "/tenant-1/oauth2/v2.0/token"
QUERY_PATH = f"/subscriptions/{SUB}/providers/Microsoft.CostManagement/query"
ACCOUNTS_PATH = f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/accounts"
USAGES_PATH = f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/eastus/usages"
DEPLOYMENTS_PATH = f"{RID}/deployments"
NOW = datetime(2026, 8, 21, 12, tzinfo=UTC)


def token_ok(request: httpx.Request) -> httpx.Response:
    return js({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "eyJ.az.tok"})


def account(**options: str) -> Account:
    base = {"tenant_id": "tenant-1", "client_id": "app-1", "subscription_id": SUB}
    return Account(id=1, provider="azure", name="work", key_kind="admin", options={**base, **options})


def make(api: FakeAPI, *, cache: ReadCache | None = None, sleep: Sleeps | None = None, **options: str) -> AzureProvider:
    return AzureProvider(
        account(**options),
        SecretStr(pack_fields({"client_secret": SECRET})),
        api.client(),
        sleep=sleep or Sleeps(),
        now=lambda: NOW,
        cache=cache or ReadCache(),
    )


COST_PAGE_1 = {
    "id": "x",
    "properties": {
        "nextLink": f"https://management.azure.com{QUERY_PATH}?api-version=2023-11-01&$skiptoken=abc",
        # Columns in an unusual order: the parser maps them by name, never by position.
        "columns": [
            {"name": "UsageDate", "type": "Number"},
            {"name": "Cost", "type": "Number"},
            {"name": "Currency", "type": "String"},
            {"name": "ResourceId", "type": "String"},
            {"name": "Meter", "type": "String"},
        ],
        "rows": [
            [20260819, 4.1325, "USD", RID, "gpt-4o-mini glbl input tokens"],
            [20260819, 7.901, "USD", RID, "gpt-4o-mini glbl output tokens"],
        ],
    },
}
COST_PAGE_2 = {
    "properties": {
        "nextLink": None,
        "columns": [
            {"name": "Cost", "type": "Number"},
            {"name": "UsageDate", "type": "Number"},
            {"name": "ResourceId", "type": "String"},
            {"name": "Meter", "type": "String"},
            {"name": "Currency", "type": "String"},
        ],
        "rows": [[0.5, 20260820, RID.replace("oai-prod", "oai-dev"), "gpt-4o-mini glbl input tokens", "EUR"]],
    },
}


async def test_token_flow_form_and_cache() -> None:
    api = FakeAPI().add("POST", TOKEN_PATH, token_ok).add("GET", f"/subscriptions/{SUB}", js({"displayName": "Prod"}))
    cache = ReadCache()
    assert "Prod" in await make(api, cache=cache).test_key()
    assert "Prod" in await make(api, cache=cache).test_key()  # a second sync reuses the token
    [tok] = api.calls(TOKEN_PATH)
    assert tok.url.host == "login.microsoftonline.com"
    form = parse_qs(tok.content.decode())
    assert form == {
        "client_id": ["app-1"],
        "client_secret": [SECRET],
        "scope": ["https://management.azure.com/.default"],
        "grant_type": ["client_credentials"],
    }
    arm = api.calls(f"/subscriptions/{SUB}")
    assert all(r.headers["authorization"] == "Bearer eyJ.az.tok" for r in arm)
    assert SECRET not in str(arm[0].headers)


async def test_an_expired_token_is_asked_for_again() -> None:
    now = [0.0]
    cache = ReadCache(clock=lambda: now[0])
    api = FakeAPI().add("POST", TOKEN_PATH, token_ok).add("GET", f"/subscriptions/{SUB}", js({"displayName": "P"}))
    await make(api, cache=cache).test_key()
    now[0] = 3599 - 60.0  # within two minutes of expiry: not used any more
    await make(api, cache=cache).test_key()
    assert len(api.calls(TOKEN_PATH)) == 2


async def test_rejected_secret_says_what_to_check_and_never_shows_it() -> None:
    body = {
        "error": "invalid_client",
        "error_description": f"AADSTS7000215: Invalid client secret provided ({SECRET[:12]}...).",
        "error_codes": [7000215],
    }
    api = FakeAPI().add("POST", TOKEN_PATH, js(body, 401))
    with pytest.raises(Unauthorized) as exc:
        await make(api).test_key()
    text = str(exc.value)
    assert "AADSTS7000215" in text and "tenant id, client id and client secret" in text
    assert SECRET[:8] not in text


async def test_cost_query_pages_by_name_and_currency() -> None:
    api = FakeAPI().add("POST", TOKEN_PATH, token_ok).add("POST", QUERY_PATH, js(COST_PAGE_1), js(COST_PAGE_2))
    result = await make(api).fetch_usage(date(2026, 8, 19), date(2026, 8, 20))
    first, second = api.calls(QUERY_PATH)
    assert first.url.params["api-version"] == "2023-11-01"
    assert second.url.params["$skiptoken"] == "abc"
    sent = json.loads(first.content)
    assert json.loads(second.content) == sent  # the next page is the same body POSTed again
    assert sent["type"] == "ActualCost" and sent["dataset"]["granularity"] == "Daily"
    assert sent["timePeriod"] == {"from": "2026-08-19T00:00:00Z", "to": "2026-08-20T23:59:59Z"}
    assert [g["name"] for g in sent["dataset"]["grouping"]] == ["ResourceId", "Meter"]
    by = {(ln.day, ln.project, ln.line_item): ln for ln in result.lines}
    out = by[(date(2026, 8, 19), "oai-prod", "gpt-4o-mini glbl output tokens")]
    assert out.cost_usd == Decimal("7.901") and out.kind == "cost" and out.stream == "azure.cost"
    dev = by[(date(2026, 8, 20), "oai-dev", "gpt-4o-mini glbl input tokens")]
    assert dev.currency == "eur"
    assert [(w.stream, w.start, w.end) for w in result.windows] == [
        ("azure.cost", date(2026, 8, 19), date(2026, 8, 20))
    ]


async def test_cost_query_204_is_no_data_not_zero() -> None:
    api = FakeAPI().add("POST", TOKEN_PATH, token_ok).add("POST", QUERY_PATH, httpx.Response(204))
    result = await make(api).fetch_usage(date(2026, 8, 19), date(2026, 8, 20))
    assert result.lines == [] and result.windows == []  # stored days are not wiped


async def test_cost_query_is_cached_for_hours() -> None:
    api = FakeAPI().add("POST", TOKEN_PATH, token_ok).add("POST", QUERY_PATH, js(COST_PAGE_2))
    cache = ReadCache()
    for _ in range(2):
        await make(api, cache=cache).fetch_usage(date(2026, 8, 20), date(2026, 8, 20))
    assert len(api.calls(QUERY_PATH)) == 1


async def test_throttled_cost_query_waits_the_qpu_retry_after() -> None:
    throttled = js(
        {"error": {"code": "429", "message": "Too many requests. Please retry."}},
        429,
        {"x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after": "7", "retry-after": "1"},
    )
    api = FakeAPI().add("POST", TOKEN_PATH, token_ok).add("POST", QUERY_PATH, throttled, js(COST_PAGE_2))
    sleeps = Sleeps()
    result = await make(api, sleep=sleeps).fetch_usage(date(2026, 8, 20), date(2026, 8, 20))
    assert sleeps.calls == [7.0] and len(result.lines) == 1


async def test_long_arm_throttling_backs_off_without_asking_again() -> None:
    throttled = js({"error": {"code": "TooManyRequests", "message": "throttled"}}, 429, {"retry-after": "600"})
    api = FakeAPI().add("POST", TOKEN_PATH, token_ok).add("GET", ACCOUNTS_PATH, throttled)
    cache = ReadCache(clock=lambda: 1000.0)
    with pytest.raises(RateLimited) as exc:
        await make(api, cache=cache).fetch_quotas()
    assert exc.value.retry_after == 600
    with pytest.raises(RateLimited, match="asking again in 600s"):
        await make(api, cache=cache).fetch_quotas()
    assert len(api.calls(ACCOUNTS_PATH)) == 1


async def test_missing_role_says_so() -> None:
    denied = {
        "error": {
            "code": "AuthorizationFailed",
            "message": "The client 'app-1' does not have authorization to perform action "
            "'Microsoft.CostManagement/query/action' over scope '/subscriptions/…'.",
        }
    }
    api = FakeAPI().add("POST", TOKEN_PATH, token_ok).add("POST", QUERY_PATH, js(denied, 403))
    with pytest.raises(WrongKeyType, match="does not have authorization"):
        await make(api).fetch_usage(date(2026, 8, 20), date(2026, 8, 20))


USAGES = {
    "value": [
        {
            "name": {
                "value": "OpenAI.GlobalStandard.gpt-4o",
                "localizedValue": "Tokens Per Minute (thousands) - gpt-4o - GlobalStandard",
            },
            "currentValue": 150,
            "limit": 450,
            "unit": "Count",
            "status": "SomethingNew",
        },
        {
            "name": {"value": "AccountCount", "localizedValue": "Cognitive Services total account limit"},
            "currentValue": 3,
            "limit": 200,
            "unit": "Count",
        },
    ]
}
DEPLOYMENTS = {
    "value": [
        {
            "name": "chat-4o",
            "sku": {"name": "GlobalStandard", "capacity": 150},
            "properties": {
                "model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"},
                "rateLimits": [
                    {"key": "request", "renewalPeriod": 10, "count": 150},
                    {"key": "token", "renewalPeriod": 60, "count": 150000},
                    {"key": "somethingElse", "renewalPeriod": 60, "count": 1},
                ],
            },
        },
        {"name": "old", "sku": {"name": "Standard", "capacity": 20}, "properties": {}},
    ]
}


async def test_quota_usages_and_deployments() -> None:
    api = (
        FakeAPI()
        .add("POST", TOKEN_PATH, token_ok)
        .add(
            "GET",
            ACCOUNTS_PATH,
            js({"value": [{"id": RID, "name": "oai-prod", "kind": "OpenAI", "location": "eastus"}]}),
        )
        .add("GET", USAGES_PATH, js(USAGES, headers={"x-ms-ratelimit-remaining-subscription-reads": "11990"}))
        .add("GET", DEPLOYMENTS_PATH, js(DEPLOYMENTS))
    )
    snaps = await make(api).fetch_quotas()
    by = {(s.kind, s.scope): s for s in snaps}
    region = by[("quota.tokens", "eastus GlobalStandard.gpt-4o")]
    assert (region.used, region.limit, region.remaining) == (Decimal(150000), Decimal(450000), Decimal(300000))
    assert region.unit == "tokens/min" and "allocated" in (region.detail or "")
    assert by[("configured_rate_limit.requests", "oai-prod/chat-4o")].limit == Decimal(900)  # 150 per 10 s
    assert by[("configured_rate_limit.tokens", "oai-prod/chat-4o")].limit == Decimal(150000)
    assert by[("configured_rate_limit.tokens", "oai-prod/old")].limit == Decimal(20000)  # from sku.capacity
    assert not any("AccountCount" in s.scope for s in snaps)
    assert len(snaps) == 4


async def test_regions_from_the_options_and_resource_group_filter() -> None:
    other = RID.replace("rg-ai", "rg-other")
    api = (
        FakeAPI()
        .add("POST", TOKEN_PATH, token_ok)
        .add("GET", ACCOUNTS_PATH, js({"value": [{"id": RID, "location": "westus"}, {"id": other}]}))
        .add("GET", USAGES_PATH, js(USAGES))
        .add("GET", DEPLOYMENTS_PATH, js({"value": []}))
    )
    snaps = await make(api, locations="EastUS", resource_group="rg-ai").fetch_quotas()
    assert [s.scope for s in snaps] == ["eastus GlobalStandard.gpt-4o"]
    assert not api.calls(other + "/deployments")
    result_scope = make(api, resource_group="rg-ai").scope()
    assert result_scope.endswith("/resourceGroups/rg-ai")


async def test_a_key_on_two_pages_is_one_line_with_the_sum() -> None:
    again = {
        "properties": {
            "nextLink": None,
            "columns": COST_PAGE_1["properties"]["columns"],  # type: ignore[index]
            "rows": [[20260819, 1.0, "USD", RID, "gpt-4o-mini glbl input tokens"]],
        }
    }
    api = FakeAPI().add("POST", TOKEN_PATH, token_ok).add("POST", QUERY_PATH, js(COST_PAGE_1), js(again))
    result = await make(api).fetch_usage(date(2026, 8, 19), date(2026, 8, 20))
    inputs = [ln for ln in result.lines if ln.line_item == "gpt-4o-mini glbl input tokens"]
    assert [ln.cost_usd for ln in inputs] == [Decimal("5.1325")]
