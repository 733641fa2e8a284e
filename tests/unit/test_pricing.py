from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from costtui.models import PriceOverride, UsageEvent, anthropic_usage, openai_usage
from costtui.pricing import Pricer

TS = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
M = Decimal(1_000_000)


def test_openai_cached_tokens_are_billed_at_the_cache_rate_once() -> None:
    # gpt-4o-mini: $0.15 input, $0.075 cached input, $0.60 output per 1M tokens.
    usage = openai_usage(
        {"prompt_tokens": 1000, "completion_tokens": 500, "prompt_tokens_details": {"cached_tokens": 200}}
    )
    event = Pricer().apply(UsageEvent(ts=TS, provider="openai", model="gpt-4o-mini", **usage))
    expected = (800 * Decimal("0.15") + 200 * Decimal("0.075") + 500 * Decimal("0.6")) / M
    assert event.cost_usd == expected == Decimal("0.000435")
    assert event.price_version == "genai-prices 0.2.3:openai/gpt-4o-mini"
    assert event.cost_source == "priced" and not event.unpriced


def test_anthropic_cache_tokens_on_top_and_1h_writes_cost_double() -> None:
    # claude-sonnet-4-5: $3 input, $0.30 cache read, $3.75 5m write, $6 1h write, $15 output.
    usage = anthropic_usage(
        {
            "input_tokens": 1000,
            "cache_read_input_tokens": 200,
            "cache_creation_input_tokens": 300,
            "cache_creation": {"ephemeral_5m_input_tokens": 200, "ephemeral_1h_input_tokens": 100},
            "output_tokens": 500,
        }
    )
    event = Pricer().apply(UsageEvent(ts=TS, provider="anthropic", model="claude-sonnet-4-5", **usage))
    expected = (1000 * 3 + 200 * Decimal("0.3") + 200 * Decimal("3.75") + 100 * 6 + 500 * 15) / M
    assert event.cost_usd == expected == Decimal("0.01191")

    all_5m = Pricer().apply(
        UsageEvent(ts=TS, provider="anthropic", model="claude-sonnet-4-5", **{**usage, "cache_write_1h_tokens": 0})
    )
    assert all_5m.cost_usd is not None and all_5m.cost_usd < event.cost_usd


def test_unknown_model_is_unpriced_never_zero() -> None:
    event = Pricer().apply(UsageEvent(ts=TS, provider="acme", model="mystery-9000", input_tokens=100))
    assert event.cost_usd is None
    assert event.unpriced and event.cost_source == "unpriced"


def test_override_wins_and_respects_effective_dates() -> None:
    pricer = Pricer(
        [
            PriceOverride(id=1, model="mystery-9000", input_per_mtok=Decimal(2), output_per_mtok=Decimal(8)),
            PriceOverride(
                id=2,
                model="mystery-9000",
                input_per_mtok=Decimal(1),
                output_per_mtok=Decimal(4),
                cache_read_per_mtok=Decimal("0.5"),
                effective_from=date(2026, 11, 15),
            ),
        ]
    )
    e = UsageEvent(
        ts=TS, provider="acme", model="mystery-9000", input_tokens=1000, cache_read_tokens=1000, output_tokens=1000
    )
    now = pricer.apply(e)
    assert now.cost_usd == Decimal("0.0055")  # (1000*1 + 1000*0.5 + 1000*4) / 1M
    assert now.price_version == "override#2@2026-11-15" and now.cost_source == "override"
    before = pricer.apply(e.model_copy(update={"ts": datetime(2026, 11, 1, tzinfo=UTC)}))
    assert before.cost_usd == Decimal("0.012")  # (1000*2 + 1000*2 + 1000*8) / 1M: cache read defaults to input
    # An override of a known model beats the bundled price.
    gpt = Pricer([PriceOverride(id=3, model="gpt-4o-mini", input_per_mtok=Decimal(1), output_per_mtok=Decimal(1))])
    assert gpt.apply(UsageEvent(ts=TS, provider="openai", model="gpt-4o-mini", input_tokens=10**6)).cost_usd == 1


def test_client_cost_is_kept() -> None:
    e = UsageEvent(ts=TS, provider="openrouter", model="openai/gpt-4o", input_tokens=10, cost_usd="0.0123")
    priced = Pricer().apply(e)
    assert priced.cost_usd == Decimal("0.0123") and priced.cost_source == "client"


def test_historic_price_uses_the_request_date() -> None:
    # OpenAI cut o3 from $10 / $40 to $2 / $8 per 1M tokens on 2025-06-10 (genai-prices has both).
    # One pricer prices both sides of the change: a cache keyed on the model alone would fail here.
    pricer = Pricer()

    def cost(ts: datetime) -> Decimal | None:
        event = UsageEvent(ts=ts, provider="openai", model="o3", input_tokens=10**6, output_tokens=10**6)
        return pricer.apply(event).cost_usd

    assert cost(datetime(2025, 5, 1, tzinfo=UTC)) == Decimal(50)
    assert cost(datetime(2025, 6, 9, 23, 59, tzinfo=UTC)) == Decimal(50)
    assert cost(datetime(2025, 6, 10, 0, 1, tzinfo=UTC)) == Decimal(10)
    assert cost(datetime(2025, 5, 2, tzinfo=UTC)) == Decimal(50)  # still the old price after a newer lookup


def test_describe_reports_per_million_prices() -> None:
    info = Pricer().describe("gpt-4o-mini", "openai", date(2026, 11, 20))
    assert info is not None
    assert (info.input_per_mtok, info.output_per_mtok, info.cache_read_per_mtok) == (
        Decimal("0.15"),
        Decimal("0.6"),
        Decimal("0.075"),
    )
    assert Pricer().describe("mystery-9000") is None


def test_fast_path_matches_genai_prices_exactly_including_tiers() -> None:
    """Per-token rates probed once per tier must give genai-prices' own answer, to the nano-dollar."""
    import random

    from genai_prices import Usage, calc_price

    from costtui.pricing import _genai_price, quantize

    rng = random.Random(42)
    day = date(2026, 11, 20)
    for model, provider in [
        ("claude-sonnet-4-5", "anthropic"),  # long-context tier above 200k input tokens
        ("gemini-2.5-pro", "google"),  # tiered too
        ("gpt-4o-mini", "openai"),
        ("claude-haiku-4-5", "anthropic"),
    ]:
        for _ in range(60):
            total = rng.choice([rng.randint(0, 5000), rng.randint(150_000, 400_000)])
            read = rng.randint(0, total // 2)
            write = rng.randint(0, (total - read) // 2)
            write_1h = rng.randint(0, write)
            out = rng.randint(0, 5000)
            kwargs = {
                "input_tokens": total,
                "output_tokens": out,
                "cache_read_tokens": read,
                "cache_write_tokens": write,
            }
            if write_1h:
                kwargs |= {"cache_write_1h_tokens": write_1h, "cache_write_5m_tokens": write - write_1h}
            ts = datetime(2026, 11, 20, 12, tzinfo=UTC)
            slow = calc_price(Usage(**kwargs), model, provider_id=provider, genai_request_timestamp=ts).total_price
            fast = _genai_price(model, provider, day, total, read, write, write_1h, out)
            assert fast is not None
            assert fast[0] == quantize(slow), (model, kwargs)
