"""OpenCode: the Go plan's usage windows and Zen spend from OpenCode's own history (quota_sources.md §5.1).

* Go: ``GET https://opencode.ai/zen/go/v1/usage`` with the OpenCode API key gives the rolling
  (about 5 hours), weekly and monthly windows as a used percentage and an ISO reset time. A key
  without a Go subscription gets 403 ``EntitlementError``: that is a plan the account does not
  have, not a broken key.
* Zen has no balance or spend endpoint an API key can reach. Its spend is summed, read only, from
  the assistant messages OpenCode writes under ``$XDG_DATA_HOME/opencode/storage/message``
  (``providerID`` ``opencode``, ``cost`` in USD, ``time.created`` in ms) — only where that history
  exists on this machine; the folder can be set with the account option ``opencode_dir``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from costtui.models import QuotaSnapshot
from costtui.providers import plans
from costtui.providers.base import BadResponse, Provider, WrongKeyType, body_error, expect_dict

USAGE = "/zen/go/v1/usage"
WINDOWS = {"rolling": ("rolling", "5h"), "weekly": ("weekly", "week"), "monthly": ("monthly", "month")}
ZEN_PROVIDERS = {"opencode", "opencode-zen"}
"""``providerID`` values of messages paid through Zen (``opencode-go`` is the flat Go plan)."""
HISTORY_DAYS = 32


class EntitlementError(WrongKeyType):
    """403 EntitlementError: the key has no OpenCode Go subscription."""


def opencode_dir(configured: str | None = None) -> Path:
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_DATA_HOME", "").strip() or os.path.expanduser("~/.local/share")
    return Path(base) / "opencode"


def zen_spend(folder: Path, now: datetime) -> tuple[Decimal, Decimal, int] | None:
    """USD spent through Zen today and this month (UTC) and the messages counted, from OpenCode's
    message files; None when there is no history here. Read only; unreadable files are skipped."""
    root = folder / "storage" / "message"
    if not root.is_dir():
        return None
    today = now.astimezone(UTC).date()
    month_start = date(today.year, today.month, 1)
    cutoff = time.time() - HISTORY_DAYS * 86400
    day_total = month_total = Decimal(0)
    n = 0
    for path in root.glob("*/*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                continue
            msg = json.loads(path.read_bytes(), parse_float=Decimal)
        except (OSError, ValueError):
            continue
        if not isinstance(msg, dict) or msg.get("role") != "assistant" or msg.get("providerID") not in ZEN_PROVIDERS:
            continue
        cost = plans.number(msg.get("cost"))
        created = plans.when((msg.get("time") or {}).get("created") if isinstance(msg.get("time"), dict) else None)
        if cost is None or created is None:
            continue
        day = created.date()
        if day >= month_start:
            month_total += cost
            n += 1
            if day == today:
                day_total += cost
    return day_total, month_total, n


class OpenCodeProvider(Provider):
    id = "opencode"
    default_base_url = "https://opencode.ai"
    key_kinds = ("inference",)
    key_hint = "OpenCode API key (opencode.ai → workspace → API keys)"
    what = "Go plan windows (rolling, weekly, monthly); Zen spend from OpenCode's local history"
    supports_quotas = True

    async def _usage(self) -> dict[str, Any]:
        async def fetch() -> Any:
            try:
                return await self.http.get_json(USAGE)
            except WrongKeyType as exc:
                if "EntitlementError" in str(exc) or "subscription" in str(exc).lower():
                    raise EntitlementError(
                        "opencode: this key has no OpenCode Go subscription (403 EntitlementError);"
                        " Go windows need one, Zen spend is read from OpenCode's local history",
                        status=403,
                    ) from None
                raise

        body = expect_dict(await plans.cached(self, USAGE, fetch), "Go usage response", self.id)
        err = body_error(body)
        if err is not None:
            raise BadResponse(f"opencode: Go usage answered with an error: {self.http.redact(err)}")
        usage = body.get("usage")
        return usage if isinstance(usage, dict) else {}

    async def test_key(self) -> str:
        await self._usage()
        return "OpenCode Go key works"

    def windows(self, usage: dict[str, Any]) -> list[QuotaSnapshot]:
        out = []
        for key, (name, win) in WINDOWS.items():
            w = usage.get(key)
            if not isinstance(w, dict):
                continue
            status = w.get("status")
            detail = "rate limited: this window is used up" if status == "rate-limited" else None
            snap = plans.window(self, name, w.get("percent"), plans.when(w.get("resetsAt")), win, detail=detail)
            if snap is not None:
                out.append(snap)
        return out

    async def fetch_quotas(
        self, hints: dict[str, set[str]] | None = None, *, configured: bool = True
    ) -> list[QuotaSnapshot]:
        out: list[QuotaSnapshot] = []
        no_go: EntitlementError | None = None
        try:
            out.extend(self.windows(await self._usage()))
        except EntitlementError as exc:
            no_go = exc
        now = self.now()
        spend = await asyncio.to_thread(zen_spend, opencode_dir(self.account.options.get("opencode_dir")), now)
        if spend is not None:
            day, month, n = spend
            note = f"Zen, from OpenCode's local history ({n} messages this month)"
            if no_go is not None:
                note += "; no Go subscription on this key"
            out.append(self.quota(kind="usage.day", scope="zen", used=day, unit="usd", detail=note))
            out.append(self.quota(kind="usage.month", scope="zen", used=month, unit="usd", detail=note))
        elif no_go is not None:
            raise no_go
        return out
