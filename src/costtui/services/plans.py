"""The plan sources that are not accounts, synced with the quotas of every account.

* Claude Code's status line: the windows it last handed ``costtui claude-statusline`` (a spool file
  in costtui's cache folder) are copied into the store, in case the detached copy did not run;
* opt-in (``[sync] claude_oauth_usage`` / ``codex_usage``): the Claude and Codex plans' own usage
  endpoints, with those tools' sign-ins read at fetch time (providers.subscription_usage).

Each source's attempt, success or failure is kept in ``store.plans`` so the Quotas screen can say
how old its data is and what went wrong, in words.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx

from costtui import paths
from costtui.providers.base import ProviderError
from costtui.services.claude_statusline import ACCOUNT, PROVIDER, SPOOL_NAME, record_spool

if TYPE_CHECKING:
    from costtui.config import SyncSettings
    from costtui.models import QuotaSnapshot
    from costtui.services.sync import SyncReport
    from costtui.store import Store

SOURCES = {
    "claude_statusline": ("anthropic", "claude-code", "Claude plan · status line"),
    "claude_oauth": ("anthropic", "claude-code", "Claude plan · usage endpoint"),
    "codex_usage": ("openai", "codex", "Codex plan · usage endpoint"),
}


def spool_path() -> str:
    return str(paths.cache_dir() / SPOOL_NAME)


async def sync_plans(
    store: Store,
    client: httpx.AsyncClient,
    settings: SyncSettings,
    now: Callable[[], datetime] | None = None,
    *,
    spool: str | None = None,
    fetchers: dict[str, Callable[[httpx.AsyncClient], Awaitable[list[QuotaSnapshot]]]] | None = None,
) -> list[SyncReport]:
    """Copy the status line's windows and read the opted-in plan endpoints; one report per source."""
    from costtui.providers import subscription_usage as su
    from costtui.services.sync import SyncReport

    clock = now or (lambda: datetime.now(UTC))
    reports: list[SyncReport] = []
    n = await asyncio.to_thread(record_spool, store, spool or spool_path())
    if n:
        await asyncio.to_thread(store.plans.mark, "claude_statusline", PROVIDER, ACCOUNT, clock())
        reports.append(SyncReport(SOURCES["claude_statusline"][2], "quota", True, f"{n} windows", quotas=n))
    chosen: dict[str, Callable[[httpx.AsyncClient], Awaitable[list[QuotaSnapshot]]]] = {}
    if settings.claude_oauth_usage:
        chosen["claude_oauth"] = su.fetch_claude
    if settings.codex_usage:
        chosen["codex_usage"] = su.fetch_codex
    for source, fetch in (fetchers if fetchers is not None else chosen).items():
        provider, account, label = SOURCES[source]
        try:
            snaps = await fetch(client)
        except Exception as exc:  # noqa: BLE001 - one plan source failing never stops the others
            message = str(exc) if isinstance(exc, ProviderError) else f"{label}: unexpected {type(exc).__name__}"
            await asyncio.to_thread(store.plans.mark, source, provider, account, clock(), message)
            reports.append(SyncReport(label, "quota", False, message))
            continue
        stored = await asyncio.to_thread(store.billing.record_quotas, snaps)
        await asyncio.to_thread(store.plans.mark, source, provider, account, clock())
        reports.append(SyncReport(label, "quota", True, f"{stored} windows", quotas=stored))
    return reports
