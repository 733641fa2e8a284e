"""Account health (ok / stale / error / never / disabled) as the configured sync intervals see it.

One place turns ``[sync]`` settings into health, so that ``keys list``, ``status --json``,
``quotas --json``, the Quotas screen and Settings → Accounts agree on what "stale" means.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from costtui.config import SyncSettings

if TYPE_CHECKING:
    from costtui.models import Account, AccountHealth
    from costtui.store import EventStore


def intervals(sync: SyncSettings | None = None) -> dict[str, timedelta]:
    """How often each plane is due, from the ``[sync]`` settings (the defaults without them)."""
    s = sync if sync is not None else SyncSettings()
    return {
        "usage_interval": timedelta(minutes=s.usage_interval_minutes),
        "quota_interval": timedelta(minutes=s.quota_interval_minutes),
    }


def account_health(
    store: EventStore, account: Account, sync: SyncSettings | None = None, now: datetime | None = None
) -> AccountHealth:
    return store.billing.account_health(account, now=now, **intervals(sync))


def health_map(
    store: EventStore,
    sync: SyncSettings | None = None,
    now: datetime | None = None,
    accounts: list[Account] | None = None,
) -> dict[tuple[str, str], AccountHealth]:
    """Health of every account (or of ``accounts``), keyed by (provider, account name)."""
    return {
        (a.provider, a.name): account_health(store, a, sync, now)
        for a in (accounts if accounts is not None else store.billing.list_accounts())
    }
