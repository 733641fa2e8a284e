"""OpenAI Usage and Costs APIs, replayed from the shapes in providers.md section 1."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from costtui.models import Account
from costtui.providers.base import BadResponse, NotAvailable, ProviderDown, WrongKeyType
from costtui.providers.openai import USAGE_ENDPOINTS, OpenAIProvider

from .fakes import FakeAPI, Sleeps, js

ADMIN = "sk-admin-1234abcdTESTTESTTEST"
NOW = datetime(2026, 8, 3, 12, tzinfo=UTC)
D1 = int(datetime(2026, 8, 1, tzinfo=UTC).timestamp())
D2 = D1 + 86400


def completions_page(page: str | None) -> dict:
    if page is None:
        return {
            "object": "page",
            "data": [
                {
                    "object": "bucket",
                    "start_time": D1,
                    "end_time": D2,
                    "results": [
                        {
                            "object": "organization.usage.completions.result",
                            "input_tokens": 184200,
                            "input_cached_tokens": 96000,
                            "input_cache_write_tokens": 0,
                            "input_uncached_tokens": 88200,
                            "output_tokens": 21450,
                            "input_audio_tokens": 0,
                            "output_audio_tokens": 0,
                            "num_model_requests": 142,
                            "project_id": "proj_7QnXb2kL",
                            "user_id": None,
                            "api_key_id": None,
                            "model": "gpt-5-mini-2025-08-07",
                            "batch": None,
                            "service_tier": None,
                        }
                    ],
                },
                {"object": "bucket", "start_time": D2, "end_time": D2 + 86400, "results": []},
            ],
            "has_more": True,
            "next_page": "page_AAAAAGjTz1kAAAAAaNRt0Q==",
        }
    return {
        "object": "page",
        "data": [
            {
                "object": "bucket",
                "start_time": D2 + 86400,
                "end_time": D2 + 2 * 86400,
                "results": [
                    # An older response: no input_uncached_tokens, unknown extra field.
                    {
                        "object": "organization.usage.completions.result",
                        "input_tokens": 1000,
                        "input_cached_tokens": 400,
                        "output_tokens": 50,
                        "num_model_requests": 3,
                        "model": "gpt-4o-mini",
                        "project_id": None,
                        "brand_new_field": {"x": 1},
                    }
                ],
            }
        ],
        "has_more": False,
        "next_page": None,
    }


COSTS = {
    "object": "page",
    "data": [
        {
            "object": "bucket",
            "start_time": D1,
            "end_time": D2,
            "results": [
                {
                    "object": "organization.costs.result",
                    "amount": {"value": 1.8734, "currency": "usd"},
                    "line_item": "gpt-5-mini, input",
                    "project_id": "proj_7QnXb2kL",
                    "api_key_id": None,
                    "quantity": 184200,
                    "quantity_unit": "tokens",
                },
                {
                    "object": "organization.costs.result",
                    "amount": {"value": "0.429", "currency": "usd"},
                    "line_item": "gpt-5-mini, output",
                    "project_id": "proj_7QnXb2kL",
                    "api_key_id": None,
                    "quantity": 21450,
                    "quantity_unit": "tokens",
                },
            ],
        }
    ],
    "has_more": False,
    "next_page": None,
}

EMPTY = {"object": "page", "data": [], "has_more": False, "next_page": None}


def one(obj: dict) -> dict:
    return {
        "object": "page",
        "data": [{"object": "bucket", "start_time": D1, "end_time": D2, "results": [obj]}],
        "has_more": False,
        "next_page": None,
    }


def full_api() -> FakeAPI:
    api = FakeAPI()
    api.add("GET", "/v1/organization/costs", js(COSTS))
    api.add("GET", "/v1/organization/usage/completions", lambda r: js(completions_page(r.url.params.get("page"))))
    for ep in USAGE_ENDPOINTS[1:]:
        api.add("GET", f"/v1{ep.path}", js(EMPTY))
    api.add(
        "GET",
        "/v1/organization/usage/images",
        js(
            one(
                {
                    "object": "organization.usage.images.result",
                    "images": 3,
                    "num_model_requests": 3,
                    "size": "1024x1024",
                    "source": "image.generation",
                    "project_id": None,
                    "user_id": None,
                    "api_key_id": None,
                    "model": "gpt-image-1",
                }
            )
        ),
    )
    api.add(
        "GET",
        "/v1/organization/usage/web_search_calls",
        js(
            one(
                {
                    "object": "organization.usage.web_searches.result",
                    "num_model_requests": 7,
                    "num_requests": 11,
                    "project_id": None,
                    "user_id": None,
                    "api_key_id": None,
                    "model": None,
                    "context_level": "medium",
                }
            )
        ),
    )
    # An older deployment: file search does not exist yet.
    api.add("GET", "/v1/organization/usage/file_search_calls", js({"error": {"message": "not found"}}, 404))
    return api


def provider(api: FakeAPI, key: str = ADMIN, sleeps: Sleeps | None = None) -> OpenAIProvider:
    acc = Account(id=1, provider="openai", key_kind="admin", base_url="https://api.test/v1")
    return OpenAIProvider(acc, SecretStr(key), api.client(), sleep=sleeps or Sleeps(), now=lambda: NOW)


async def test_usage_and_costs_across_pages() -> None:
    api = full_api()
    result = await provider(api).fetch_usage(date(2026, 8, 1), date(2026, 8, 3))
    comp = api.calls("/v1/organization/usage/completions")
    assert len(comp) == 2
    assert comp[0].url.params.get_list("group_by") == ["model", "project_id", "api_key_id"]
    assert comp[0].url.params["start_time"] == str(D1) and comp[0].url.params["bucket_width"] == "1d"
    assert comp[0].url.params["end_time"] == str(D1 + 3 * 86400)
    assert comp[1].url.params["page"] == "page_AAAAAGjTz1kAAAAAaNRt0Q=="
    assert comp[0].headers["authorization"] == f"Bearer {ADMIN}"

    usage = [ln for ln in result.lines if ln.stream == "openai.usage.completions"]
    assert len(usage) == 2
    first = usage[0]
    assert (first.day, first.model, first.project) == (date(2026, 8, 1), "gpt-5-mini-2025-08-07", "proj_7QnXb2kL")
    assert (first.input_tokens, first.cache_read_tokens, first.output_tokens, first.requests) == (
        88200,
        96000,
        21450,
        142,
    )
    older = usage[1]
    assert older.day == date(2026, 8, 3) and older.input_tokens == 600 and older.cache_read_tokens == 400

    costs = [ln for ln in result.lines if ln.kind == "cost"]
    assert [c.cost_usd for c in costs] == [Decimal("1.8734"), Decimal("0.429")]
    assert costs[0].line_item == "gpt-5-mini, input" and costs[0].quantity == 184200
    assert api.calls("/v1/organization/costs")[0].url.params["limit"] == "180"

    images = [ln for ln in result.lines if ln.stream == "openai.usage.images"][0]
    assert images.quantity == 3 and images.quantity_unit == "images"
    assert images.line_item == "images:1024x1024:image.generation"
    web = [ln for ln in result.lines if ln.stream == "openai.usage.web_search_calls"][0]
    assert web.requests == 7 and web.quantity == 11 and web.line_item == "web_search_calls:medium"

    assert result.skipped == ["file_search_calls"]
    streams = {w.stream for w in result.windows}
    assert "openai.usage.file_search_calls" not in streams and "openai.costs" in streams


async def test_empty_results() -> None:
    api = FakeAPI().add("GET", "/v1/organization/costs", js(EMPTY))
    api.add("GET", "/v1/organization/usage/completions", js(EMPTY))
    for ep in USAGE_ENDPOINTS[1:]:
        api.add("GET", f"/v1{ep.path}", js(EMPTY))
    result = await provider(api).fetch_usage(date(2026, 8, 1), date(2026, 8, 1))
    assert result.lines == [] and len(result.windows) == len(USAGE_ENDPOINTS) + 1


async def test_project_key_is_wrong_key_type() -> None:
    api = FakeAPI().add("GET", "/v1/organization/costs", js({"error": {"message": "Missing scopes"}}, 401))
    with pytest.raises(WrongKeyType, match="Admin key"):
        await provider(api, key="sk-proj-abcdefabcdefabcdef").test_key()
    with pytest.raises(WrongKeyType, match="sk-admin"):
        await provider(api, key="sk-proj-abcdefabcdefabcdef").fetch_usage(date(2026, 8, 1), date(2026, 8, 1))


async def test_revoked_admin_key_is_unauthorized() -> None:
    from costtui.providers.base import Unauthorized

    api = FakeAPI().add("GET", "/v1/organization/costs", js({"error": {"message": "invalid key"}}, 401))
    with pytest.raises(Unauthorized, match="revoked"):
        await provider(api).test_key()


async def test_required_endpoint_404_is_an_error() -> None:
    api = FakeAPI().add("GET", "/v1/organization/costs", js({}, 404))
    with pytest.raises(NotAvailable):
        await provider(api).fetch_usage(date(2026, 8, 1), date(2026, 8, 1))


async def test_500_and_timeout_exhaust_retries() -> None:
    sleeps = Sleeps()
    api = FakeAPI().add("GET", "/v1/organization/costs", js({}, 500), httpx.ReadTimeout("t"), js({}, 500))
    p = provider(api, sleeps=sleeps)
    p.http.max_retries = 2
    with pytest.raises(ProviderDown):
        await p.fetch_usage(date(2026, 8, 1), date(2026, 8, 1))
    assert sleeps.calls == [1.0, 2.0]


async def test_malformed_json_and_shape() -> None:
    api = FakeAPI().add("GET", "/v1/organization/costs", httpx.Response(200, content=b"{not json"))
    with pytest.raises(BadResponse):
        await provider(api).fetch_usage(date(2026, 8, 1), date(2026, 8, 1))
    api = FakeAPI().add("GET", "/v1/organization/costs", js({"data": "nope"}))
    with pytest.raises(BadResponse):
        await provider(api).fetch_usage(date(2026, 8, 1), date(2026, 8, 1))


async def test_repeated_cursor_does_not_loop() -> None:
    api = FakeAPI().add("GET", "/v1/organization/costs", js({**EMPTY, "has_more": True, "next_page": "same"}))
    with pytest.raises(BadResponse, match="same page cursor"):
        await provider(api).fetch_usage(date(2026, 8, 1), date(2026, 8, 1))


async def test_quotas_spend_limit_and_project_rate_limits() -> None:
    api = FakeAPI()
    api.add(
        "GET",
        "/v1/organization/spend_limit",
        js(
            {
                "object": "organization.spend_limit",
                "threshold_amount": 50000,
                "currency": "USD",
                "interval": "month",
                "enforcement": {"status": "enforcing"},
            }
        ),
    )
    api.add(
        "GET",
        "/v1/organization/projects/proj_7QnXb2kL/rate_limits",
        js(
            {
                "object": "list",
                "data": [
                    {
                        "object": "project.rate_limit",
                        "id": "rl-gpt-5-mini",
                        "model": "gpt-5-mini-2025-08-07",
                        "max_requests_per_1_minute": 5000,
                        "max_tokens_per_1_minute": 4000000,
                    },
                    {"object": "project.rate_limit", "id": "rl-other", "model": "o3", "max_requests_per_1_minute": 10},
                ],
                "first_id": "rl-gpt-5-mini",
                "last_id": "rl-other",
                "has_more": False,
            }
        ),
    )
    snaps = await provider(api).fetch_quotas({"proj_7QnXb2kL": {"gpt-5-mini-2025-08-07"}})
    spend = snaps[0]
    assert (spend.kind, spend.limit, spend.unit, spend.window) == ("spend_limit", Decimal(500), "usd", "month")
    assert spend.resets_at == datetime(2026, 9, 1, tzinfo=UTC)
    rl = {(s.kind, s.scope): s.limit for s in snaps[1:]}
    assert rl == {
        ("configured_rate_limit.requests", "proj_7QnXb2kL/gpt-5-mini-2025-08-07"): Decimal(5000),
        ("configured_rate_limit.tokens", "proj_7QnXb2kL/gpt-5-mini-2025-08-07"): Decimal(4000000),
    }


async def test_configured_rate_limits_match_dated_usage_models() -> None:
    """Usage names the dated snapshot the requests ran on; the project's limits name the base model
    (and sometimes the reverse). Both spellings of one model meet; other models stay out."""
    api = FakeAPI()
    api.add("GET", "/v1/organization/spend_limit", js({}, 404))
    api.add(
        "GET",
        "/v1/organization/projects/proj_7QnXb2kL/rate_limits",
        js(
            {
                "object": "list",
                "data": [
                    {
                        "object": "project.rate_limit",
                        "id": "rl-gpt-4o-mini",
                        "model": "gpt-4o-mini",
                        "max_requests_per_1_minute": 10000,
                        "max_tokens_per_1_minute": 10000000,
                        "max_requests_per_1_day": 14400,
                    },
                    {
                        "object": "project.rate_limit",
                        "id": "rl-o3-mini",
                        "model": "o3-mini-2025-01-31",
                        "max_requests_per_1_minute": 30,
                    },
                    {
                        "object": "project.rate_limit",
                        "id": "rl-gpt-4o",
                        "model": "gpt-4o",
                        "max_requests_per_1_minute": 500,
                    },
                ],
                "first_id": "rl-gpt-4o-mini",
                "last_id": "rl-gpt-4o",
                "has_more": False,
            }
        ),
    )
    snaps = await provider(api).fetch_quotas({"proj_7QnXb2kL": {"gpt-4o-mini-2024-07-18", "o3-mini"}})
    assert {(s.kind, s.scope): s.limit for s in snaps} == {
        ("configured_rate_limit.requests", "proj_7QnXb2kL/gpt-4o-mini"): Decimal(10000),
        ("configured_rate_limit.tokens", "proj_7QnXb2kL/gpt-4o-mini"): Decimal(10000000),
        ("configured_rate_limit.requests_day", "proj_7QnXb2kL/gpt-4o-mini"): Decimal(14400),
        ("configured_rate_limit.requests", "proj_7QnXb2kL/o3-mini-2025-01-31"): Decimal(30),
    }


async def test_quotas_tolerate_missing_spend_limit_endpoint() -> None:
    api = FakeAPI().add("GET", "/v1/organization/spend_limit", js({}, 404))
    assert await provider(api).fetch_quotas({}) == []
