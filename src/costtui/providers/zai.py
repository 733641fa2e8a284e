"""z.ai / Zhipu GLM Coding Plan: the plan's windows and the tokens used per model (quota_sources.md §4).

No public reference documents these endpoints; Z.ai's own plugins call them with the Coding Plan
API key (raw, no ``Bearer``). Errors arrive as HTTP 200 with ``success: false`` (``code`` 1001 for
a missing or wrong key), so the envelope is checked on every answer. Windows, classified by
``type`` and then by ``unit``/``number`` or by how far away the reset is (the unit table differs
between tools): ``TOKENS_LIMIT`` 5-hour and weekly, ``TIME_LIMIT`` the monthly tool (MCP) calls,
``CREDIT_LIMIT`` the credits of newer plans. Unknown types are left out.

Hosts: ``https://api.z.ai`` (global, the default) or ``https://open.bigmodel.cn`` (China), set
with ``--base-url``; a Claude-Code style base URL (``…/api/anthropic``) is cut to its host.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from pydantic import SecretStr

from costtui.models import QuotaSnapshot
from costtui.providers import plans
from costtui.providers.base import BadResponse, Provider, Unauthorized, expect_dict, sub_dict

QUOTA = "/api/monitor/usage/quota/limit"
MODEL_USAGE = "/api/monitor/usage/model-usage"
AUTH_CODES = {401, 1000, 1001, 1002, 1003, 1004}
"""Envelope codes that mean the key is missing, wrong or expired (1001 is documented by use)."""
USAGE_CACHE_SECONDS = 600.0
"""model-usage is a report, not a gauge: asked a few times an hour."""
CHINA = "https://open.bigmodel.cn"


def origin(url: str) -> str:
    """Scheme and host of a base URL (users paste their ``ANTHROPIC_BASE_URL``)."""
    u = httpx.URL(url)
    return f"{u.scheme}://{u.netloc.decode()}" if u.scheme and u.host else url.rstrip("/")


class ZaiProvider(Provider):
    id = "zai"
    default_base_url = "https://api.z.ai"
    key_kinds = ("inference",)
    key_hint = "Coding Plan API key (z.ai → API keys); China: --base-url https://open.bigmodel.cn"
    what = "plan windows (5-hour and weekly tokens, monthly tool calls) and tokens per model today"
    supports_quotas = True

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.http.base_url = origin(self.http.base_url)

    def auth_headers(self, key: SecretStr) -> dict[str, str]:
        return {
            "Authorization": key.get_secret_value(),
            "Accept-Language": "en-US,en",
            "Content-Type": "application/json",
        }

    async def _data(self, path: str, params: Any = None, ttl: float = plans.CACHE_SECONDS) -> dict[str, Any]:
        async def fetch() -> Any:
            return await self.http.get_json(path, params)

        body = expect_dict(await plans.cached(self, path, fetch, ttl), f"{path} response", self.id)
        if body.get("success") is False or (body.get("code") not in (None, 200, 0) and "data" not in body):
            code = body.get("code")
            msg = self.http.redact(str(body.get("msg") or body.get("message") or "error")[:200])
            if code in AUTH_CODES:
                raise Unauthorized(f"zai: the key was rejected ({msg}, code {code}): use the Coding Plan API key")
            raise BadResponse(f"zai: {path} answered with an error: {msg} (code {code})")
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    async def test_key(self) -> str:
        data = await self._data(QUOTA)
        level = data.get("level")
        return f"Coding Plan key works{f' (plan {level})' if isinstance(level, str) else ''}"

    async def fetch_quotas(
        self, hints: dict[str, set[str]] | None = None, *, configured: bool = True
    ) -> list[QuotaSnapshot]:
        data = await self._data(QUOTA)
        out = self.windows(data)
        try:
            out.extend(await self.model_usage())
        except BadResponse:
            pass  # the windows are what a user watches; the per-model report is a bonus
        return out

    def windows(self, data: dict[str, Any]) -> list[QuotaSnapshot]:
        limits = (
            [x for x in (data.get("limits") or []) if isinstance(x, dict)]
            if isinstance(data.get("limits"), list)
            else []
        )
        level = data.get("level") or data.get("planName") or data.get("plan")
        plan = f"{level} plan" if isinstance(level, str) and level else None
        out: list[QuotaSnapshot] = []
        tokens = [x for x in limits if x.get("type") == "TOKENS_LIMIT"]
        # Known unit codes first; otherwise the nearer reset is the 5-hour window, the farther the weekly.
        tokens.sort(key=lambda x: _reset_seconds(x.get("nextResetTime")))
        for i, x in enumerate(tokens):
            unit, num = x.get("unit"), x.get("number")
            if (unit, num) == (3, 5):
                name, win = "five_hour", "5h"
            elif unit == 6:
                name, win = "weekly", "week"
            else:
                name, win = ("five_hour", "5h") if i == 0 else ("weekly", "week")
            snap = plans.window(self, name, x.get("percentage"), plans.when(x.get("nextResetTime")), win, detail=plan)
            if snap is not None:
                out.append(snap)
        for x in limits:
            kind = x.get("type")
            if kind == "TIME_LIMIT":
                total, used = plans.number(x.get("usage")), plans.number(x.get("currentValue"))
                remaining = plans.number(x.get("remaining"))
                resets = plans.when(x.get("nextResetTime"))
                if total is not None and total > 0 and (used is not None or remaining is not None):
                    used = used if used is not None else total - (remaining or Decimal(0))
                    out.append(
                        self.quota(
                            kind="plan.tool_calls",
                            used=used,
                            limit=total,
                            remaining=remaining if remaining is not None else max(Decimal(0), total - used),
                            unit="calls",
                            window="month",
                            resets_at=resets,
                            detail=_tools(x.get("usageDetails")),
                        )
                    )
                else:
                    snap = plans.window(self, "tool_calls", x.get("percentage"), resets, "month")
                    if snap is not None:
                        out.append(snap)
            elif kind == "CREDIT_LIMIT":
                snap = plans.window(
                    self, "credits", x.get("percentage"), plans.when(x.get("nextResetTime")), None, detail=plan
                )
                if snap is not None:
                    out.append(snap)
        return out

    async def model_usage(self) -> list[QuotaSnapshot]:
        """Tokens per model over the last 24 hours (``usage.day``, unit tokens)."""
        end = self.now().astimezone()  # the vendor plugin sends local wall-clock time
        start = end - timedelta(hours=24)
        fmt = "%Y-%m-%d %H:%M:%S"
        params = {"startTime": start.strftime(fmt), "endTime": end.strftime(fmt)}
        data = await self._data(MODEL_USAGE, params, ttl=USAGE_CACHE_SECONDS)
        total = sub_dict(data, "totalUsage")
        out = []
        summary = total.get("modelSummaryList")
        for m in summary if isinstance(summary, list) else []:
            if not isinstance(m, dict) or not isinstance(m.get("modelName"), str):
                continue
            tokens = plans.number(m.get("totalTokens"))
            if tokens is not None:
                out.append(self.quota(kind="usage.day", scope=m["modelName"], used=tokens, unit="tokens"))
        all_tokens = plans.number(total.get("totalTokensUsage"))
        if all_tokens is not None:
            calls = plans.number(total.get("totalModelCallCount"))
            detail = f"{calls:,.0f} model calls in the last 24 hours" if calls is not None else None
            out.append(self.quota(kind="usage.day", used=all_tokens, unit="tokens", detail=detail))
        return out


def _reset_seconds(value: Any) -> float:
    when = plans.when(value)
    return when.timestamp() if when else float("inf")


def _tools(details: Any) -> str | None:
    """``search-prime 61 · web-reader 23``: the monthly tool calls by tool."""
    if not isinstance(details, list):
        return None
    parts = [
        f"{d['modelCode']} {d['usage']}"
        for d in details
        if isinstance(d, dict) and isinstance(d.get("modelCode"), str) and isinstance(d.get("usage"), int)
    ]
    return " · ".join(parts)[:200] or None
