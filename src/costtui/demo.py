"""Realistic demo usage: several providers, a dozen models, apps, users, teams and keys.

Deterministic for a given seed and clock, so snapshot tests and screenshots are stable.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from costtui.models import EventStatus, UsageEvent


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
        yield UsageEvent(
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
