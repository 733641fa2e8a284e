"""The proxy's exact-match response cache.

An answer is found again by a hash of the key's fingerprint (one key never reads another key's
answers), the upstream, the route and the request body normalised (keys sorted, spacing dropped,
fields that cannot change the answer left out). Answers live in SQLite (``store.proxy``; written in
the writer's thread, read in a worker thread) so they outlast a restart; a small in-memory LRU in
front answers repeated calls without a thread hop.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from costtui.config import ProxySettings
from costtui.listener.writer import BatchWriter
from costtui.store import Store
from costtui.store.proxy import CachedAnswer

log = logging.getLogger("costtui.proxy")

IGNORED_FIELDS = frozenset({"user", "metadata", "store", "stream_options"})
"""Request fields that name who asks or what to keep, not what is asked."""
_DROP_HEADERS = ("date", "server", "set-cookie", "x-ratelimit-", "anthropic-ratelimit-", "content-length", "x-costtui-")
MEMORY_ENTRIES = 256
MEMORY_BYTES = 16 * 1024 * 1024


def cache_key(key_fp: str, upstream: str, route: str, body: dict[str, Any]) -> str:
    normal = {k: v for k, v in body.items() if k not in IGNORED_FIELDS}
    text = json.dumps(normal, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{key_fp}\0{upstream}\0{route}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()


def kept_headers(headers: Any) -> dict[str, str]:
    """The headers worth replaying (not the date, cookies or the rate limits of another moment)."""
    return {k: v for k, v in headers.items() if not k.lower().startswith(_DROP_HEADERS)}


class ResponseCache:
    def __init__(self, settings: ProxySettings, writer: BatchWriter, read_store: Store) -> None:
        self.settings = settings
        self.writer = writer
        self.read_store = read_store
        self._memory: OrderedDict[str, tuple[float, CachedAnswer]] = OrderedDict()
        self._memory_bytes = 0

    async def get(self, key: str) -> CachedAnswer | None:
        found = self._memory.get(key)
        if found is not None:
            expires, remembered = found
            if expires > time.time():
                self._memory.move_to_end(key)
                return remembered
            self._forget(key)
        answer = await asyncio.to_thread(self.read_store.proxy.cache_get, key, datetime.now(UTC))
        if answer is not None:
            # Its real expiry is in SQLite; the memory copy keeps at most one more TTL.
            self._keep(key, answer)
        return answer

    def _keep(self, key: str, answer: CachedAnswer) -> None:
        if len(answer.body) > MEMORY_BYTES // 4:
            return
        self._forget(key)
        self._memory[key] = (time.time() + self.settings.cache_ttl_seconds, answer)
        self._memory_bytes += len(answer.body)
        while len(self._memory) > MEMORY_ENTRIES or self._memory_bytes > MEMORY_BYTES:
            _, (_, gone) = self._memory.popitem(last=False)
            self._memory_bytes -= len(gone.body)

    def _forget(self, key: str) -> None:
        entry = self._memory.pop(key, None)
        if entry is not None:
            self._memory_bytes -= len(entry[1].body)

    async def put(self, key: str, provider: str, model: str, answer: CachedAnswer) -> None:
        self._keep(key, answer)
        s = self.settings
        try:
            await self.writer.call(
                lambda store: store.proxy.cache_put(
                    key,
                    provider=provider,
                    model=model,
                    answer=answer,
                    now=datetime.now(UTC),
                    ttl_seconds=s.cache_ttl_seconds,
                    max_bytes=s.cache_max_mb * 1024 * 1024,
                )
            )
        except Exception as exc:
            log.warning("proxy: cannot store an answer in the cache: %s", exc)
