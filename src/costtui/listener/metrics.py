"""Prometheus metrics: ingest counters, and cost/token gauges computed from the store at scrape.

Uses its own :class:`prometheus_client.CollectorRegistry` (never the global one), so several
listeners in one process (tests, the TUI) do not collide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from costtui.formatting import safe
from costtui.listener.writer import BatchWriter
from costtui.store import Store
from costtui.store.db import WRITE_CAUSES

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class StoreCollector(Collector):
    """Gauges read from the daily rollups when scraped (cheap: the rollup table is small)."""

    def __init__(self, store_factory: Callable[[], Store], now: Callable[[], datetime] | None = None) -> None:
        self.store_factory = store_factory
        self.now = now or (lambda: datetime.now(UTC))

    def collect(self) -> Iterator[Any]:
        store = self.store_factory()
        cost = GaugeMetricFamily(
            "costtui_cost_usd", "Cost in USD of all stored usage, by provider and model", labels=["provider", "model"]
        )
        toks = GaugeMetricFamily(
            "costtui_tokens",
            "Tokens of all stored usage, by provider, model and type",
            labels=["provider", "model", "type"],
        )
        events = GaugeMetricFamily(
            "costtui_events", "Stored usage events, by provider and model", labels=["provider", "model"]
        )
        for provider, model, t in store.totals_by_model():
            # prometheus_client escapes only backslash, quote and newline in label values; every
            # other control character (rows stored before identifiers refused them) is made visible.
            labels = [safe(provider), safe(model)]
            cost.add_metric(labels, float(t.cost_usd))
            events.add_metric(labels, t.events)
            for kind, value in (
                ("input", t.input_tokens),
                ("cache_read", t.cache_read_tokens),
                ("cache_write", t.cache_write_tokens),
                ("output", t.output_tokens),
                ("reasoning", t.reasoning_tokens),
            ):
                toks.add_metric([*labels, kind], value)
        today = self.now().date()
        mtd = store.totals(today.replace(day=1), today)
        month = GaugeMetricFamily("costtui_month_to_date_cost_usd", "Cost in USD since the first of this month (UTC)")
        month.add_metric([], float(mtd.cost_usd))
        yield cost
        yield toks
        yield events
        yield month


class WriterCollector(Collector):
    """Whether the writes fail now, and failed writes by cause (read from the writer at scrape)."""

    def __init__(self, writer: BatchWriter) -> None:
        self.writer = writer

    def collect(self) -> Iterator[Any]:
        failure = self.writer.failure
        failing = GaugeMetricFamily(
            "costtui_write_failing", "1 while the listener cannot store events (the last commit failed), else 0"
        )
        failing.add_metric([], 1 if failure is not None else 0)
        failures = CounterMetricFamily(
            "costtui_write_failures",
            "Commits that failed and were answered 503, by cause (disk_full, read_only, busy, io_error, other)",
            labels=["cause"],
        )
        counts = dict(self.writer.failures)
        for cause in WRITE_CAUSES:  # every cause exists from the start, at 0
            failures.add_metric([cause.key], counts.get(cause.key, 0))
        last = GaugeMetricFamily(
            "costtui_write_last_failure_timestamp_seconds",
            "When the current run of failed commits last failed (0: not failing)",
        )
        last.add_metric([], failure.last_at.timestamp() if failure is not None else 0)
        yield failing
        yield failures
        yield last


class ListenerMetrics:
    def __init__(self, store_factory: Callable[[], Store] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        r = self.registry
        self.accepted = Counter("costtui_ingest_accepted", "Events accepted (stored)", ["route"], registry=r)
        self.duplicate = Counter(
            "costtui_ingest_duplicate", "Events already stored (same event id)", ["route"], registry=r
        )
        self.rejected = Counter("costtui_ingest_rejected", "Events or spans rejected as invalid", ["route"], registry=r)
        self.bad_auth = Counter(
            "costtui_ingest_bad_auth", "Requests refused for a missing or wrong key or token", ["route"], registry=r
        )
        self.rate_limited = Counter(
            "costtui_ingest_rate_limited", "Requests refused by a rate limit", ["route", "limit"], registry=r
        )
        self.requests = Counter(
            "costtui_http_requests", "HTTP requests answered, by route and status", ["route", "status"], registry=r
        )
        if store_factory is not None:
            r.register(StoreCollector(store_factory))
        for route in ("ingest", "otlp"):  # every series exists from the start, at 0
            for counter in (self.accepted, self.duplicate, self.rejected, self.bad_auth):
                counter.labels(route)

        self._request_children: dict[tuple[str, int], Any] = {}
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

    def inc(self, counter: Counter, *labels: str, amount: float = 1) -> None:
        """``counter.labels(*labels).inc(amount)`` with the child looked up once (hot path)."""
        if not amount:
            return
        key = (id(counter), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = counter.labels(*labels)
        child.inc(amount)

    def count_request(self, route: str, status: int) -> None:
        child = self._request_children.get((route, status))
        if child is None:
            child = self._request_children[(route, status)] = self.requests.labels(route, str(status))
        child.inc()

    def watch_writer(self, writer: BatchWriter) -> None:
        """Expose the writer's health (``costtui_write_failing``, ``costtui_write_failures_total``)."""
        self.registry.register(WriterCollector(writer))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
