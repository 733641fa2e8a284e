"""Anthropic Admin API (admin key ``sk-ant-admin…``); providers.md section 2.

* Messages usage report → ``kind="usage"`` lines by model, API key and workspace, with the cache
  split (5-minute and 1-hour writes, reads).
* Cost report → ``kind="cost"`` lines; ``amount`` is a decimal **string in cents**. It leaves out
  Priority Tier spend (Anthropic's docs say so), and every line carries a note saying so.
* Claude Code usage report → ``kind="estimate"`` lines (``estimated_cost.amount`` is a number in
  cents; an estimate, already inside the cost report for API customers, so never summed as billed).
* Organisation rate limits (configured, not live) → quotas.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import SecretStr

from costtui.models import QuotaSnapshot, cents_to_usd
from costtui.providers.base import (
    USER_AGENT,
    BadResponse,
    NotAvailable,
    Progress,
    Provider,
    ProviderError,
    Unauthorized,
    UsageResult,
    WrongKeyType,
    as_int,
    day_from_iso,
    expect_list,
    rfc3339,
    sub_dict,
)

API_VERSION = "2023-06-01"
MESSAGES = "/v1/organizations/usage_report/messages"
COSTS = "/v1/organizations/cost_report"
CLAUDE_CODE = "/v1/organizations/usage_report/claude_code"
RATE_LIMITS = "/v1/organizations/rate_limits"
PAGE_LIMIT = 31

PRIORITY_TIER_NOTE = "excludes Priority Tier spend (Anthropic's cost report leaves it out)"
"""Carried on every cost-report line so that wherever the billed figure shows, this shows beside it."""

ADMIN_HINT = (
    "the Anthropic usage and cost reports need an Admin key (sk-ant-admin…), created by an organisation "
    "admin under console.anthropic.com → Settings → Admin keys; a normal API key (sk-ant-api…) is refused"
)


class AnthropicProvider(Provider):
    id = "anthropic"
    default_base_url = "https://api.anthropic.com"
    key_kinds = ("admin",)
    key_hint = "Admin key sk-ant-admin… (console.anthropic.com → Settings → Admin keys)"
    what = "cost report, usage by model/key/workspace, Claude Code, rate limits"
    supports_usage = True
    supports_quotas = True

    def auth_headers(self, key: SecretStr) -> dict[str, str]:
        return {"x-api-key": key.get_secret_value(), "anthropic-version": API_VERSION, "User-Agent": USER_AGENT}

    def _key_type_error(self, exc: ProviderError) -> ProviderError:
        if isinstance(exc, (Unauthorized, WrongKeyType)) and not self.key.get_secret_value().startswith("sk-ant-admin"):
            return WrongKeyType(f"anthropic: {ADMIN_HINT}", status=exc.status)
        return exc

    async def _pages(self, path: str, params: list[tuple[str, Any]], *, tolerate_404: bool = False) -> list[Any]:
        try:
            return await self.http.get_pages(path, params, tolerate_404=tolerate_404)
        except ProviderError as exc:
            raise self._key_type_error(exc) from None

    async def fetch_usage(self, start: date, end: date, progress: Progress | None = None) -> UsageResult:
        result = UsageResult()
        span = [
            ("starting_at", rfc3339(start)),
            ("ending_at", rfc3339(end + timedelta(days=1))),
            ("bucket_width", "1d"),
        ]
        total_steps = 3
        if progress:
            progress(f"anthropic: cost report (1/{total_steps})")
        buckets = await self._pages(
            COSTS, [*span, ("limit", PAGE_LIMIT), ("group_by[]", "workspace_id"), ("group_by[]", "description")]
        )
        for bucket in buckets:
            if not isinstance(bucket, dict):
                continue
            day = day_from_iso(bucket.get("starting_at"))
            for r in expect_list(bucket.get("results"), "cost results", self.id):
                if isinstance(r, dict):
                    result.lines.append(self._cost_line(r, day))
        result.windows.append(self.window("anthropic.cost_report", start, end))

        if progress:
            progress(f"anthropic: messages usage (2/{total_steps})")
        buckets = await self._pages(
            MESSAGES,
            [
                *span,
                ("limit", PAGE_LIMIT),
                ("group_by[]", "model"),
                ("group_by[]", "api_key_id"),
                ("group_by[]", "workspace_id"),
            ],
        )
        for bucket in buckets:
            if not isinstance(bucket, dict):
                continue
            day = day_from_iso(bucket.get("starting_at"))
            for r in expect_list(bucket.get("results"), "usage results", self.id):
                if isinstance(r, dict):
                    result.lines.append(self._usage_line(r, day))
        result.windows.append(self.window("anthropic.usage.messages", start, end))

        # Claude Code: one UTC day per request. A day that fails (401/403/429, an outage) keeps
        # what was fetched so far, the cost and usage reports included; only the days read
        # completely are replaced, and the sync reads the rest again next time.
        day = start
        n_days = (end - start).days + 1
        try:
            while day <= end:
                if progress:
                    progress(f"anthropic: Claude Code day {(day - start).days + 1}/{n_days} (3/{total_steps})")
                records = await self._pages(
                    CLAUDE_CODE, [("starting_at", day.isoformat()), ("limit", 1000)], tolerate_404=True
                )
                for rec in records:
                    if isinstance(rec, dict):
                        result.lines.extend(self._claude_code_lines(rec, day))
                day += timedelta(days=1)
        except NotAvailable:
            result.skipped.append("claude_code")
            return result
        except ProviderError as exc:
            result.errors.append(f"Claude Code report of {day} failed: {exc}")
        if day > start:
            result.windows.append(self.window("anthropic.claude_code", start, day - timedelta(days=1)))
        return result

    def _cost_line(self, r: dict[str, Any], day: date) -> Any:
        raw = r.get("amount")
        try:
            cost = cents_to_usd(raw) if raw is not None else None
        except ValueError:
            raise BadResponse(f"anthropic: cost amount {str(raw)[:30]!r} is not a number") from None
        label = r.get("description") or r.get("cost_type") or "total"
        extras = [str(r[k]) for k in ("service_tier", "context_window", "inference_geo", "speed") if r.get(k)]
        if extras:
            label = f"{label} [{', '.join(extras)}]"
        return self.line(
            stream="anthropic.cost_report",
            kind="cost",
            day=day,
            model=r.get("model") or "",
            line_item=label,
            project=r.get("workspace_id") or "",
            cost_usd=cost,
            currency=r.get("currency") or "usd",
            note=PRIORITY_TIER_NOTE,
        )

    def _usage_line(self, r: dict[str, Any], day: date) -> Any:
        creation = sub_dict(r, "cache_creation")
        w5, w1h = as_int(creation.get("ephemeral_5m_input_tokens")), as_int(creation.get("ephemeral_1h_input_tokens"))
        tools = sub_dict(r, "server_tool_use")
        searches = as_int(tools.get("web_search_requests"))
        extras = [str(r[k]) for k in ("service_tier", "context_window") if r.get(k)]
        return self.line(
            stream="anthropic.usage.messages",
            kind="usage",
            day=day,
            model=r.get("model") or "",
            line_item=":".join(["messages", *extras]),
            project=r.get("workspace_id") or "",
            api_key=r.get("api_key_id") or "",
            # The report's uncached_input_tokens already excludes cache reads and writes.
            input_tokens=as_int(r.get("uncached_input_tokens")),
            cache_read_tokens=as_int(r.get("cache_read_input_tokens")),
            cache_write_tokens=w5 + w1h,
            cache_write_1h_tokens=w1h,
            output_tokens=as_int(r.get("output_tokens")),
            quantity=searches or None,
            quantity_unit="web_search_requests" if searches else None,
        )

    def _claude_code_lines(self, rec: dict[str, Any], fallback_day: date) -> list[Any]:
        actor = sub_dict(rec, "actor")
        who = actor.get("email_address") or actor.get("api_key_name") or actor.get("type") or "unknown"
        day = day_from_iso(rec["date"]) if rec.get("date") else fallback_day
        lines = []
        for mb in expect_list(rec.get("model_breakdown"), "model_breakdown", self.id):
            if not isinstance(mb, dict):
                continue
            tokens = sub_dict(mb, "tokens")
            est = sub_dict(mb, "estimated_cost")
            amount = est.get("amount")
            lines.append(
                self.line(
                    stream="anthropic.claude_code",
                    kind="estimate",
                    day=day,
                    model=mb.get("model") or "",
                    line_item=f"claude_code:{who}",
                    cost_usd=cents_to_usd(amount) if amount is not None else None,
                    currency=est.get("currency") or "usd",
                    input_tokens=as_int(tokens.get("input")),
                    cache_read_tokens=as_int(tokens.get("cache_read")),
                    cache_write_tokens=as_int(tokens.get("cache_creation")),
                    output_tokens=as_int(tokens.get("output")),
                )
            )
        return lines

    async def test_key(self) -> str:
        today = self.now().date()
        try:
            await self.http.get_json(MESSAGES, [("starting_at", rfc3339(today - timedelta(days=1))), ("limit", 1)])
        except ProviderError as exc:
            raise self._key_type_error(exc) from None
        return "admin key works: the usage report is readable"

    async def fetch_quotas(
        self, hints: dict[str, set[str]] | None = None, *, configured: bool = True
    ) -> list[QuotaSnapshot]:
        if not configured:
            return []
        try:
            groups = await self._pages(RATE_LIMITS, [], tolerate_404=True)
        except NotAvailable:
            return []
        out = []
        for g in groups:
            if not isinstance(g, dict):
                continue
            models = g.get("models") if isinstance(g.get("models"), list) else []
            scope = str(models[0]) if models else str(g.get("group_type") or g.get("id") or "")
            for lim in expect_list(g.get("limits"), "limits", self.id, optional=True):
                if not isinstance(lim, dict) or lim.get("value") is None or not lim.get("type"):
                    continue
                kind = str(lim["type"])
                unit = kind.replace("_per_minute", "/min").replace("_per_day", "/day")
                out.append(
                    self.quota(
                        kind=f"configured_rate_limit.{kind}",
                        scope=scope,
                        limit=lim["value"],
                        unit=unit,
                        window="minute" if "minute" in kind else None,
                        detail=", ".join(str(m) for m in models) if models else g.get("group_type"),
                    )
                )
        return out
