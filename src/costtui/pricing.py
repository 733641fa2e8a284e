"""Prices: genai-prices (bundled, offline) with the user's overrides on top.

Every priced event records which price it used (``price_version``). A model with no known price
is never counted as $0 silently: the event is marked ``unpriced`` and its cost stays ``None``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from genai_prices import Usage, data_snapshot
from genai_prices import __version__ as GENAI_PRICES_VERSION
from genai_prices.types import TieredPrices

from costtui.models import PriceOverride, UsageEvent
from costtui.vocabulary import canonical_provider, pricing_provider

MTOK = Decimal(1_000_000)
# Stored costs keep 9 decimal places (nano-dollars): exact integer sums in SQLite.
NANO = Decimal("0.000000001")


class Price(NamedTuple):
    """The outcome of pricing one event (a tuple: one is made per event)."""

    cost_usd: Decimal | None
    version: str | None
    source: str  # "priced" | "override" | "client" | "unpriced"

    @property
    def unpriced(self) -> bool:
        return self.cost_usd is None


@dataclass(frozen=True)
class PriceInfo:
    """What `costtui prices show` prints for a model."""

    model: str
    provider: str | None
    source: str
    version: str | None
    input_per_mtok: Decimal | None
    output_per_mtok: Decimal | None
    cache_read_per_mtok: Decimal | None
    cache_write_per_mtok: Decimal | None
    description: str


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(NANO, rounding=ROUND_HALF_EVEN)


def _genai_usage(input_total: int, cache_read: int, cache_write: int, cache_write_1h: int, output: int) -> Usage:
    # genai-prices' input_tokens *includes* cached tokens; the 5m/1h split needs the total too.
    kwargs: dict[str, int] = {
        "input_tokens": input_total,
        "output_tokens": output,
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
    }
    if cache_write_1h:
        kwargs["cache_write_1h_tokens"] = cache_write_1h
        kwargs["cache_write_5m_tokens"] = cache_write - cache_write_1h
    return Usage(**kwargs)


@dataclass(frozen=True)
class _Resolved:
    """A model's price for one day, as genai-prices resolved it."""

    price: Any  # genai_prices.types.ModelPrice
    version: str
    thresholds: tuple[int, ...]
    """Tier thresholds on total input tokens (prices change above them)."""


@lru_cache(maxsize=2048)
def _resolve(model: str, provider: str | None, day: date, speed: str | None = None) -> _Resolved | None:
    """``speed``: a price variant (``fast``: Anthropic's fast mode) where the model has one."""
    ts = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    snapshot = data_snapshot.get_snapshot()
    for provider_id in (provider, None) if provider else (None,):
        try:
            found_provider, found_model = snapshot.find_provider_model(model, None, provider_id, None)
        except LookupError:
            continue
        model_price = found_model.get_prices(ts, {"speed": speed} if speed else None)
        thresholds = sorted(
            {
                tier.start
                for value in vars(model_price).values()
                if isinstance(value, TieredPrices)
                for tier in value.tiers
            }
        )
        version = f"genai-prices {GENAI_PRICES_VERSION}:{found_provider.id}/{found_model.id}"
        if speed and model_price != found_model.get_prices(ts):
            version += f"+{speed}"
        return _Resolved(model_price, version, tuple(thresholds))
    return None


def _calc(resolved: _Resolved, usage: Usage) -> Decimal | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Decimal(resolved.price.calc_price(usage)["total_price"])
    except (ValueError, KeyError, TypeError):
        return None


@lru_cache(maxsize=4096)
def _rates(
    model: str, provider: str | None, day: date, bucket: int, speed: str | None = None
) -> tuple[Decimal, ...] | None:
    """Per-token rates (uncached, cache read, 5m write, 1h write, output) within one price tier.

    genai-prices takes ~50 µs per calculation; within a tier its price is linear in the token
    counts, so probing it once per (model, day, tier) gives exact per-token rates and pricing
    an event costs a few multiplications. Cliff tiers apply when total input > threshold.
    """
    resolved = _resolve(model, provider, day, speed)
    if resolved is None:
        return None
    th = resolved.thresholds
    total = (th[0] if th else 1_000_000) if bucket == 0 else th[bucket - 1] + 1
    probes = (
        _genai_usage(total, 0, 0, 0, 0),
        _genai_usage(total, total, 0, 0, 0),
        _genai_usage(total, 0, total, 0, 0),
        _genai_usage(total, 0, total, total, 0),
    )
    costs = [_calc(resolved, u) for u in probes]
    with_output = _calc(resolved, _genai_usage(total, 0, 0, 0, 1_000_000))
    if any(c is None for c in costs) or with_output is None or costs[0] is None:
        return None
    rates = tuple(c / total for c in costs if c is not None)
    return (*rates, (with_output - costs[0]) / 1_000_000)


