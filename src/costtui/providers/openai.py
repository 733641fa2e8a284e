"""OpenAI organisation Usage API and Costs API (admin key ``sk-admin-…``); providers.md section 1.

* Usage endpoints → ``kind="usage"`` lines (tokens, requests, images, seconds…), daily buckets
  grouped by model, project and API key where the endpoint allows it.
* Costs → ``kind="cost"`` lines (dollars, the figure that reconciles to the invoice).
* Spend limit (org) and configured project rate limits → quotas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import SecretStr

from costtui.models import QuotaSnapshot, to_decimal
from costtui.providers.base import (
    BadResponse,
    NotAvailable,
    Progress,
    Provider,
    ProviderError,
    Unauthorized,
    UsageResult,
    WrongKeyType,
    as_int,
    day_from_unix,
    expect_list,
    expect_page,
    unix,
)
from costtui.vocabulary import base_model


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    group_by: tuple[str, ...]
    required: bool = False
    """A 404 on a required endpoint is an error (wrong base URL); on the others it means "not here"."""


USAGE_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("completions", "/organization/usage/completions", ("model", "project_id", "api_key_id"), required=True),
    Endpoint("embeddings", "/organization/usage/embeddings", ("model", "project_id", "api_key_id")),
    Endpoint("moderations", "/organization/usage/moderations", ("model", "project_id", "api_key_id")),
    Endpoint("images", "/organization/usage/images", ("model", "project_id", "api_key_id", "size", "source")),
    Endpoint("audio_speeches", "/organization/usage/audio_speeches", ("model", "project_id", "api_key_id")),
    Endpoint("audio_transcriptions", "/organization/usage/audio_transcriptions", ("model", "project_id", "api_key_id")),
    Endpoint("vector_stores", "/organization/usage/vector_stores", ("project_id",)),
    Endpoint("code_interpreter_sessions", "/organization/usage/code_interpreter_sessions", ("project_id",)),
    # Newer (2026-07): absent on older deployments and gateways.
    Endpoint(
        "file_search_calls", "/organization/usage/file_search_calls", ("project_id", "api_key_id", "vector_store_id")
    ),
    Endpoint(
        "web_search_calls",
        "/organization/usage/web_search_calls",
        ("model", "project_id", "api_key_id", "context_level"),
    ),
)
COSTS = Endpoint("costs", "/organization/costs", ("line_item", "project_id"), required=True)

# Per endpoint: (metric field → quantity, unit) for the non-token endpoints.
QUANTITY = {
    "images": ("images", "images"),
    "audio_speeches": ("characters", "characters"),
    "audio_transcriptions": ("seconds", "seconds"),
    "vector_stores": ("usage_bytes", "bytes"),
    "code_interpreter_sessions": ("num_sessions", "sessions"),
    "file_search_calls": ("num_requests", "requests"),
    "web_search_calls": ("num_requests", "requests"),
}
USAGE_LIMIT = 31  # max buckets per page at bucket_width=1d
COSTS_LIMIT = 180

ADMIN_HINT = (
    "the OpenAI usage and cost APIs need an Admin key (sk-admin-…), created by an organisation owner "
    "under platform.openai.com → Settings → Admin keys; project keys (sk-proj-…) are refused"
)


class OpenAIProvider(Provider):
    id = "openai"
    default_base_url = "https://api.openai.com/v1"
    key_kinds = ("admin",)
    key_hint = "Admin key sk-admin-… (platform.openai.com → Settings → Admin keys)"
    what = "costs, usage by model/project/key, spend limit, project rate limits"
    supports_usage = True
    supports_quotas = True

    def _key_type_error(self, exc: ProviderError) -> ProviderError:
        """401/403 with a key that is not an admin key: say which key is needed."""
        if isinstance(exc, (Unauthorized, WrongKeyType)) and not self.key.get_secret_value().startswith("sk-admin"):
            return WrongKeyType(f"openai: {ADMIN_HINT}", status=exc.status)
        return exc

    async def _pages(self, ep: Endpoint, params: list[tuple[str, Any]]) -> list[dict[str, Any]]:
        try:
            items = await self.http.get_pages(ep.path, params, tolerate_404=not ep.required)
        except ProviderError as exc:
            raise self._key_type_error(exc) from None
        return [b for b in items if isinstance(b, dict)]

    def _params(self, ep: Endpoint, start: date, end: date, limit: int) -> list[tuple[str, Any]]:
        params: list[tuple[str, Any]] = [
            ("start_time", unix(start)),
            ("end_time", unix(end + timedelta(days=1))),
            ("bucket_width", "1d"),
            ("limit", limit),
        ]
        params += [("group_by", g) for g in ep.group_by]
        return params

    async def fetch_usage(self, start: date, end: date, progress: Progress | None = None) -> UsageResult:
        result = UsageResult()
        steps = [COSTS, *USAGE_ENDPOINTS]
        for i, ep in enumerate(steps, 1):
            if progress:
                progress(f"openai: {ep.name} ({i}/{len(steps)})")
            limit = COSTS_LIMIT if ep is COSTS else USAGE_LIMIT
            try:
                buckets = await self._pages(ep, self._params(ep, start, end, limit))
            except NotAvailable:
                if ep.required:
                    raise
                result.skipped.append(ep.name)
                continue
            stream = "openai.costs" if ep is COSTS else f"openai.usage.{ep.name}"
            for bucket in buckets:
                day = day_from_unix(bucket.get("start_time"))
                for r in expect_list(bucket.get("results"), "bucket results", self.id):
                    if isinstance(r, dict):
                        result.lines.append(self._cost_line(r, day) if ep is COSTS else self._usage_line(ep, r, day))
            result.windows.append(self.window(stream, start, end))
        return result

    def _cost_line(self, r: dict[str, Any], day: date) -> Any:
        raw_amount = r.get("amount")
        amount: dict[str, Any] = raw_amount if isinstance(raw_amount, dict) else {}
        value = amount.get("value")
        try:
            cost = to_decimal(value) if value is not None else None
        except ValueError:
            raise BadResponse(f"openai: cost amount {str(value)[:30]!r} is not a number") from None
        quantity = r.get("quantity")
        return self.line(
            stream="openai.costs",
            kind="cost",
            day=day,
            line_item=r.get("line_item") or "",
            project=r.get("project_id") or "",
            api_key=r.get("api_key_id") or "",
            cost_usd=cost,
            currency=amount.get("currency") or "usd",
            quantity=quantity if isinstance(quantity, (int, float)) and not isinstance(quantity, bool) else None,
            quantity_unit=r.get("quantity_unit"),
        )

    def _usage_line(self, ep: Endpoint, r: dict[str, Any], day: date) -> Any:
        extra = [str(r[k]) for k in ("size", "source", "vector_store_id", "context_level") if r.get(k)]
        line_item = ":".join([ep.name, *extra])
        fields: dict[str, Any] = {"requests": as_int(r.get("num_model_requests"))}
        if ep.name in ("completions", "embeddings", "moderations"):
            total_in = as_int(r.get("input_tokens"))
            cached = as_int(r.get("input_cached_tokens"))
            write = as_int(r.get("input_cache_write_tokens"))
            # input_tokens counts everything; input_uncached_tokens (2026-07) excludes cache writes.
            uncached = (
                as_int(r["input_uncached_tokens"])
                if r.get("input_uncached_tokens") is not None
                else max(0, total_in - cached - write)
            )
            fields.update(
                input_tokens=uncached,
                cache_read_tokens=cached,
                cache_write_tokens=write,
                output_tokens=as_int(r.get("output_tokens")),
            )
        if ep.name in QUANTITY:
            metric, unit = QUANTITY[ep.name]
            fields.update(quantity=as_int(r.get(metric)), quantity_unit=unit)
            if ep.name == "file_search_calls":
                fields["requests"] = as_int(r.get("num_requests"))
        return self.line(
            stream=f"openai.usage.{ep.name}",
            kind="usage",
            day=day,
            model=r.get("model") or "",
            line_item=line_item,
            project=r.get("project_id") or "",
            api_key=r.get("api_key_id") or "",
            **fields,
        )

    async def test_key(self) -> str:
        today = self.now().date()
        try:
            await self.http.get_json(COSTS.path, [("start_time", unix(today - timedelta(days=1))), ("limit", 1)])
        except ProviderError as exc:
            raise self._key_type_error(exc) from None
        return "admin key works: organisation costs are readable"

    async def fetch_quotas(
        self, hints: dict[str, set[str]] | None = None, *, configured: bool = True
    ) -> list[QuotaSnapshot]:
        """Org spend limit, and configured rate limits of the projects/models seen in usage (``hints``)."""
        out: list[QuotaSnapshot] = []
        try:
            body = await self.http.get_json("/organization/spend_limit", tolerate_404=True)
        except NotAvailable:
            body = None
        except ProviderError as exc:
            raise self._key_type_error(exc) from None
        if isinstance(body, dict) and body.get("threshold_amount") is not None:
            raw_enforcement = body.get("enforcement")
            enforcement: dict[str, Any] = raw_enforcement if isinstance(raw_enforcement, dict) else {}
            out.append(
                self.quota(
                    kind="spend_limit",
                    limit=to_decimal(body["threshold_amount"]) / 100,
                    unit=str(body.get("currency") or "usd").lower(),
                    window=body.get("interval") or "month",
                    resets_at=_next_month(self.now().date()),
                    detail=f"enforcement: {enforcement.get('status', 'unknown')}",
                )
            )
        for project, models in sorted((hints or {}).items() if configured else []):
            if not project:
                continue
            try:
                limits = await self._project_rate_limits(project)
            except NotAvailable:
                continue
            # Usage names dated snapshots (gpt-4o-mini-2024-07-18), the limits often the base model.
            wanted = {base_model(self.id, m) for m in models}
            for item in limits:
                model = item.get("model")
                if wanted and (not isinstance(model, str) or base_model(self.id, model) not in wanted):
                    continue
                for field, kind, unit in (
                    ("max_requests_per_1_minute", "configured_rate_limit.requests", "requests/min"),
                    ("max_tokens_per_1_minute", "configured_rate_limit.tokens", "tokens/min"),
                    ("max_requests_per_1_day", "configured_rate_limit.requests_day", "requests/day"),
                ):
                    if item.get(field) is not None:
                        out.append(
                            self.quota(
                                kind=kind,
                                scope=f"{project}/{model}",
                                limit=item[field],
                                unit=unit,
                                window="minute" if "min" in unit else "day",
                            )
                        )
        return out

    async def _project_rate_limits(self, project: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        after: str | None = None
        for _ in range(50):
            params: list[tuple[str, Any]] = [("limit", 100)] + ([("after", after)] if after else [])
            body, data = expect_page(
                await self.http.get_json(f"/organization/projects/{project}/rate_limits", params, tolerate_404=True),
                "rate_limits response",
                self.id,
            )
            items.extend(x for x in data if isinstance(x, dict))
            after = body.get("last_id")
            if not body.get("has_more") or not after:
                break
        return items


def _next_month(today: date) -> Any:
    from datetime import UTC, datetime

    first = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    return datetime(first.year, first.month, first.day, tzinfo=UTC)


def make(account: Any, key: SecretStr, client: Any, **kw: Any) -> OpenAIProvider:
    return OpenAIProvider(account, key, client, **kw)
