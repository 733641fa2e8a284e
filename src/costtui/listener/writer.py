"""The batched writer: many requests' events share one ``store.record`` transaction.

Requests enqueue their events and await a future; one writer task takes everything queued
(up to ``max_batch`` events), commits it with ``Store.record`` in a dedicated thread (it blocks),
then resolves each request's future with that request's own accepted/duplicate split. A request
is therefore answered only after its events are committed. The writer owns its own ``Store``
(its own SQLite connection), used only from its thread.

If a combined commit fails, each request is retried alone so one bad request cannot fail the
others; a request whose own commit fails gets the exception (the listener answers 503).

A failed commit is remembered with its cause (disk full, read-only, locked) until the next commit
succeeds: ``/health`` and ``/metrics`` report it (:attr:`BatchWriter.failure`, ``failures``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from genai_prices import data_snapshot

from costtui.models import RecordResult, UsageEvent
from costtui.store import Store
from costtui.store.db import WriteCause, write_error_cause

log = logging.getLogger("costtui.listener")

YOUNG_GC_THRESHOLD = 20_000
_T = TypeVar("_T")


@dataclass
class Outcome:
    """What happened to one request's events, in the request's order."""

    accepted: list[bool] = field(default_factory=list)
    """Per event: True = stored now, False = already stored (duplicate)."""

    @property
    def accepted_count(self) -> int:
        return sum(self.accepted)

    @property
    def duplicate_count(self) -> int:
        return len(self.accepted) - self.accepted_count


@dataclass
class _Item:
    events: list[UsageEvent]
    future: asyncio.Future[Outcome]
    apps: frozenset[str]


class WriterClosed(Exception):
    """The writer is stopping or stopped; nothing was stored."""


@dataclass(frozen=True)
class WriteFailure:
    """The writes are failing: why, since when, and the latest failure."""

    cause: WriteCause
    detail: str
    """SQLite's own message (it names no file), or the exception's class."""
    since: datetime
    last_at: datetime


class BatchWriter:
    def __init__(
        self,
        db_path: str | Path,
        *,
        max_batch: int = 20_000,
        on_commit: Callable[[RecordResult], None] | None = None,
        touch_interval: float = 5.0,
        queue_size: int = 10_000,
    ) -> None:
        self.db_path = Path(db_path)
        self.max_batch = max_batch
        self.on_commit = on_commit
        self.touch_interval = touch_interval
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue(maxsize=queue_size)
        self._executor: ThreadPoolExecutor | None = None
        self._store: Store | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._used_apps: set[str] = set()
        self._last_touch = 0.0
        self.commits = 0
        self.failure: WriteFailure | None = None
        """Set while commits fail (the latest failure); cleared by the next commit that succeeds."""
        self.failures: Counter[str] = Counter()
        """Failed commits answered to a request, by cause key, since start."""

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="costtui-writer")
        self._store = await loop.run_in_executor(self._executor, self._open)
        self._task = asyncio.create_task(self._run(), name="costtui-writer")

    def _open(self) -> Store:
        store = Store(self.db_path)
        # The price data is big and lives as long as the process: load it now, then move it and
        # everything else alive at start-up out of the cyclic collector's way. Otherwise every
        # full collection (one per few thousand ingested events) walks all of it again.
        # Each ingested event also allocates a dozen short-lived containers: with the default
        # threshold (700) the young generation is collected every ~60 events, ~5 µs per event.
        data_snapshot.get_snapshot()
        gc.collect()
        gc.freeze()
        young, *older = gc.get_threshold()
        gc.set_threshold(max(young, YOUNG_GC_THRESHOLD), *older)
        return store

    async def submit(self, events: list[UsageEvent], apps: frozenset[str] = frozenset()) -> Outcome:
        """Queue ``events`` and wait until they are committed."""
        if self._closing or self._task is None:
            raise WriterClosed("the listener is shutting down; nothing was stored")
        if not events:
            return Outcome()
        fut: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Item(events, fut, apps))
        # Not shielded: a cancelled request leaves its events in the batch (they are committed;
        # the writer skips resolving a cancelled future).
        return await fut

    async def call(self, fn: Callable[[Store], _T]) -> _T:
        """Run ``fn(store)`` in the writer's thread: other writes (the proxy's cache, quota
        snapshots) share its connection instead of fighting it for the database lock."""
        if self._closing or self._executor is None or self._store is None:
            raise WriterClosed("the listener is shutting down; nothing was stored")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, self._store)

    async def stop(self) -> None:
        """Commit what is queued, then close the store and the thread."""
        if self._task is None:
            return
        self._closing = True
        await self._queue.put(None)
        try:
            await self._task
        finally:
            self._task = None
            loop = asyncio.get_running_loop()
            if self._store is not None and self._executor is not None:
                store = self._store
                if self._used_apps:
                    await loop.run_in_executor(self._executor, self._touch, store, set(self._used_apps))
                await loop.run_in_executor(self._executor, store.close)
                self._store = None
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None

    # ------------------------------------------------------------------ the writer task

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            item = await self._queue.get()
            if item is None:
                break
            batch = [item]
            size = len(item.events)
            while size < self.max_batch and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt is None:
                    stopping = True
                    break
                batch.append(nxt)
                size += len(nxt.events)
            try:
                await self._commit(batch)
            except Exception:  # never let the writer die: fail these requests, keep serving
                log.exception("writer: unexpected error")
                for it in batch:
                    if not it.future.done():
                        it.future.set_exception(WriterClosed("internal error while storing; nothing was stored"))

    async def _commit(self, batch: list[_Item]) -> None:
        loop = asyncio.get_running_loop()
        store = self._store
        assert store is not None and self._executor is not None
        events = [e for it in batch for e in it.events]
        try:
            result = await loop.run_in_executor(self._executor, store.record, events)
            self._resolve(batch, result)
        except Exception as exc:
            if len(batch) == 1:
                self._failed(exc)
                if not batch[0].future.done():
                    batch[0].future.set_exception(exc)
            else:
                # One request may be the culprit: commit each alone.
                for it in batch:
                    try:
                        result = await loop.run_in_executor(self._executor, store.record, it.events)
                    except Exception as exc1:
                        self._failed(exc1)
                        if not it.future.done():
                            it.future.set_exception(exc1)
                    else:
                        self._resolve([it], result)
        for it in batch:
            self._used_apps |= it.apps
        now = time.monotonic()
        if self._used_apps and now - self._last_touch >= self.touch_interval:
            apps, self._used_apps = set(self._used_apps), set()
            self._last_touch = now
            try:
                await loop.run_in_executor(self._executor, self._touch, store, apps)
            except Exception as exc:  # bookkeeping only
                log.debug("writer: cannot update token last-use: %s", exc)

    @staticmethod
    def _touch(store: Store, apps: set[str]) -> None:
        store.tokens.touch(apps)

    def _failed(self, exc: Exception) -> None:
        cause = write_error_cause(exc)
        now = datetime.now(UTC)
        detail = str(exc)[:200] if isinstance(exc, sqlite3.Error) else type(exc).__name__
        previous = self.failure
        self.failure = WriteFailure(cause, detail, previous.since if previous else now, now)
        self.failures[cause.key] += 1
        if previous is None or previous.cause != cause:
            log.warning("writer: commit failed (%s): %s", cause.text, exc)
        else:  # one line per cause while it lasts: a full disk must not flood the log too
            log.debug("writer: commit failed (%s): %s", cause.text, exc)

    def _resolve(self, batch: list[_Item], result: RecordResult) -> None:
        self.commits += 1
        if self.failure is not None:
            log.info("writer: commits succeed again (after %s)", self.failure.cause.text)
            self.failure = None
        # record() walks events in order and accepts the first occurrence of each id: walking the
        # same order, an id still in the accepted set is that first occurrence.
        pending = set(result.accepted_ids)
        for it in batch:
            out = Outcome()
            for e in it.events:
                if e.event_id in pending:
                    pending.discard(e.event_id)
                    out.accepted.append(True)
                else:
                    out.accepted.append(False)
            if not it.future.done():
                it.future.set_result(out)
        if self.on_commit is not None:
            try:
                self.on_commit(result)
            except Exception:
                log.exception("on_events callback failed")
