"""Prometheus metrics: ingest counters, and cost/token gauges computed from the store at scrape.

Uses its own :class:`prometheus_client.CollectorRegistry` (never the global one), so several
listeners in one process (tests, the TUI) do not collide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from costtui.formatting import safe
from costtui.store import Store

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

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
