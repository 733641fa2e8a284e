"""Realistic demo data: metered usage (several providers, a dozen models, apps, users, teams and
keys) and the provider side of it (accounts, billed costs, balances, spend and rate limits).

Everything here is synthetic and offline: no key, no network. Deterministic for a given seed and
clock, so snapshot tests and screenshots are stable. The records are written by
:mod:`costtui.services.demo`, through the store's usual entry points.
"""

from __future__ import annotations

import functools
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from costtui.models import DEMO_OPTION, Account, BilledLine, EventStatus, QuotaSnapshot, UsageEvent

if TYPE_CHECKING:
    from costtui.pricing import Pricer


@dataclass(frozen=True)
class DemoModel:
    provider: str
    model: str
    operation: str
    weight: float
    input_range: tuple[int, int]
    output_range: tuple[int, int]
    cache_style: str  # "openai" | "anthropic" | "none"
    reasoning: bool = False


MODELS = [
    DemoModel("openai", "gpt-4o-mini", "chat", 22, (200, 3000), (50, 800), "openai"),
    DemoModel("openai", "gpt-4o", "chat", 6, (500, 6000), (100, 1200), "openai"),
    DemoModel("openai", "gpt-5-mini", "responses", 8, (800, 8000), (200, 2500), "openai", True),
    DemoModel("openai", "text-embedding-3-small", "embeddings", 14, (50, 2000), (0, 0), "none"),
    DemoModel("anthropic", "claude-sonnet-4-5", "messages", 10, (1000, 20000), (200, 3000), "anthropic"),
    DemoModel("anthropic", "claude-haiku-4-5", "messages", 9, (300, 6000), (50, 1000), "anthropic"),
    DemoModel("anthropic", "claude-opus-4-1", "messages", 1.2, (2000, 30000), (300, 4000), "anthropic"),
    DemoModel("gemini", "gemini-2.5-flash", "chat", 9, (300, 8000), (50, 1500), "openai"),
    DemoModel("gemini", "gemini-2.5-pro", "chat", 2.5, (1000, 15000), (200, 3000), "openai", True),
    DemoModel("openrouter", "meta-llama/llama-3.3-70b-instruct", "chat", 4, (300, 4000), (50, 900), "none"),
    DemoModel("groq", "llama-3.3-70b-versatile", "chat", 5, (200, 3000), (50, 700), "none"),
    DemoModel("groq", "llama-3.1-8b-instant", "chat", 5, (100, 2000), (30, 400), "none"),
    # A private fine-tune no price table knows: shows up in the "unpriced" ledger.
    DemoModel("openai", "ft:gpt-4o-mini:acme:support-v3", "chat", 1.5, (300, 2500), (50, 500), "none"),
]

APPS = [
    ("support-bot", "support", ["ana", "ben"], 5),
    ("code-review", "platform", ["chen", "dara"], 3),
    ("search-api", "platform", ["dara", "eli"], 4),
    ("marketing-gen", "growth", ["fay"], 1.5),
    ("data-pipeline", "data", ["gus", "hana"], 2),
]

KEYS = {
    "openai": ["sk-proj…7f3a", "sk-proj…c21e"],
    "anthropic": ["sk-ant-…9d04"],
    "gemini": ["AIza…Qx8w"],
    "openrouter": ["sk-or-v…51bb"],
    "groq": ["gsk_…a7c2"],
}
SOURCES = [("ingest", 5), ("proxy", 3), ("otlp", 2)]
ERRORS = [
    (429, "rate_limit_exceeded: Rate limit reached for requests"),
    (500, "upstream error: internal server error"),
    (400, "context_length_exceeded: maximum context length is 128000 tokens"),
    (529, "overloaded_error: Overloaded"),
]


