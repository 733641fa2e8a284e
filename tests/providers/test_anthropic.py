"""Anthropic Admin API, replayed from the shapes in providers.md section 2."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import SecretStr

from costtui.models import Account
from costtui.providers.anthropic import AnthropicProvider
from costtui.providers.base import RateLimited, WrongKeyType

from .fakes import FakeAPI, Sleeps, js

ADMIN = "sk-ant-admin01-TESTTESTTESTTEST"
NOW = datetime(2026, 8, 3, 12, tzinfo=UTC)

COST_REPORT = {
    "data": [
        {
            "starting_at": "2026-08-01T00:00:00Z",
            "ending_at": "2026-08-02T00:00:00Z",
            "results": [
                {
                    "amount": "12.369",
                    "currency": "USD",
                    "cost_type": "tokens",
                    "description": "Claude Sonnet 4.5 Usage - Input Tokens",
                    "model": "claude-sonnet-4-5-20250929",
                    "service_tier": "standard",
                    "token_type": "uncached_input_tokens",
                    "context_window": "0-200k",
                    "workspace_id": None,
                },
                {
                    "amount": "28.1475",
                    "currency": "USD",
                    "cost_type": "tokens",
                    "description": "Claude Sonnet 4.5 Usage - Output Tokens",
                    "model": "claude-sonnet-4-5-20250929",
                    "service_tier": "standard",
                    "token_type": "output_tokens",
                    "context_window": "0-200k",
                    "workspace_id": None,
                },
                {
                    "amount": "3.0",
                    "currency": "USD",
                    "cost_type": "web_search",
                    "description": "Web Search Usage",
                    "model": None,
                    "service_tier": None,
                    "token_type": None,
                    "context_window": None,
                    "workspace_id": None,
                },
            ],
        }
    ],
    "has_more": False,
    "next_page": None,
}


def usage_page(page: str | None) -> dict:
    first = {
        "data": [
            {
                "starting_at": "2026-08-01T00:00:00Z",
                "ending_at": "2026-08-02T00:00:00Z",
                "results": [
                    {
                        "uncached_input_tokens": 41230,
                        "cache_creation": {"ephemeral_5m_input_tokens": 12000, "ephemeral_1h_input_tokens": 500},
                        "cache_read_input_tokens": 385400,
                        "output_tokens": 18765,
                        "server_tool_use": {"web_search_requests": 3},
                        "api_key_id": "apikey_01HxQ8mVb7tP2cK9",
                        "workspace_id": None,
                        "model": "claude-sonnet-4-5-20250929",
                        "service_tier": None,
                        "context_window": None,
                    }
                ],
            }
        ],
        "has_more": True,
        "next_page": "page_2",
    }
    second = {
        "data": [{"starting_at": "2026-08-02T00:00:00Z", "ending_at": "2026-08-03T00:00:00Z", "results": []}],
        "has_more": False,
        "next_page": None,
    }
    return first if page is None else second


CLAUDE_CODE = {
    "data": [
        {
            "date": "2026-08-01T00:00:00Z",
            "actor": {"type": "user_actor", "email_address": "dev@example.org"},
            "organization_id": "0b9f2c3e-6a41-4f7d-9d3a-2f6c1e8b7a10",
            "customer_type": "api",
            "subscription_type": None,
            "terminal_type": "vscode",
            "core_metrics": {"num_sessions": 4},
            "model_breakdown": [
                {
                    "model": "claude-sonnet-4-5-20250929",
                    "tokens": {"input": 20311, "output": 9044, "cache_read": 1540021, "cache_creation": 88410},
                    "estimated_cost": {"amount": 118, "currency": "USD"},
                }
            ],
        }
    ],
    "has_more": False,
    "next_page": None,
}
EMPTY = {"data": [], "has_more": False, "next_page": None}


def provider(api: FakeAPI, key: str = ADMIN) -> AnthropicProvider:
    acc = Account(id=1, provider="anthropic", key_kind="admin", base_url="https://anthropic.test")
    return AnthropicProvider(acc, SecretStr(key), api.client(), sleep=Sleeps(), now=lambda: NOW)


def full_api() -> FakeAPI:
    api = FakeAPI()
    api.add("GET", "/v1/organizations/cost_report", js(COST_REPORT))
    api.add("GET", "/v1/organizations/usage_report/messages", lambda r: js(usage_page(r.url.params.get("page"))))
    api.add(
        "GET",
        "/v1/organizations/usage_report/claude_code",
        lambda r: js(CLAUDE_CODE if r.url.params["starting_at"] == "2026-08-01" else EMPTY),
    )
    return api


async def test_cost_usage_and_claude_code() -> None:
    api = full_api()
    result = await provider(api).fetch_usage(date(2026, 8, 1), date(2026, 8, 2))
    cost_req = api.calls("/v1/organizations/cost_report")[0]
    assert cost_req.headers["x-api-key"] == ADMIN and cost_req.headers["anthropic-version"] == "2023-06-01"
    assert cost_req.url.params.get_list("group_by[]") == ["workspace_id", "description"]
    assert cost_req.url.params["starting_at"] == "2026-08-01T00:00:00Z"
    assert cost_req.url.params["ending_at"] == "2026-08-03T00:00:00Z"

    costs = [ln for ln in result.lines if ln.kind == "cost"]
    # Cents strings → dollars: 43.5165 cents in all = $0.435165.
    assert sum(c.cost_usd for c in costs) == Decimal("0.435165")
    assert costs[0].cost_usd == Decimal("0.12369") and costs[0].model == "claude-sonnet-4-5-20250929"
    assert costs[0].line_item == "Claude Sonnet 4.5 Usage - Input Tokens [standard, 0-200k]"
    assert costs[2].line_item == "Web Search Usage"

    usage_reqs = api.calls("/v1/organizations/usage_report/messages")
    assert len(usage_reqs) == 2 and usage_reqs[1].url.params["page"] == "page_2"
    assert usage_reqs[0].url.params.get_list("group_by[]") == ["model", "api_key_id", "workspace_id"]
    u = [ln for ln in result.lines if ln.kind == "usage"][0]
    assert (u.input_tokens, u.cache_read_tokens, u.cache_write_tokens, u.cache_write_1h_tokens, u.output_tokens) == (
        41230,
        385400,
        12500,
        500,
        18765,
    )
    assert u.api_key == "apikey_01HxQ8mVb7tP2cK9" and u.quantity == 3

    cc = [ln for ln in result.lines if ln.kind == "estimate"]
    assert len(cc) == 1 and cc[0].cost_usd == Decimal("1.18") and cc[0].line_item == "claude_code:dev@example.org"
    assert cc[0].day == date(2026, 8, 1) and cc[0].cache_write_tokens == 88410
    assert len(api.calls("/v1/organizations/usage_report/claude_code")) == 2  # one request per day
    assert {w.stream for w in result.windows} == {
        "anthropic.cost_report",
        "anthropic.usage.messages",
        "anthropic.claude_code",
    }


async def test_claude_code_404_is_skipped() -> None:
    api = full_api().add("GET", "/v1/organizations/usage_report/claude_code", js({}, 404))
    result = await provider(api).fetch_usage(date(2026, 8, 1), date(2026, 8, 1))
    assert result.skipped == ["claude_code"]


async def test_normal_key_where_admin_needed() -> None:
    api = FakeAPI().add(
        "GET",
        "/v1/organizations/usage_report/messages",
        js({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}, 401),
    )
    with pytest.raises(WrongKeyType, match="Admin key"):
        await provider(api, key="sk-ant-api03-normalkeynormalkey").test_key()


async def test_empty_reports() -> None:
    api = FakeAPI()
    for path in ("cost_report", "usage_report/messages", "usage_report/claude_code"):
        api.add("GET", f"/v1/organizations/{path}", js(EMPTY))
    result = await provider(api).fetch_usage(date(2026, 8, 1), date(2026, 8, 1))
    assert result.lines == []


async def test_429_retry_after_then_gives_up() -> None:
    api = FakeAPI().add("GET", "/v1/organizations/cost_report", js({}, 429, {"retry-after": "2"}))
    p = provider(api)
    p.http.max_retries = 1
    with pytest.raises(RateLimited):
        await p.fetch_usage(date(2026, 8, 1), date(2026, 8, 1))
    assert p.http.sleep.calls == [2.0]  # type: ignore[attr-defined]


async def test_rate_limits_as_quotas() -> None:
    api = FakeAPI().add(
        "GET",
        "/v1/organizations/rate_limits",
        js(
            {
                "data": [
                    {
                        "id": "rlg_sonnet_family",
                        "type": "rate_limit",
                        "group_type": "model_group",
                        "models": ["claude-sonnet-4-5", "claude-sonnet-4-5-20250929"],
                        "limits": [
                            {"type": "requests_per_minute", "value": 4000},
                            {"type": "input_tokens_per_minute", "value": 2000000},
                        ],
                    },
                    {
                        "id": "rlg_batch",
                        "type": "rate_limit",
                        "group_type": "batch",
                        "models": None,
                        "limits": [{"type": "enqueued_batch_requests", "value": 500000}],
                    },
                ],
                "next_page": None,
            }
        ),
    )
    snaps = await provider(api).fetch_quotas()
    got = {(s.kind, s.scope, s.unit): s.limit for s in snaps}
    assert got == {
        ("configured_rate_limit.requests_per_minute", "claude-sonnet-4-5", "requests/min"): Decimal(4000),
        ("configured_rate_limit.input_tokens_per_minute", "claude-sonnet-4-5", "input_tokens/min"): Decimal(2000000),
        ("configured_rate_limit.enqueued_batch_requests", "batch", "enqueued_batch_requests"): Decimal(500000),
    }


@pytest.mark.parametrize("status", [401, 403, 429])
async def test_a_failing_claude_code_day_keeps_what_was_fetched(status: int) -> None:
    """Day 1 of Claude Code answers, day 2 fails: the cost and usage reports and day 1 stay."""
    api = full_api().add(
        "GET",
        "/v1/organizations/usage_report/claude_code",
        lambda r: (
            js(CLAUDE_CODE)
            if r.url.params["starting_at"] == "2026-08-01"
            else js({"type": "error", "error": {"type": "x", "message": "not now"}}, status)
        ),
    )
    p = provider(api)
    p.http.max_retries = 0
    result = await p.fetch_usage(date(2026, 8, 1), date(2026, 8, 3))
    kinds = [ln.kind for ln in result.lines]
    assert kinds.count("cost") == 3 and kinds.count("usage") == 1 and kinds.count("estimate") == 1
    assert len(result.errors) == 1 and "Claude Code report of 2026-08-02 failed" in result.errors[0]
    assert f"({status})" in result.errors[0]
    windows = {w.stream: (w.start, w.end) for w in result.windows}
    # Only the day read completely is replaced; the failed days keep what was stored before.
    assert windows["anthropic.claude_code"] == (date(2026, 8, 1), date(2026, 8, 1))
    assert windows["anthropic.cost_report"] == (date(2026, 8, 1), date(2026, 8, 3))


async def test_cost_lines_say_priority_tier_is_left_out() -> None:
    result = await provider(full_api()).fetch_usage(date(2026, 8, 1), date(2026, 8, 1))
    costs = [ln for ln in result.lines if ln.kind == "cost"]
    assert costs and all("excludes Priority Tier" in (ln.note or "") for ln in costs)
