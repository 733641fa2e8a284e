"""What the plan sources share: a window as a quota snapshot, tolerant number and time parsing, and
cached reads (quota_sources.md §0.3: every field optional, unknown values ignored, reads cached).

A plan window is a ``plan.<name>`` quota with ``used`` in percent of ``limit`` 100 (``unit``
``percent``), so every plan's windows draw the same gauge and keep the same history.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from costtui.providers.base import parse_utc
from costtui.providers.remote_cache import CACHE

if TYPE_CHECKING:
    from costtui.models import QuotaSnapshot
    from costtui.providers.base import Provider

HUNDRED = Decimal(100)
CACHE_SECONDS = 60.0
"""The shortest reuse of a plan read (quota_sources.md §0.3); some sources ask for longer."""


def number(value: Any) -> Decimal | None:
    """A finite number from JSON (number or numeric string); anything else is None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        out = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return out if out.is_finite() else None


def when(value: Any) -> datetime | None:
    """A reset time: Unix seconds or milliseconds (number or numeric string), or ISO 8601."""
    n = number(value)
    if n is not None:
        if n <= 0:
            return None
        seconds = float(n) / 1000 if n > 10**11 else float(n)
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value.strip():
        try:
            return parse_utc(value)
        except ValueError:
            return None
    return None


def window_by_length(seconds: Any) -> tuple[str, str]:
    """A plan window's name and label from its length in seconds: ``five_hour``/``5h``,
    ``weekly``/``week``, ``monthly``/``month`` (slots are not fixed, lengths are)."""
    n = number(seconds)
    if n is None or n <= 5 * 3600:
        return "five_hour", "5h"
    if n <= 14 * 86400:
        return "weekly", "week"
    return "monthly", "month"


def window(
    provider: Provider,
    name: str,
    percent: Any,
    resets_at: datetime | None,
    window_name: str | None,
    *,
    scope: str = "",
    detail: str | None = None,
) -> QuotaSnapshot | None:
    """A ``plan.<name>`` snapshot: ``percent`` used of 100; None when the percentage is unreadable."""
    used = number(percent)
    if used is None:
        return None
    used = max(Decimal(0), used)
    return provider.quota(
        kind=f"plan.{name}",
        scope=scope,
        used=used,
        limit=HUNDRED,
        remaining=max(Decimal(0), HUNDRED - used),
        unit="percent",
        window=window_name,
        resets_at=resets_at,
        detail=detail,
    )


async def cached(provider: Provider, path: str, fetch: Callable[[], Awaitable[Any]], ttl: float = CACHE_SECONDS) -> Any:
    """``fetch()`` reused for ``ttl`` seconds per account and path, with the 429 back-off."""
    a = provider.account
    key = (a.provider, a.name, provider.http.base_url, path)
    return await CACHE.get(key, ttl, fetch, f"{provider.id} {path}")