def _events_for_day(rng: random.Random, day_start: datetime, count: int, seed: int) -> Iterator[UsageEvent]:
    model_weights = [m.weight for m in MODELS]
    app_weights = [a[3] for a in APPS]
    src_weights = [s[1] for s in SOURCES]
    for i in range(count):
        m = rng.choices(MODELS, model_weights)[0]
        app, team, users, _ = rng.choices(APPS, app_weights)[0]
        # Office hours are busier (UTC 8-20).
        hour = min(23, max(0, int(rng.gauss(14, 4))))
        ts = day_start + timedelta(
            hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60), microseconds=rng.randrange(1_000_000)
        )
        total_in = rng.randint(*m.input_range)
        output = rng.randint(*m.output_range) if m.output_range[1] else 0
        cache_read = cache_write = cache_write_1h = 0
        if m.cache_style == "openai" and rng.random() < 0.35:
            cache_read = int(total_in * rng.uniform(0.3, 0.9)) // 128 * 128
        elif m.cache_style == "anthropic":
            r = rng.random()
            if r < 0.45:
                cache_read = int(total_in * rng.uniform(0.5, 0.95))
            elif r < 0.6:
                cache_write = int(total_in * rng.uniform(0.3, 0.8))
                if rng.random() < 0.3:
                    cache_write_1h = cache_write
        uncached = max(0, total_in - cache_read - cache_write)
        reasoning = int(output * rng.uniform(0.2, 0.7)) if m.reasoning else 0
        status: EventStatus = "ok"
        code, error = 200, None
        if rng.random() < 0.015:
            code, error = rng.choice(ERRORS)
            status = "error"
            uncached, cache_read, cache_write, cache_write_1h, output, reasoning = 0, 0, 0, 0, 0, 0
        latency = int(rng.lognormvariate(6.3, 0.6)) + output // 3
        event = UsageEvent(
            event_id=f"demo-{seed}-{day_start:%Y%m%d}-{i}",
            ts=ts,
            provider=m.provider,
            model=m.model,
            operation=m.operation,
            source=rng.choices(SOURCES, src_weights)[0][0],
            app=app,
            api_key_fp=rng.choice(KEYS[m.provider]),
            user=rng.choice(users),
            team=team,
            project=f"{team}-prod" if rng.random() < 0.8 else f"{team}-staging",
            tags=["demo"],
            input_tokens=uncached,
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
            cache_write_1h_tokens=cache_write_1h,
            output_tokens=output,
            reasoning_tokens=reasoning,
            latency_ms=latency,
            status=status,
            status_code=code,
            error=error,
            cache_hit=cache_read > 0,
        )
        yield _as_proxied(event, random.Random(event.event_id)) if event.source == "proxy" else event


BLOCKS = [
    ("budget:search-monthly", "monthly budget of $400.00 for team search reached ($400.12 spent)"),
    ("rpm:key", "more than 60 requests in a minute for this key"),
    ("content:pii.card_number", "the prompt holds what looks like a card number"),
]


@functools.cache
def _pricer() -> Pricer:
    from costtui.pricing import Pricer

    return Pricer()


def _as_proxied(event: UsageEvent, rng: random.Random) -> UsageEvent:
    """What the proxy records beside the tokens: time to first token, retries, quality flags, its
    response cache (a hit costs nothing and records what it saved) and refusals by rules. Its own
    generator, so the other events stay as they were."""
    update: dict[str, object] = {"cache_hit": False}
    if event.status == "ok" and event.operation != "embeddings" and rng.random() < 0.6:
        update["ttft_ms"] = min(event.latency_ms or 0, int(rng.lognormvariate(5.5, 0.5)))
    if rng.random() < 0.04:
        update["retries"] = rng.randint(1, 2)
    if event.status == "ok" and event.output_tokens and rng.random() < 0.03:
        update["flags"] = ["truncated"]
    roll = rng.random()
    zero = dict.fromkeys(("input_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens"), 0)
    zero |= {"output_tokens": 0, "reasoning_tokens": 0}
    if event.status == "ok" and roll < 0.07:
        update |= zero | {
            "cache_hit": True,
            "cost_usd": Decimal(0),
            "saved_usd": _pricer().price(event).cost_usd,
            "latency_ms": rng.randint(1, 4),
            "ttft_ms": None,
        }
    elif roll > 0.99:
        rule, message = rng.choice(BLOCKS)
        update |= zero | {
            "status": "error",
            "status_code": 429 if not rule.startswith("content") else 403,
            "error": f"blocked by rule {rule}: {message}",
            "latency_ms": rng.randint(0, 2),
            "ttft_ms": None,
        }
    return event.model_copy(update=update)


