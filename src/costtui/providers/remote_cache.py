"""Every read of a plan's limits is cached, and a 429 is honoured for every later sync.

The plan endpoints (z.ai, OpenCode, Amp, the Claude and Codex usage endpoints) are unofficial and
rate limited; the sync may ask often (``s`` on the Quotas screen, a short quota interval). Provider
objects live for one sync, so the cache is kept per process, keyed by account and path (never by
key). After a 429 the endpoint is not asked again until its ``Retry-After`` (at least a minute) has
passed: the sync reports the wait instead.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from costtui.providers.base import RateLimited

MIN_BACKOFF = 60.0
MAX_BACKOFF = 24 * 3600.0


class RemoteCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._blocked: dict[Hashable, float] = {}

    def clear(self) -> None:
        self._values.clear()
        self._blocked.clear()

    async def get(self, key: Hashable, ttl: float, fetch: Callable[[], Awaitable[Any]], what: str) -> Any:
        """``fetch()``'s value, reused for ``ttl`` seconds; a 429 blocks ``key`` for its Retry-After."""
        now = self.clock()
        until = self._blocked.get(key)
        if until is not None and until > now:
            raise RateLimited(f"{what}: rate limited; asking again in {until - now:.0f}s", retry_after=until - now)
        hit = self._values.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            value = await fetch()
        except RateLimited as exc:
            wait = min(MAX_BACKOFF, max(MIN_BACKOFF, exc.retry_after or 0.0))
            self._blocked[key] = self.clock() + wait
            raise
        self._blocked.pop(key, None)
        self._values[key] = (self.clock() + ttl, value)
        return value


CACHE = RemoteCache()
"""The process's cache (the TUI, ``costtui serve`` and ``costtui sync`` each have one)."""
