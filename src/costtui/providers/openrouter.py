"""OpenRouter (``sk-or-v1-…``); providers.md section 4.1. All amounts are numbers in USD.

* ``GET /key`` (any key): the key's limit, what remains, and usage today/this week/this month → quotas.
* With an ordinary (inference) key, ``GET /key`` is also the only source of daily spend, and it
  has no history: ``usage_daily`` covers the current UTC day only and resets at midnight, while
  ``usage`` is a running total that never resets. Each sync therefore records, on the day's
  ``openrouter.key_daily`` line, today's spend so far (``usage_daily``) and the running total at
  00:00 UTC (``usage - usage_daily``, in ``quantity``). The next sync on a later day takes the
  difference of the two running totals: that is the exact spend of the days in between, so
  nothing spent between the last sync and midnight is lost. One day in between gets it exactly;
  several days share it evenly (with a note saying so). Days before the first reading have no
  data: they are stored with an unknown cost (NULL), not $0.
* ``GET /credits`` (management key): purchased vs used credits → a ``credits`` quota.
* ``GET /activity`` (management key): the last 30 completed UTC days by model → ``cost`` lines.
  A management account replaces the per-key daily line: do not add both for the same money.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from costtui.models import BilledLine, QuotaSnapshot, to_decimal
from costtui.providers.base import (
    NotAvailable,
    Progress,
    Provider,
    UsageResult,
    WrongKeyType,
    as_int,
    day_from_iso,
    expect_dict,
    expect_page,
)

KEY_DAILY = "openrouter.key_daily"
KEY_LINE_ITEM = "key usage"
RUNNING_TOTAL_UNIT = "usd_total_at_day_start"
"""``quantity`` of a key_daily line: the key's running ``usage`` at 00:00 UTC of that day."""
SPREAD_NOTE = "estimated: OpenRouter gave one total for the days between two syncs; it is spread evenly over them"
UNKNOWN_NOTE = "unknown: an ordinary OpenRouter key keeps no daily history before costtui's first sync"
NANO = Decimal("0.000000001")


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
    history_streams = (KEY_DAILY,)

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
            _, activity = expect_page(await self.http.get_json("/activity"), "/activity response", self.id)
            days: set[date] = set()
            for item in activity:
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
        daily, total = _num(data.get("usage_daily")), _num(data.get("usage"))
        if daily is None:
            return result
        at_midnight = total - daily if total is not None else None
        lines, first_day = self._key_daily_lines(start, today, daily, at_midnight)
        result.lines.extend(lines)
        # first_day..today are written completely (this also replaces an older label of those days).
        result.windows.append(self.window(KEY_DAILY, first_day, today))
        return result

    def _key_line(
        self, day: date, cost: Decimal | None, running: Decimal | None = None, note: str | None = None
    ) -> BilledLine:
        return self.line(
            stream=KEY_DAILY,
            kind="cost",
            day=day,
            line_item=KEY_LINE_ITEM,
            cost_usd=cost,
            quantity=running,
            quantity_unit=RUNNING_TOTAL_UNIT if running is not None else None,
            note=note,
        )

    def _key_daily_lines(
        self, start: date, today: date, daily: Decimal, at_midnight: Decimal | None
    ) -> tuple[list[BilledLine], date]:
        """Today's line plus what the difference of running totals says about the days before,
        and the first day from which every day is in the list."""
        stored = [ln for ln in self.history if ln.stream == KEY_DAILY and ln.day < today]
        readings = [ln for ln in stored if ln.quantity is not None]
        previous = max(readings, key=lambda ln: ln.day) if readings and at_midnight is not None else None
        lines = [self._key_line(today, daily, at_midnight)]
        if previous is None:
            # No earlier reading: what the days before today cost is unknown (not $0).
            known = {ln.day for ln in stored}
            day = start
            while day < today:
                if day not in known:
                    lines.append(self._key_line(day, None, note=UNKNOWN_NOTE))
                day += timedelta(days=1)
            return lines, today
        assert at_midnight is not None and previous.quantity is not None
        spent = at_midnight - previous.quantity  # exact spend of previous.day .. today - 1
        n = (today - previous.day).days
        if n == 1:
            lines.append(self._key_line(previous.day, spent, previous.quantity))
            return lines, previous.day
        gap = sorted((ln for ln in stored if ln.day >= previous.day), key=lambda ln: ln.day)
        if previous.note == SPREAD_NOTE and len(gap) == n:
            # An earlier sync today already shared this total out: keep its split (so that syncing
            # again changes nothing); a late correction of the total goes to the last day.
            diff = spent - sum((ln.cost_usd or Decimal(0) for ln in gap), start=Decimal(0))
            gap[-1] = gap[-1].model_copy(update={"cost_usd": (gap[-1].cost_usd or Decimal(0)) + diff})
            return [
                *lines,
                *(BilledLine(**ln.model_dump(include=set(BilledLine.model_fields))) for ln in gap),
            ], previous.day
        # Several days without a sync: the first one had at least what was read that day; the
        # rest of the total is shared evenly, the rounding remainder on the last day.
        first = previous.cost_usd or Decimal(0)
        rest = spent - first
        share = (rest / n).quantize(NANO, rounding=ROUND_DOWN)
        for i in range(n):
            day = previous.day + timedelta(days=i)
            cost = share + (first if i == 0 else Decimal(0)) + (rest - share * n if i == n - 1 else Decimal(0))
            lines.append(self._key_line(day, cost, previous.quantity if i == 0 else None, SPREAD_NOTE))
        return lines, previous.day