def demo_events(
    days: int = 90, *, now: datetime | None = None, seed: int = 7, per_day: int = 260
) -> Iterator[UsageEvent]:
    """Yield ``days`` days of demo events ending today (UTC), with a weekday/weekend rhythm and growth."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    rng = random.Random(seed)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for back in range(days - 1, -1, -1):
        day_start = today - timedelta(days=back)
        weekend = day_start.weekday() >= 5
        growth = 0.7 + 0.6 * (days - back) / max(days, 1)
        count = int(per_day * growth * (0.35 if weekend else 1.0) * rng.uniform(0.8, 1.2))
        if back == 0:
            # Today is not over: only the hours up to now.
            count = int(count * min(1.0, max(0.05, now.hour / 24)))
        for event in _events_for_day(rng, day_start, count, seed):
            if event.ts <= now:
                yield event


# --------------------------------------------------------------------------- the provider side

DEMO_ACCOUNT = "demo"
"""Name of every demo account (``openai/demo``...)."""
DEMO_OPTIONS = {DEMO_OPTION: "true"}

ACCOUNTS = [
    Account(provider="openai", name=DEMO_ACCOUNT, key_kind="admin", options=DEMO_OPTIONS),
    Account(provider="anthropic", name=DEMO_ACCOUNT, key_kind="admin", options=DEMO_OPTIONS),
    Account(provider="openrouter", name=DEMO_ACCOUNT, key_kind="management", options=DEMO_OPTIONS),
    Account(provider="deepseek", name=DEMO_ACCOUNT, key_kind="inference", options=DEMO_OPTIONS),
]

BILLED_STREAMS = {"openai": "openai.costs", "anthropic": "anthropic.cost_report", "openrouter": "openrouter.activity"}
"""Providers whose demo accounts report billed costs, and the stream each real provider uses."""
BILLED_MARKUP = {"openai": Decimal("1.06"), "anthropic": Decimal("1.03"), "openrouter": Decimal("1.05")}
"""Billed runs a little above metered: batch jobs and a notebook never went through the listener."""
FINE_TUNE_PER_MTOK = (Decimal("0.30"), Decimal("1.20"))
"""What the provider bills for the private fine-tune that no price table knows (input, output)."""
OPENAI_PROJECT = "proj_demo_support"
DEEPSEEK_TOPPED_UP = Decimal(120)
NICE = (5, 10, 20, 25, 50, 100, 200, 250, 500)


def nice_limit(value: Decimal) -> Decimal:
    """The round number a person would pick as a limit just above ``value`` (5, 10, 20, 25, 50, 100...)."""
    scale = Decimal(1)
    while True:
        for step in NICE:
            if value <= step * scale:
                return step * scale
        scale *= 1000


@dataclass(frozen=True)
class MeteredDay:
    """One day of one model's metered usage (what the demo's billed lines are derived from)."""

    provider: str
    model: str
    day: date
    cost_usd: Decimal
    input_tokens: int
    output_tokens: int
    requests: int


def demo_accounts() -> list[Account]:
    """The demo's provider accounts: marked demo in their options, no key, never synced."""
    return list(ACCOUNTS)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def demo_billed(metered: Iterable[MeteredDay], *, today: date, seed: int = 7) -> list[BilledLine]:
    """Daily billed cost lines per model, as the providers' cost APIs would report them.

    Billed lags a day (providers settle yesterday, not today), runs a few percent above metered
    and is priced for the fine-tune the local price table does not know.
    """
    out = []
    for m in sorted(metered, key=lambda m: (m.provider, m.model, m.day)):
        stream = BILLED_STREAMS.get(m.provider)
        if stream is None or m.day >= today or m.requests == 0:
            continue
        cost = m.cost_usd
        if m.model.startswith("ft:"):
            cost = (m.input_tokens * FINE_TUNE_PER_MTOK[0] + m.output_tokens * FINE_TUNE_PER_MTOK[1]) / 1_000_000
        # Jitter from the seed and the line itself, so a second run writes the same amounts.
        jitter = random.Random(f"{seed}:{m.provider}:{m.model}:{m.day}").uniform(0.97, 1.03)
        billed = _cents(cost * BILLED_MARKUP[m.provider] * Decimal(str(round(jitter, 4))))
        out.append(
            BilledLine(
                provider=m.provider,
                account=DEMO_ACCOUNT,
                stream=stream,
                kind="cost",
                day=m.day,
                model=m.model,
                line_item=m.model if m.provider != "anthropic" else "tokens",
                project=OPENAI_PROJECT if m.provider == "openai" else "",
                cost_usd=billed,
                input_tokens=m.input_tokens,
                output_tokens=m.output_tokens,
                requests=m.requests,
            )
        )
    return out


def _next_month(day: date) -> datetime:
    first = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime(first.year, first.month, first.day, tzinfo=UTC)


