"""The rule engine: each rule admits what it should and refuses the rest, with a reason and a fix."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from costtui.config import RulesSettings
from costtui.models import Budget, PriceOverride, UsageEvent
from costtui.rules.engine import SETTLE_GRACE, SPEND_TTL, RuleEngine
from costtui.rules.policy import Decision, ProxyCall
from costtui.store import Store

START = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store(db_path) as s:
        # $1 per million input tokens, $2 per million output: 10k in + 5k out = $0.02.
        s.add_price_override(PriceOverride(model="test-model", input_per_mtok=Decimal(1), output_per_mtok=Decimal(2)))
        yield s


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def call(model: str = "test-model", **fields: object) -> ProxyCall:
    values: dict[str, object] = {
        "provider": "openai",
        "model": model,
        "operation": "chat",
        "key_fp": "fp-a",
        "input_tokens_estimate": 10_000,
        "max_output_tokens": 5_000,
    }
    values.update(fields)
    return ProxyCall(**values)  # type: ignore[arg-type]


def engine(store: Store, clock: FakeClock, **rules: object) -> RuleEngine:
    return RuleEngine(RulesSettings(**rules), store, clock=clock)  # type: ignore[arg-type]


async def admits(e: RuleEngine, c: ProxyCall) -> bool:
    return (await e.admit(c)).allowed


# --------------------------------------------------------------------------- models


async def test_allow_list_admits_only_matching_models(store: Store, clock: FakeClock) -> None:
    e = engine(store, clock, allow_models=["gpt-4o*", "anthropic:claude-*", "llama3:8b"])
    assert await admits(e, call("gpt-4o-mini"))
    assert await admits(e, call("GPT-4o"))
    assert await admits(e, call("claude-sonnet-4", provider="anthropic"))
    assert await admits(e, call("llama3:8b", provider="ollama"))
    refused = await e.admit(call("claude-sonnet-4", provider="openrouter"))
    assert (refused.allowed, refused.status, refused.rule) == (False, 403, "model_allowlist")
    assert "claude-sonnet-4" in refused.message and "rules.allow_models" in refused.message
    assert not await admits(e, call("o3"))


async def test_block_list_refuses_matching_models(store: Store, clock: FakeClock) -> None:
    e = engine(store, clock, block_models=["*-preview", "openai:o1*"])
    assert await admits(e, call("gpt-4o"))
    assert await admits(e, call("o1-mini", provider="openrouter"))
    for model in ("gpt-4.5-preview", "o1-pro"):
        refused = await e.admit(call(model))
        assert (refused.allowed, refused.status, refused.rule) == (False, 403, "model_blocklist")
        assert "rules.block_models" in refused.message


# --------------------------------------------------------------------------- cost per call


async def test_max_cost_per_call_uses_input_and_max_tokens(store: Store, clock: FakeClock) -> None:
    e = engine(store, clock, max_cost_per_call_usd="0.02")
    assert await admits(e, call())  # exactly $0.02
    refused = await e.admit(call(max_output_tokens=6_000))  # $0.022
    assert (refused.allowed, refused.status, refused.rule) == (False, 400, "max_cost_per_call")
    assert "$0.022" in refused.message and "$0.02 limit" in refused.message and "max_tokens" in refused.message
    assert await admits(e, call(max_output_tokens=None, input_tokens_estimate=20_000))


async def test_an_unpriced_model_is_refused_only_under_a_cost_limit(store: Store, clock: FakeClock) -> None:
    refused = await engine(store, clock, max_cost_per_call_usd="1").admit(call("my-local-model"))
    assert (refused.allowed, refused.rule) == (False, "max_cost_per_call")
    assert "no known price" in refused.message and "costtui prices set my-local-model" in refused.message
    assert await admits(engine(store, clock), call("my-local-model"))


# --------------------------------------------------------------------------- rate windows


async def test_requests_per_minute_per_key_roll_over(store: Store, clock: FakeClock) -> None:
    e = engine(store, clock, rpm_per_key=3)
    for _ in range(3):
        assert await admits(e, call())
        clock.advance(10)
    refused = await e.admit(call())
    assert (refused.allowed, refused.status, refused.rule) == (False, 429, "rpm:key")
    assert refused.retry_after == pytest.approx(30)
    assert "rules.rpm_per_key" in refused.message
    assert await admits(e, call(key_fp="fp-b"))  # another key has its own window
    clock.advance(30)  # the first request leaves the window
    assert await admits(e, call())
    assert not await admits(e, call())


async def test_tokens_per_minute_count_max_tokens_until_settled(store: Store, clock: FakeClock) -> None:
    e = engine(store, clock, tpm_per_key=20_000)
    first = await e.admit(call())  # 15,000 tokens held
    assert first.allowed
    refused = await e.admit(call())
    assert (refused.allowed, refused.rule) == (False, "tpm:key")
    await e.settle(call(), first, Decimal("0.011"), 5_000)  # it really used 5,000
    assert await admits(e, call())  # 5,000 + 15,000
    assert not await admits(e, call(input_tokens_estimate=100, max_output_tokens=100))
    clock.advance(61)
    assert await admits(e, call())


async def test_a_call_bigger_than_the_token_limit_says_so(store: Store, clock: FakeClock) -> None:
    refused = await engine(store, clock, tpm_per_key=1_000).admit(call())
    assert refused.rule == "tpm:key" and "this call alone" in refused.message


async def test_per_app_and_per_user_limits(store: Store, clock: FakeClock) -> None:
    e = engine(store, clock, rpm_per_app=1, rpm_per_user=2)
    assert await admits(e, call(app="bot", user="ann"))
    assert (await e.admit(call(app="bot", user="bob"))).rule == "rpm:app"
    assert await admits(e, call(app="web", user="ann"))
    assert (await e.admit(call(app="cli", user="ann"))).rule == "rpm:user"
    assert await admits(e, call())  # no app, no user: only per-key limits apply (none here)


async def test_a_refused_call_takes_nothing_from_the_windows(store: Store, clock: FakeClock) -> None:
    e = engine(store, clock, rpm_per_key=1, block_models=["bad"])
    assert not await admits(e, call("bad"))
    assert await admits(e, call())


# --------------------------------------------------------------------------- budgets


def _budget(store: Store, **fields: object) -> Budget:
    values: dict[str, object] = {"name": "monthly", "limit_usd": "1", "enforce": True}
    values.update(fields)
    return store.budgets.add(Budget.model_validate(values))


def _spent(store: Store, n: int, cost: str, ts: datetime = START, **fields: str) -> None:
    store.record(
        [
            UsageEvent(
                event_id=f"spent-{n}-{ts.isoformat()}",
                ts=ts,
                provider="openai",
                model="test-model",
                cost_usd=Decimal(cost),
                input_tokens=10,
                **fields,
            )
        ]
    )


async def test_budget_holds_under_100_concurrent_calls(
    store: Store, clock: FakeClock, no_sqlite_on_loop: list[str]
) -> None:
    await asyncio.to_thread(_budget, store)
    await asyncio.to_thread(_spent, store, 1, "0.30")
    e = engine(store, clock)
    decisions = await asyncio.gather(*(e.admit(call()) for _ in range(100)))
    allowed = [d for d in decisions if d.allowed]
    # $0.70 left at $0.02 a call: exactly 35 calls, however they interleave.
    assert len(allowed) == 35
    refused = next(d for d in decisions if not d.allowed)
    assert (refused.status, refused.rule) == (429, "budget:monthly")
    assert "'monthly'" in refused.message and "$1.00" in refused.message and "2026-12-01" in refused.message
    # The calls really cost half their estimate: settling frees the difference, and a second
    # wave fills the budget again without going over it.
    for d in allowed:
        await e.settle(call(), d, Decimal("0.01"), 12_000)
    second = await asyncio.gather(*(e.admit(call()) for _ in range(100)))
    assert sum(d.allowed for d in second) == 17  # $0.35 left: 17 calls of $0.02
    for d in second:
        await e.settle(call(), d, Decimal("0.02"), 15_000)
    used = Decimal("0.30") + 35 * Decimal("0.01") + 17 * Decimal("0.02")
    assert used <= Decimal(1) and Decimal(1) - used < Decimal("0.02")
    assert no_sqlite_on_loop == []


async def test_budget_scopes_match_the_call(store: Store, clock: FakeClock) -> None:
    _budget(store, name="ann", scope="user", scope_value="ann", limit_usd="0.03")
    _budget(store, name="key", scope="key", scope_value="fp-k", limit_usd="0.03")
    _budget(store, name="anthropic", scope="provider", scope_value="anthropic", limit_usd="0.03")
    _budget(store, name="watch only", limit_usd="0.01", enforce=False)
    _budget(store, name="account", scope="account", scope_value="openai/work", limit_usd="0.01")
    e = engine(store, clock)
    assert await admits(e, call(user="ann"))
    assert (await e.admit(call(user="ann"))).rule == "budget:ann"
    assert await admits(e, call(user="bob"))  # not in ann's budget; the other budgets do not bind
    assert await admits(e, call(key_fp="fp-k"))
    assert (await e.admit(call(key_fp="fp-k"))).rule == "budget:key"
    assert await admits(e, call(provider="Anthropic"))
    assert (await e.admit(call(provider="anthropic"))).rule == "budget:anthropic"


async def test_spend_recorded_elsewhere_counts_after_a_refresh(store: Store, clock: FakeClock) -> None:
    _budget(store, name="team", scope="team", scope_value="core", limit_usd="0.10")
    e = engine(store, clock)
    assert await admits(e, call(team="core"))
    _spent(store, 1, "0.09", team="core")  # another app reports through the listener
    clock.advance(SPEND_TTL + 1)
    await e.refresh()
    refused = await e.admit(call(team="core"))
    assert refused.rule == "budget:team" and "$0.11" in refused.message


async def test_a_settled_cost_counts_once_it_is_recorded(store: Store, clock: FakeClock) -> None:
    _budget(store, limit_usd="0.05")
    e = engine(store, clock)
    first = await e.admit(call())
    await e.settle(call(), first, Decimal("0.02"), 15_000)
    _spent(store, 1, "0.02")  # the proxy records the call
    # Before and after the store has it, the call is counted once or (briefly) twice: never zero.
    await e.refresh()
    assert not await admits(e, call(max_output_tokens=10_000))  # 0.02 + 0.02 + 0.03 > 0.05
    clock.advance(SETTLE_GRACE + 1)
    await e.refresh()
    assert await admits(e, call(max_output_tokens=5_000))  # 0.02 + 0.02
    assert not await admits(e, call(max_output_tokens=5_000))


async def test_a_new_period_starts_from_zero(store: Store, clock: FakeClock) -> None:
    _budget(store, name="daily", period="day", limit_usd="0.02")
    e = engine(store, clock)
    assert await admits(e, call())
    assert not await admits(e, call())
    clock.now = datetime(2026, 11, 19, 0, 0, 1, tzinfo=UTC)
    assert await admits(e, call())


async def test_a_failed_settle_frees_the_reservation(store: Store, clock: FakeClock) -> None:
    _budget(store, limit_usd="0.02")
    e = engine(store, clock)
    first = await e.admit(call())
    assert not await admits(e, call())
    await e.settle(call(), first, None, 0)  # upstream error: nothing spent
    await e.settle(call(), first, None, 0)  # settling twice changes nothing
    assert await admits(e, call())


# --------------------------------------------------------------------------- content


async def test_content_filters_block_or_flag(store: Store, clock: FakeClock) -> None:
    e = engine(store, clock, detect_email="block", detect_card="flag", blocklist=["project falcon"])
    refused = await e.admit(call(text="mail ann@example.com the plan"))
    assert (refused.allowed, refused.status, refused.rule) == (False, 400, "content:pii.email")
    assert "email address" in refused.message and "rules.detect_email" in refused.message
    refused = await e.admit(call(text="about Project Falcon"))
    assert (refused.allowed, refused.rule) == (False, "content:keyword")
    flagged = await e.admit(call(text="card 4111 1111 1111 1111, phone 415-555-2671"))
    assert flagged.allowed and flagged.flags == ["content:pii.card"]
    clean = await e.admit(call(text="released 2026-12-01, version 3.11.4"))
    assert clean.allowed and clean.flags == []


async def test_keys_in_prompts_are_refused(store: Store, clock: FakeClock) -> None:
    e = engine(store, clock, detect_api_key="block", blocklist=["falcon"], blocklist_action="flag")
    refused = await e.admit(call(text="my key is sk-proj-abcdefghijklmnop1234"))
    assert refused.rule == "content:pii.api_key"
    flagged = await e.admit(call(text="falcon"))
    assert flagged.allowed and flagged.flags == ["content:keyword"]


def test_redact_masks_pii_and_blocklisted_words(store: Store, clock: FakeClock) -> None:
    e = engine(store, clock, blocklist=["falcon"])
    assert e.redact("ann@example.com: Falcon key sk-ant-abcdefghijklmnopqrstuvwx") == "[email]: [keyword] key [key]"


async def test_no_rules_admit_everything(store: Store, clock: FakeClock) -> None:
    decision = await engine(store, clock).admit(call("anything", text="ann@example.com"))
    assert decision == Decision(reservation=decision.reservation)


async def test_a_model_name_no_event_could_carry_is_unpriced_not_an_error(store: Store, clock: FakeClock) -> None:
    for model in ("", "bad\x00name", "x" * 5000):
        assert await admits(engine(store, clock), call(model))
        refused = await engine(store, clock, max_cost_per_call_usd="1").admit(call(model))
        assert refused.rule == "max_cost_per_call"


async def test_budget_holds_while_spend_is_reread_in_the_background(store: Store, clock: FakeClock) -> None:
    """Waves of concurrent calls, each settled and recorded as the proxy would, while the clock
    moves past the spend cache: the recorded spend never passes the limit, and ends within one
    call of it."""
    await asyncio.to_thread(_budget, store, limit_usd="2")
    e = engine(store, clock)
    n = 0
    for _wave in range(12):
        decisions = await asyncio.gather(*(e.admit(call()) for _ in range(30)))
        for d in decisions:
            if d.allowed:
                n += 1
                await e.settle(call(), d, Decimal("0.015"), 12_000)
                await asyncio.to_thread(_spent, store, n, "0.015")
        clock.advance(SPEND_TTL + 0.5)
        await asyncio.sleep(0)
    clock.advance(SETTLE_GRACE + SPEND_TTL + 1)
    await e.refresh()
    while (d := await e.admit(call())).allowed:
        n += 1
        await e.settle(call(), d, Decimal("0.015"), 12_000)
        await asyncio.to_thread(_spent, store, n, "0.015")
    spent = await asyncio.to_thread(store.budgets.spend, store.budgets.find("monthly"), clock.now)
    assert spent <= Decimal(2)
    assert Decimal(2) - spent < Decimal("0.02")  # no room left for one more call's estimate