def _bucket(thresholds: tuple[int, ...], input_total: int) -> int:
    return sum(1 for t in thresholds if input_total > t)


_VERIFIED: dict[tuple[str, str | None, date, int, str | None], bool] = {}


def _genai_price(
    model: str,
    provider: str | None,
    day: date,
    input_total: int,
    cache_read: int,
    cache_write: int,
    cache_write_1h: int,
    output: int,
    speed: str | None = None,
) -> tuple[Decimal, str] | None:
    """The bundled price of one request, or None when genai-prices does not know the model."""
    resolved = _resolve(model, provider, day, speed)
    if resolved is None:
        return None
    bucket = _bucket(resolved.thresholds, input_total)
    key = (model, provider, day, bucket, speed)
    rates = _rates(*key)
    exact = None
    if rates is not None:
        r_in, r_read, r_w5, r_w1, r_out = rates
        uncached = input_total - cache_read - cache_write
        exact = (
            uncached * r_in
            + cache_read * r_read
            + (cache_write - cache_write_1h) * r_w5
            + cache_write_1h * r_w1
            + output * r_out
        )
    if exact is None or not _VERIFIED.get(key, False):
        # The slow path: the first request of each tier is priced both ways and compared; a
        # model whose price is not linear (a unit we do not model) stays on the slow path.
        slow = _calc(resolved, _genai_usage(input_total, cache_read, cache_write, cache_write_1h, output))
        if slow is None:
            return None
        if key not in _VERIFIED:
            _VERIFIED[key] = exact is not None and quantize(exact) == quantize(slow)
        exact = slow
    return quantize(exact), resolved.version


def override_cost(override: PriceOverride, event: UsageEvent) -> Decimal:
    cache_read_rate = (
        override.cache_read_per_mtok if override.cache_read_per_mtok is not None else override.input_per_mtok
    )
    cache_write_rate = (
        override.cache_write_per_mtok if override.cache_write_per_mtok is not None else override.input_per_mtok
    )
    amount = (
        event.input_tokens * override.input_per_mtok
        + event.cache_read_tokens * cache_read_rate
        + event.cache_write_tokens * cache_write_rate
        + event.output_tokens * override.output_per_mtok
    ) / MTOK
    return quantize(amount)


UNPRICED = Price(None, None, "unpriced")
SPEED_TAG = "speed="


def _speed(tags: list[str]) -> str | None:
    for tag in tags:
        if tag.startswith(SPEED_TAG):
            return tag[len(SPEED_TAG) :] or None
    return None


class _GenaiPlan:
    """How to price one (provider, model, day) from the bundled prices: the resolved model and,
    per price tier, the per-token rates once they are verified against genai-prices itself."""

    __slots__ = ("day", "model", "provider", "rates", "resolved", "speed")

    def __init__(
        self, model: str, provider: str | None, day: date, resolved: _Resolved, speed: str | None = None
    ) -> None:
        self.model = model
        self.provider = provider
        self.day = day
        self.resolved = resolved
        self.speed = speed
        self.rates: dict[int, tuple[Decimal, ...]] = {}

    def __call__(self, event: UsageEvent) -> Price:
        total_in = event.input_tokens + event.cache_read_tokens + event.cache_write_tokens
        thresholds = self.resolved.thresholds
        bucket = _bucket(thresholds, total_in) if thresholds else 0
        rates = self.rates.get(bucket)
        if rates is None:
            found = _genai_price(
                self.model,
                self.provider,
                self.day,
                total_in,
                event.cache_read_tokens,
                event.cache_write_tokens,
                event.cache_write_1h_tokens,
                event.output_tokens,
                self.speed,
            )
            key = (self.model, self.provider, self.day, bucket, self.speed)
            if _VERIFIED.get(key):
                found_rates = _rates(*key)
                if found_rates is not None:
                    self.rates[bucket] = found_rates
            return UNPRICED if found is None else Price(found[0], found[1], "priced")
        r_in, r_read, r_w5, r_w1, r_out = rates
        exact = event.input_tokens * r_in + event.output_tokens * r_out
        # Most events have no cache tokens: skip the Decimal products that would add zero.
        if event.cache_read_tokens:
            exact += event.cache_read_tokens * r_read
        if event.cache_write_tokens:
            write_1h = event.cache_write_1h_tokens
            exact += (event.cache_write_tokens - write_1h) * r_w5 + write_1h * r_w1
        return Price(exact.quantize(NANO, rounding=ROUND_HALF_EVEN), self.resolved.version, "priced")