def demo_quotas(now: datetime, billed: Iterable[BilledLine], *, history_days: int = 14) -> list[QuotaSnapshot]:
    """Balances, spend and key limits (with ``history_days`` of daily history, oldest first, so the
    Quotas screen draws their trend), configured rate limits per model, and live rate-limit
    headroom as the proxy would see it in response headers."""
    now = now.astimezone(UTC).replace(second=0, microsecond=0)
    today = now.date()
    spent: dict[tuple[str, date], Decimal] = {}
    for line in billed:
        spent[(line.provider, line.day)] = spent.get((line.provider, line.day), Decimal(0)) + (
            line.cost_usd or Decimal(0)
        )

    def spent_between(provider: str, start: date, end: date) -> Decimal:
        return sum((v for (p, d), v in spent.items() if p == provider and start <= d <= end), start=Decimal(0))

    def q(provider: str, kind: str, taken_at: datetime, **kw: object) -> QuotaSnapshot:
        return QuotaSnapshot(provider=provider, account=DEMO_ACCOUNT, kind=kind, taken_at=taken_at, **kw)  # type: ignore[arg-type]

    # Limits sized like a person would size them: a little above the last 30 days' spend.
    last_30 = today - timedelta(days=30)
    spend_limit = nice_limit(spent_between("openai", last_30, today) * Decimal("1.3"))
    key_limit = nice_limit(spent_between("openrouter", last_30, today) * Decimal("1.5"))
    credits_before = Decimal("6.20")  # spent from the credits before the demo's data starts
    bought = nice_limit((credits_before + spent_between("openrouter", date.min, today)) * Decimal("1.3"))
    out: list[QuotaSnapshot] = []
    for back in range(history_days - 1, -1, -1):
        at = now - timedelta(days=back)
        day = at.date()
        month_start = day.replace(day=1)
        used = spent_between("openai", month_start, day)
        out.append(
            q(
                "openai",
                "spend_limit",
                at,
                limit=spend_limit,
                used=used,
                remaining=spend_limit - used,
                window="month",
                resets_at=_next_month(day),
                detail="enforcement: active",
            )
        )
        key_used = min(key_limit, spent_between("openrouter", month_start, day))
        out.append(
            q(
                "openrouter",
                "key_limit",
                at,
                limit=key_limit,
                used=key_used,
                remaining=key_limit - key_used,
                window="monthly",
                resets_at=_next_month(day),
            )
        )
        # Credits bought before the data starts: some used then, everything billed since comes off them.
        credits_used = min(bought, credits_before + spent_between("openrouter", date.min, day))
        out.append(
            q(
                "openrouter",
                "credits",
                at,
                limit=bought,
                used=credits_used,
                remaining=bought - credits_used,
            )
        )
        # DeepSeek is used from a notebook (nothing metered here): its balance drains ~2 CNY a day.
        jitter = Decimal(str(round(random.Random(f"deepseek:{day}").uniform(0, 0.8), 2)))
        drained = Decimal("1.85") * (history_days - back) + jitter
        balance = _cents(max(Decimal(0), DEEPSEEK_TOPPED_UP + Decimal(10) - Decimal(40) - drained))
        out.append(
            q(
                "deepseek",
                "balance",
                at,
                scope="cny",
                remaining=balance,
                unit="cny",
                detail=f"granted 10.00, topped up {DEEPSEEK_TOPPED_UP:.2f}",
            )
        )
    out.append(q("openrouter", "usage.day", now, used=spent_between("openrouter", today, today), window="day"))
    for model, rpm, tpm in (
        ("gpt-4o-mini", 30_000, 150_000_000),
        ("gpt-4o", 10_000, 30_000_000),
        ("gpt-5-mini", 10_000, 180_000_000),
    ):
        scope = f"{OPENAI_PROJECT}/{model}"
        out.append(
            q(
                "openai",
                "configured_rate_limit.requests",
                now,
                scope=scope,
                limit=rpm,
                unit="requests/min",
                window="minute",
            )
        )
        out.append(
            q("openai", "configured_rate_limit.tokens", now, scope=scope, limit=tpm, unit="tokens/min", window="minute")
        )
    for model, rpm, itpm, otpm in (
        ("claude-sonnet-4-5", 4_000, 2_000_000, 400_000),
        ("claude-haiku-4-5", 4_000, 4_000_000, 800_000),
    ):
        detail = model
        out.append(
            q(
                "anthropic",
                "configured_rate_limit.requests_per_minute",
                now,
                scope=model,
                limit=rpm,
                unit="requests/min",
                window="minute",
                detail=detail,
            )
        )
        out.append(
            q(
                "anthropic",
                "configured_rate_limit.input_tokens_per_minute",
                now,
                scope=model,
                limit=itpm,
                unit="input_tokens/min",
                window="minute",
                detail=detail,
            )
        )
        out.append(
            q(
                "anthropic",
                "configured_rate_limit.output_tokens_per_minute",
                now,
                scope=model,
                limit=otpm,
                unit="output_tokens/min",
                window="minute",
                detail=detail,
            )
        )
    # Live headroom, as the proxy reads it from the last response's headers.
    live = [
        ("openai", "rate_limit.requests", "gpt-4o-mini", 30_000, 29_412, "requests", timedelta(seconds=2)),
        ("openai", "rate_limit.tokens", "gpt-4o-mini", 150_000_000, 148_920_000, "tokens", timedelta(seconds=1)),
        ("anthropic", "rate_limit.requests", "claude-sonnet-4-5", 4_000, 3_861, "requests", timedelta(seconds=4)),
        (
            "anthropic",
            "rate_limit.input_tokens",
            "claude-sonnet-4-5",
            2_000_000,
            1_474_000,
            "tokens",
            timedelta(seconds=9),
        ),
    ]
    for provider, kind, scope, limit, remaining, unit, reset in live:
        out.append(
            q(
                provider,
                kind,
                now,
                scope=scope,
                limit=limit,
                remaining=remaining,
                used=limit - remaining,
                unit=unit,
                window="minute",
                resets_at=now + reset,
                source="proxy",
            )
        )
    return out


