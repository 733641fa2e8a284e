"""z.ai GLM Coding Plan against responses shaped like quota_sources.md §4."""

from __future__ import annotations

from decimal import Decimal

import pytest

from costtui.providers import get_info
from costtui.providers.base import BadResponse, RateLimited, Unauthorized
from costtui.providers.zai import ZaiProvider
from costtui.vocabulary import canonical_provider

from .fakes import FakeAPI, js
from .plan_helpers import KEY, empty_remote_cache, make  # noqa: F401

QUOTA = {
    "code": 200,
    "msg": "Operation successful",
    "success": True,
    "data": {
        "level": "pro",
        "limits": [
            {"type": "TOKENS_LIMIT", "unit": 3, "number": 5, "percentage": 37, "nextResetTime": 1787700600000},
            {"type": "TOKENS_LIMIT", "unit": 6, "number": 1, "percentage": 12, "nextResetTime": 1788105600000},
            {
                "type": "TIME_LIMIT",
                "unit": 5,
                "number": 1,
                "usage": 1000,
                "currentValue": 84,
                "remaining": 916,
                "percentage": 8,
                "nextResetTime": 1789603200000,
                "usageDetails": [{"modelCode": "search-prime", "usage": 61}, {"modelCode": "web-reader", "usage": 23}],
            },
            {"type": "SOMETHING_NEW", "percentage": 50},
        ],
    },
}
MODEL_USAGE = {
    "code": 200,
    "success": True,
    "msg": "Operation successful",
    "data": {
        "x_time": ["2026-08-20 22:00", "2026-08-20 23:00", "2026-08-21 00:00"],
        "modelCallCount": [12, 30, 7],
        "tokensUsage": [410220, 1022870, 96012],
        "totalUsage": {
            "totalModelCallCount": 49,
            "totalTokensUsage": 1529102,
            "modelSummaryList": [
                {"modelName": "GLM-4.6", "totalTokens": 1480012, "sortOrder": 1},
                {"modelName": "GLM-4.5-Air", "totalTokens": 49090, "sortOrder": 2},
            ],
        },
    },
}
Q, MU = "/api/monitor/usage/quota/limit", "/api/monitor/usage/model-usage"


def test_vocabulary_spellings() -> None:
    for name in ("z.ai", "zhipu", "ZhipuAI", "bigmodel"):
        assert canonical_provider(name) == "zai"
    assert get_info("z.ai").title.startswith("z.ai")


async def test_windows_tool_calls_and_tokens_per_model() -> None:
    api = FakeAPI().add("GET", Q, js(QUOTA)).add("GET", MU, js(MODEL_USAGE))
    snaps = await make(ZaiProvider, api).fetch_quotas()
    by = {(s.kind, s.scope): s for s in snaps}
    five, week = by[("plan.five_hour", "")], by[("plan.weekly", "")]
    assert (five.used, five.remaining, five.unit, five.window) == (Decimal(37), Decimal(63), "percent", "5h")
    assert five.resets_at is not None and int(five.resets_at.timestamp()) == 1787700600
    assert week.used == Decimal(12) and five.detail == "pro plan"
    tools = by[("plan.tool_calls", "")]
    assert (tools.used, tools.limit, tools.remaining, tools.unit) == (Decimal(84), Decimal(1000), Decimal(916), "calls")
    assert tools.detail == "search-prime 61 · web-reader 23"
    assert by[("usage.day", "GLM-4.6")].used == Decimal(1480012)
    assert by[("usage.day", "")].used == Decimal(1529102)
    assert not any("SOMETHING" in s.kind for s in snaps)
    req = api.calls(Q)[0]
    assert req.headers["authorization"] == KEY  # raw key, as the vendor plugins send it
    mu = api.calls(MU)[0]
    assert len(mu.url.params["startTime"]) == 19 and " " in mu.url.params["startTime"]


async def test_china_host_and_claude_code_base_url_are_cut_to_the_host() -> None:
    api = FakeAPI().add("GET", Q, js(QUOTA)).add("GET", MU, js(MODEL_USAGE))
    p = make(ZaiProvider, api, base="https://open.bigmodel.cn/api/anthropic")
    await p.fetch_quotas()
    assert str(api.requests[0].url).startswith("https://open.bigmodel.cn/api/monitor/usage/quota/limit")


async def test_200_with_success_false_is_an_auth_error_without_the_key() -> None:
    body = {"code": 1001, "success": False, "msg": f"Authorization Token Missing {KEY}"}
    api = FakeAPI().add("GET", Q, js(body))
    with pytest.raises(Unauthorized) as err:
        await make(ZaiProvider, api).fetch_quotas()
    assert "Coding Plan" in str(err.value) and KEY[8:20] not in str(err.value)


async def test_200_with_other_error_code_is_a_bad_response() -> None:
    api = FakeAPI().add("GET", Q, js({"code": 500, "success": False, "msg": "system busy"}))
    with pytest.raises(BadResponse, match="system busy"):
        await make(ZaiProvider, api).test_key()


async def test_unit_codes_unknown_classified_by_reset_distance_and_strings_tolerated() -> None:
    data = {
        "code": 200,
        "success": True,
        "data": {
            "limits": [
                {"type": "TOKENS_LIMIT", "unit": 9, "percentage": "55", "nextResetTime": "1788105600000"},
                {"type": "TOKENS_LIMIT", "unit": 8, "percentage": 20, "nextResetTime": 1787700600000},
                {"type": "TIME_LIMIT", "percentage": 3},
                {"type": "CREDIT_LIMIT", "percentage": None},
                "junk",
            ]
        },
    }
    api = FakeAPI().add("GET", Q, js(data)).add("GET", MU, js({"success": True, "data": None}))
    by = {s.kind: s for s in await make(ZaiProvider, api).fetch_quotas()}
    assert by["plan.five_hour"].used == Decimal(20) and by["plan.weekly"].used == Decimal(55)
    assert by["plan.tool_calls"].unit == "percent"
    assert "plan.credits" not in by


async def test_reads_are_cached_and_429_backs_off() -> None:
    api = FakeAPI().add("GET", Q, js(QUOTA)).add("GET", MU, js(MODEL_USAGE))
    await make(ZaiProvider, api).fetch_quotas()
    await make(ZaiProvider, api).fetch_quotas()  # a new sync a moment later: no new call
    assert len(api.calls(Q)) == 1
    limited = FakeAPI().add("GET", Q, js({"error": "slow down"}, 429, {"retry-after": "600"}))
    p = make(ZaiProvider, limited, base="https://other.test")
    with pytest.raises(RateLimited):
        await p.fetch_quotas()
    n = len(limited.requests)
    with pytest.raises(RateLimited, match="asking again"):
        await make(ZaiProvider, limited, base="https://other.test").fetch_quotas()
    assert len(limited.requests) == n  # the back-off did not call again


def test_keys_add_zai_with_china_base_url_reads_the_key_from_stdin(memory_keyring) -> None:
    from click.testing import CliRunner

    from costtui.cli import cli

    res = CliRunner().invoke(cli, ["keys", "add", "z.ai", "--base-url", "https://open.bigmodel.cn"], input=KEY + "\n")
    assert res.exit_code == 0, res.output
    assert KEY not in res.output
    listed = CliRunner().invoke(cli, ["keys", "list", "--json"])
    assert "open.bigmodel.cn" in listed.output and '"zai"' in listed.output
