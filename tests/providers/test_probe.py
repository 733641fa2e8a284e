"""Rate-limit headers (providers.md section 3) and the opt-in probe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pydantic import SecretStr

from costtui.providers.ratelimit_probe import parse_go_duration, parse_headers, probe

from .fakes import FakeAPI, js

NOW = datetime(2026, 8, 3, 12, tzinfo=UTC)


def test_go_durations() -> None:
    assert parse_go_duration("6m0s") == 360
    assert parse_go_duration("12ms") == 0.012
    assert parse_go_duration("1h2m3.5s") == 3723.5
    assert parse_go_duration("2m59.56s") == 179.56
    assert parse_go_duration("7") == 7  # Azure: plain seconds
    assert parse_go_duration("soon") is None and parse_go_duration(None) is None


def test_openai_headers() -> None:
    h = {
        "x-ratelimit-limit-requests": "5000",
        "x-ratelimit-remaining-requests": "4999",
        "x-ratelimit-reset-requests": "12ms",
        "x-ratelimit-limit-tokens": "4000000",
        "x-ratelimit-remaining-tokens": "3999990",
        "x-ratelimit-reset-tokens": "6m0s",
        "x-ratelimit-limit-tokens_usage_based": "1",
    }
    got = {s.kind: s for s in parse_headers("openai", h, now=NOW, scope="gpt-4o-mini")}
    assert got["rate_limit.requests"].remaining == Decimal(4999) and got["rate_limit.requests"].window == "minute"
    assert got["rate_limit.tokens"].resets_at == NOW + timedelta(minutes=6)
    assert got["rate_limit.tokens"].used == Decimal(10)


def test_groq_requests_are_per_day() -> None:
    h = {
        "x-ratelimit-limit-requests": "14400",
        "x-ratelimit-remaining-requests": "14370",
        "x-ratelimit-reset-requests": "2m59.56s",
        "x-ratelimit-limit-tokens": "18000",
        "x-ratelimit-remaining-tokens": "17997",
        "x-ratelimit-reset-tokens": "7.66s",
    }
    got = {s.kind: s for s in parse_headers("groq", h, now=NOW)}
    assert got["rate_limit.requests"].window == "day" and got["rate_limit.tokens"].window == "minute"


def test_anthropic_headers() -> None:
    h = {
        "anthropic-ratelimit-requests-limit": "4000",
        "anthropic-ratelimit-requests-remaining": "3999",
        "anthropic-ratelimit-requests-reset": "2026-08-03T12:00:01Z",
        "anthropic-ratelimit-input-tokens-limit": "2000000",
        "anthropic-ratelimit-input-tokens-remaining": "1999000",
        "anthropic-ratelimit-input-tokens-reset": "2026-08-03T12:00:00.5Z",
    }
    got = {s.kind: s for s in parse_headers("anthropic", h, now=NOW)}
    assert set(got) == {"rate_limit.requests", "rate_limit.input_tokens"}
    assert got["rate_limit.requests"].resets_at == datetime(2026, 8, 3, 12, 0, 1, tzinfo=UTC)


def test_no_headers_no_snapshots() -> None:
    assert parse_headers("openai", {"content-type": "application/json"}) == []


async def test_probe_sends_one_minimal_request() -> None:
    api = FakeAPI().add(
        "POST",
        "/v1/messages",
        js(
            {"id": "msg_1", "usage": {"input_tokens": 1, "output_tokens": 1}},
            headers={"anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "49"},
        ),
    )
    async with api.client() as client:
        snaps = await probe(
            "anthropic",
            SecretStr("sk-ant-api03-xxxxxxxxxxxx"),
            client,
            base_url="https://anthropic.test",
            now=lambda: NOW,
        )
    req = api.requests[0]
    assert len(api.requests) == 1 and b'"max_tokens":1' in req.content.replace(b" ", b"")
    assert snaps[0].remaining == Decimal(49) and snaps[0].source == "probe" and snaps[0].scope == "claude-haiku-4-5"