def demo_plan_quotas(now: datetime) -> list[QuotaSnapshot]:
    """A Claude Pro/Max plan as Claude Code's status line reports it: a 5-hour window filling fast
    enough to run out before it resets, and a 7-day window, each with a few hours of history."""
    now = now.astimezone(UTC).replace(second=0, microsecond=0)
    five_reset = now + timedelta(hours=1, minutes=50)
    week_reset = (now + timedelta(days=3, hours=4)).replace(minute=0)
    out = []
    for back, five, week in ((150, 30, 35), (120, 38, 36), (90, 47, 37), (60, 57, 39), (30, 66, 40), (0, 78, 41)):
        at = now - timedelta(minutes=back)
        for kind, used, window, resets in (
            ("plan.five_hour", five, "5h", five_reset),
            ("plan.seven_day", week, "7d", week_reset),
        ):
            out.append(
                QuotaSnapshot(
                    provider="anthropic",
                    account="claude-code",
                    kind=kind,
                    used=Decimal(used),
                    limit=Decimal(100),
                    remaining=Decimal(100 - used),
                    unit="percent",
                    window=window,
                    resets_at=resets,
                    taken_at=at,
                    source="statusline",
                )
            )
    return out


# --------------------------------------------------------------------------- coding agents

AGENT_PROJECTS = [
    ("/home/dev/src/api", 5),
    ("/home/dev/src/web", 3),
    ("/home/dev/src/infra", 1.5),
    ("/home/dev/src/data-pipeline", 1),
]
CLAUDE_MODELS = [("claude-sonnet-4-5", 7), ("claude-opus-4-1", 0.6), ("claude-haiku-4-5", 1.5)]
CODEX_MODELS = [("gpt-5-codex", 3), ("gpt-5", 1)]