class Pricer:
    """Prices events. Holds the user's overrides; genai-prices supplies everything else.

    What prices a (provider, model, day) is looked up once and kept (an override, the bundled
    price's per-token rates, or "unpriced"); changing the overrides drops what was kept.
    """

    MAX_PLANS = 4096

    def __init__(self, overrides: Iterable[PriceOverride] = ()) -> None:
        self._plans: dict[tuple[str, str, date, str | None], Callable[[UsageEvent], Price]] = {}
        self.set_overrides(overrides)

    def set_overrides(self, overrides: Iterable[PriceOverride]) -> None:
        # Newest effective_from first, so the first match wins.
        self._overrides = sorted(overrides, key=lambda o: o.effective_from or date.min, reverse=True)
        self._plans = {}

    def _plan(self, provider: str, model: str, day: date, speed: str | None = None) -> Callable[[UsageEvent], Price]:
        override = self.find_override(model, provider, day)
        if override is not None:
            return lambda event: Price(override_cost(override, event), override.version, "override")
        genai = pricing_provider(provider)
        resolved = _resolve(model, genai, day, speed)
        if resolved is None:
            return lambda event: UNPRICED
        return _GenaiPlan(model, genai, day, resolved, speed)

    def find_override(self, model: str, provider: str | None, day: date) -> PriceOverride | None:
        for o in self._overrides:
            if o.model != model:
                continue
            if o.provider and provider and canonical_provider(o.provider) != canonical_provider(provider):
                continue
            if o.effective_from and day < o.effective_from:
                continue
            if o.effective_to and day >= o.effective_to:
                continue
            return o
        return None

    def price(self, event: UsageEvent, *, keep_client_cost: bool = True) -> Price:
        if keep_client_cost and event.cost_usd is not None and event.cost_source in (None, "client"):
            return Price(quantize(event.cost_usd), "client", "client")
        # A speed tag (``speed=fast``: Anthropic's fast mode, from Claude Code logs) picks the
        # model's price variant for that speed.
        speed = _speed(event.tags) if event.tags else None
        key = (event.provider, event.model, event.ts.date(), speed)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= self.MAX_PLANS:
                self._plans = {}
            plan = self._plans[key] = self._plan(*key)
        return plan(event)

    def apply(self, event: UsageEvent, *, keep_client_cost: bool = True) -> UsageEvent:
        """Return the event with its cost, price version and unpriced flag filled in."""
        p = self.price(event, keep_client_cost=keep_client_cost)
        return event.model_copy(
            update={
                "cost_usd": p.cost_usd,
                "price_version": p.version,
                "cost_source": p.source,
                "unpriced": p.unpriced,
            }
        )

    def describe(self, model: str, provider: str | None = None, on: date | None = None) -> PriceInfo | None:
        """Per-million-token prices for a model, as the pricer would use them on a day."""
        day = on or date.today()
        override = self.find_override(model, provider, day)
        if override is not None:
            return PriceInfo(
                model=model,
                provider=override.provider,
                source="override",
                version=override.version,
                input_per_mtok=override.input_per_mtok,
                output_per_mtok=override.output_per_mtok,
                cache_read_per_mtok=override.cache_read_per_mtok,
                cache_write_per_mtok=override.cache_write_per_mtok,
                description="your override",
            )

        # Probe genai-prices with one million tokens of each kind.
        def probe(**tokens: int) -> tuple[Decimal, str] | None:
            base = {"cache_read": 0, "cache_write": 0, "cache_write_1h": 0, "output": 0}
            base.update(tokens)
            input_total = base.pop("input_total", 0)
            return _genai_price(
                model,
                pricing_provider(provider),
                day,
                input_total,
                base["cache_read"],
                base["cache_write"],
                base["cache_write_1h"],
                base["output"],
            )

        inp = probe(input_total=1_000_000)
        if inp is None:
            return None
        out = probe(output=1_000_000)
        cr = probe(input_total=1_000_000, cache_read=1_000_000)
        cw = probe(input_total=1_000_000, cache_write=1_000_000)
        return PriceInfo(
            model=model,
            provider=inp[1].split(":", 1)[1].split("/", 1)[0],
            source="genai-prices",
            version=inp[1],
            input_per_mtok=inp[0].normalize(),
            output_per_mtok=out[0].normalize() if out else None,
            cache_read_per_mtok=cr[0].normalize() if cr else None,
            cache_write_per_mtok=cw[0].normalize() if cw else None,
            description=f"bundled price data (genai-prices {GENAI_PRICES_VERSION}), offline",
        )
