"""OpenRouter (``sk-or-v1-…``); providers.md section 4.1. All amounts are numbers in USD.

* ``GET /key`` (any key): the key's limit, what remains, and usage today/this week/this month → quotas.
  With an inference key the day's usage is also kept as a ``cost`` line for that day
  (``openrouter.key_daily``), updated in place by each sync of the day.
* ``GET /credits`` (management key): purchased vs used credits → a ``credits`` quota.
* ``GET /activity`` (management key): the last 30 completed UTC days by model → ``cost`` lines.
  A management account replaces the per-key daily line: do not add both for the same money.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from costtui.models import QuotaSnapshot, to_decimal
from costtui.providers.base import (
    NotAvailable,
    Progress,
    Provider,
    UsageResult,
    WrongKeyType,
    as_int,
    day_from_iso,
    expect_dict,
    expect_list,
)


def _next_reset(period: str | None, now: datetime) -> datetime | None:
    today = now.astimezone(UTC).date()
    if period == "daily":
        d = today + timedelta(days=1)
    elif period == "weekly":  # OpenRouter weeks run Monday–Sunday (UTC)
        d = today + timedelta(days=7 - today.weekday())
    elif period == "monthly":
        d = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    else:
        return None
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _num(value: Any) -> Any:
    return None if value is None or isinstance(value, bool) else to_decimal(value)


class OpenRouterProvider(Provider):
    id = "openrouter"
    default_base_url = "https://openrouter.ai/api/v1"
    key_kinds = ("inference", "management")
    key_hint = "API key sk-or-v1-… (a management key also gives credits and activity)"
    what = "key limit and usage (day/week/month); credits and daily activity with a management key"
    supports_usage = True
    supports_quotas = True

    async def _key_info(self) -> dict[str, Any]:
        body = expect_dict(await self.http.get_json("/key"), "/key response", self.id)
        return expect_dict(body.get("data"), "/key data", self.id)

    async def test_key(self) -> str:
        data = await self._key_info()
        kind = "management key" if data.get("is_management_key") else "key"
        limit = data.get("limit")
        return f"{kind} works ({data.get('label') or 'no label'}; limit {'none' if limit is None else f'${limit}'})"

    async def fetch_quotas(
        self, hints: dict[str, set[str]] | None = None, *, configured: bool = True
    ) -> list[QuotaSnapshot]:
        data = await self._key_info()
        now = self.now()
        out: list[QuotaSnapshot] = []
        if data.get("limit") is not None:
            limit, remaining = _num(data.get("limit")), _num(data.get("limit_remaining"))
            out.append(
                self.quota(
                    kind="key_limit",
                    limit=limit,
                    remaining=remaining,
                    used=(limit - remaining) if limit is not None and remaining is not None else None,
                    window=data.get("limit_reset"),
                    resets_at=_next_reset(data.get("limit_reset"), now),
                )
            )
        for field, window, period in (
            ("usage_daily", "day", "daily"),
            ("usage_weekly", "week", "weekly"),
            ("usage_monthly", "month", "monthly"),
        ):
            if data.get(field) is not None:
                out.append(
                    self.quota(
                        kind=f"usage.{window}",
                        used=_num(data[field]),
                        window=window,
                        resets_at=_next_reset(period, now),
                    )
                )
        try:
            credit_info = expect_dict(await self.http.get_json("/credits", tolerate_404=True), "/credits", self.id)
        except (WrongKeyType, NotAvailable):
            credit_info = {}  # only management keys may read credits (403 otherwise)
        c = credit_info.get("data") if isinstance(credit_info.get("data"), dict) else None
        if c and c.get("total_credits") is not None:
            total, used = _num(c.get("total_credits")), _num(c.get("total_usage"))
            out.append(
                self.quota(
                    kind="credits",
                    limit=total,
                    used=used,
                    remaining=(total - used) if total is not None and used is not None else None,
                )
            )
        return out

    async def fetch_usage(self, start: date, end: date, progress: Progress | None = None) -> UsageResult:
        result = UsageResult()
        today = self.now().astimezone(UTC).date()
        if self.account.key_kind == "management":
            if progress:
                progress("openrouter: activity (last 30 days)")
            body = expect_dict(await self.http.get_json("/activity"), "/activity response", self.id)
            days: set[date] = set()
            for item in expect_list(body.get("data"), "/activity data", self.id):
                if not isinstance(item, dict) or not item.get("date"):
                    continue
                day = day_from_iso(item["date"])
                if not start <= day <= end:
                    continue
                days.add(day)
                result.lines.append(
                    self.line(
                        stream="openrouter.activity",
                        kind="cost",
                        day=day,
                        model=item.get("model") or item.get("model_permaslug") or "",
                        line_item=str(item.get("provider_name") or item.get("endpoint_id") or ""),
                        project=item.get("workspace_id") or "",
                        cost_usd=_num(item.get("usage")),
                        input_tokens=as_int(item.get("prompt_tokens")),
                        output_tokens=as_int(item.get("completion_tokens")),
                        requests=as_int(item.get("requests")),
                    )
                )
            # /activity covers the 30 completed days before today: only that span is replaced.
            lo, hi = max(start, today - timedelta(days=30)), min(end, today - timedelta(days=1))
            if lo <= hi:
                result.windows.append(self.window("openrouter.activity", lo, hi))
            return result
        if not start <= today <= end:
            return result
        if progress:
            progress("openrouter: key usage today")
        data = await self._key_info()
        if data.get("usage_daily") is not None:
            result.lines.append(
                self.line(
                    stream="openrouter.key_daily",
                    kind="cost",
                    day=today,
                    line_item="key usage (today so far)",
                    cost_usd=_num(data["usage_daily"]),
                )
            )
        return result