def _session_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _claude_session(rng: random.Random, start: datetime, turns: int, seed: int) -> Iterator[UsageEvent]:
    """One Claude Code session: a big first cache write (system prompt, CLAUDE.md, tools), then
    turns that read a growing context from the cache and write each new exchange to it. Opus and
    Sonnet sessions hand small jobs to Haiku, as Claude Code does."""
    session = _session_id(rng)
    project = rng.choices([p for p, _ in AGENT_PROJECTS], [w for _, w in AGENT_PROJECTS])[0]
    main = rng.choices([m for m, _ in CLAUDE_MODELS], [w for _, w in CLAUDE_MODELS])[0]
    hour_cache = rng.random() < 0.25  # sessions run with the 1-hour cache write on
    context = rng.randint(12_000, 20_000)
    ts = start
    for i in range(turns):
        model = "claude-haiku-4-5" if main != "claude-haiku-4-5" and rng.random() < 0.15 else main
        written = context if i == 0 else rng.randint(300, 6_000)
        read = 0 if i == 0 else context
        output = int(rng.lognormvariate(6.2, 0.8)) + 20
        if model != main:
            written, read, output = rng.randint(200, 1_500), 0, rng.randint(20, 300)
        else:
            context = min(90_000, context + written + output // 2)
        yield UsageEvent(
            event_id=f"demo-{seed}-cc-{session}-{i}",
            ts=ts,
            provider="anthropic",
            model=model,
            source="claude-code",
            project=project,
            session=session,
            tags=["demo"],
            input_tokens=rng.randint(3, 400),
            cache_read_tokens=read,
            cache_write_tokens=written,
            cache_write_1h_tokens=written if hour_cache else 0,
            output_tokens=output,
        )
        ts += timedelta(seconds=int(rng.lognormvariate(4.0, 0.7)) + 5)


def _codex_session(rng: random.Random, start: datetime, turns: int, seed: int) -> Iterator[UsageEvent]:
    """One Codex CLI session: each turn re-reads the conversation, most of it from the cache."""
    session = _session_id(rng)
    project = rng.choices([p for p, _ in AGENT_PROJECTS], [w for _, w in AGENT_PROJECTS])[0]
    model = rng.choices([m for m, _ in CODEX_MODELS], [w for _, w in CODEX_MODELS])[0]
    context = rng.randint(8_000, 14_000)
    ts = start
    for i in range(turns):
        fresh = context if i == 0 else rng.randint(500, 5_000)
        output = int(rng.lognormvariate(6.5, 0.7)) + 30
        cached = 0 if i == 0 else context // 256 * 256
        context = min(200_000, context + fresh + output)
        yield UsageEvent(
            event_id=f"demo-{seed}-cx-{session}-{i}",
            ts=ts,
            provider="openai",
            model=model,
            source="codex",
            project=project,
            session=session,
            tags=["demo"],
            input_tokens=fresh,
            cache_read_tokens=cached,
            output_tokens=output,
            reasoning_tokens=int(output * rng.uniform(0.3, 0.7)),
        )
        ts += timedelta(seconds=int(rng.lognormvariate(4.3, 0.6)) + 10)


def demo_agent_events(days: int = 90, *, now: datetime | None = None, seed: int = 7) -> Iterator[UsageEvent]:
    """Coding-agent sessions as the Claude Code and Codex log import records them: a few a day on
    weekdays during working hours, and a Claude Code and a Codex session running now, so the current 5-hour
    block shows. A generator of their own, so :func:`demo_events` keeps its values."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    rng = random.Random(f"{seed}:agents")
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    # Running now: started about 90 minutes ago, its last turn a minute ago.
    start_live = now - timedelta(minutes=95)
    for back in range(days - 1, -1, -1):
        day_start = today - timedelta(days=back)
        if day_start.weekday() >= 5:
            continue
        sessions = [("claude", rng.randint(1, 3)), ("codex", rng.randint(0, 2))]
        for agent, count in sessions:
            for _ in range(count):
                start = day_start + timedelta(hours=rng.uniform(8.5, 18.5))
                turns = rng.randint(8, 30)
                make = _claude_session if agent == "claude" else _codex_session
                for event in make(rng, start, turns, seed):
                    # Today's earlier sessions end 5 hours before the live one: it opens a block.
                    if event.ts < start_live - timedelta(hours=5):
                        yield event
    live = random.Random(f"{seed}:agents:{today:%Y%m%d}")
    # Codex alongside for the last 50 minutes: what the plan's 5-hour window counts.
    for make, start, last in (
        (_claude_session, start_live, now - timedelta(minutes=1)),
        (_codex_session, now - timedelta(minutes=50), now - timedelta(minutes=4)),
    ):
        for event in make(live, start, 500, seed):
            if event.ts > last:
                break
            yield event


def demo_codex_rate_limits(now: datetime) -> list[tuple[datetime, dict[str, Any]]]:
    """A Codex plan's 5-hour and weekly windows as Codex writes them in the ``rate_limits`` of its
    ``token_count`` lines, with a few hours of history: (time of the line, the ``rate_limits``)."""
    now = now.astimezone(UTC).replace(second=0, microsecond=0)
    # The 5-hour window opened with the Codex session running now (see demo_agent_events).
    five_reset = int((now + timedelta(hours=4, minutes=10)).timestamp())
    week_reset = int((now + timedelta(days=4, hours=7)).replace(minute=0).timestamp())
    return [
        (
            now - timedelta(minutes=back),
            {
                "plan_type": "plus",
                "primary": {"used_percent": five, "window_minutes": 300, "resets_at": five_reset},
                "secondary": {"used_percent": week, "window_minutes": 10_080, "resets_at": week_reset},
            },
        )
        for back, five, week in ((45, 6, 55), (30, 13, 56), (15, 20, 57), (0, 27, 58))
    ]
