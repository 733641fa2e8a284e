"""Live rate-limit headroom from response headers (providers.md section 3), and an opt-in probe.

The parsers are pure functions of a header mapping, so the proxy can call them on every response
it relays (zero extra cost). :func:`probe` makes **one minimal request** (a 1-token completion:
it costs a few tokens) for OpenAI, Anthropic and Groq keys, only when the user asks for it.

* OpenAI / Groq: ``x-ratelimit-{limit,remaining,reset}-{requests,tokens}``; resets are Go-style
  durations (``6m0s``, ``12ms``). On Groq ``*-requests`` is per **day**, ``*-tokens`` per minute.
* Anthropic: ``anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}``,
  resets are RFC 3339 timestamps (time until the bucket is full again).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from pydantic import SecretStr

from costtui.models import QuotaSnapshot
from costtui.providers.base import USER_AGENT, ProviderHTTP, Sleep, parse_utc

_DUR = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
PROBE_MODELS = {
    "openai": "gpt-4o-mini",
    "groq": "llama-3.1-8b-instant",
    "anthropic": "claude-haiku-4-5",
}
BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "groq": "https://api.groq.com/openai/v1",
    "anthropic": "https://api.anthropic.com",
}


def parse_go_duration(value: str | None) -> float | None:
    """``'6m0s'`` → 360.0 seconds; ``'12ms'`` → 0.012; ``'7.66s'`` → 7.66. None if unparseable."""
    if not value:
        return None
    text = value.strip()
    parts = _DUR.findall(text)
    if not parts or _DUR.sub("", text):
        try:
            return float(text)  # Azure sends plain seconds
        except ValueError:
            return None
    mult = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * mult[u] for n, u in parts)


def _num(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None


def _rfc3339(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parse_utc(value)
    except ValueError:
        return None


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def parse_headers(
    provider: str,
    headers: Mapping[str, str],
    *,
    account: str = "default",
    scope: str = "",
    now: datetime | None = None,
    source: str = "probe",
) -> list[QuotaSnapshot]:
    """Rate-limit snapshots from one response's headers (empty when the provider sent none)."""
    h = _lower(headers)
    now = now or datetime.now(UTC)
    out: list[QuotaSnapshot] = []

    def add(
        kind: str, limit: int | None, remaining: int | None, resets_at: datetime | None, unit: str, window: str | None
    ) -> None:
        if limit is None and remaining is None:
            return
        out.append(
            QuotaSnapshot(
                provider=provider,
                account=account,
                kind=kind,
                scope=scope,
                limit=None if limit is None else Decimal(limit),
                remaining=None if remaining is None else Decimal(remaining),
                used=Decimal(limit - remaining) if limit is not None and remaining is not None else None,
                unit=unit,
                window=window,
                resets_at=resets_at,
                taken_at=now,
                source=source,  # type: ignore[arg-type]
            )
        )

    if provider == "anthropic":
        for name, unit in (
            ("requests", "requests"),
            ("tokens", "tokens"),
            ("input-tokens", "input_tokens"),
            ("output-tokens", "output_tokens"),
        ):
            p = f"anthropic-ratelimit-{name}-"
            add(
                f"rate_limit.{unit}",
                _num(h.get(p + "limit")),
                _num(h.get(p + "remaining")),
                _rfc3339(h.get(p + "reset")),
                unit,
                "minute",
            )
        return out

    # OpenAI and Groq share names; Groq's request limit is per day.
    for name in ("requests", "tokens"):
        reset = parse_go_duration(h.get(f"x-ratelimit-reset-{name}"))
        window = "day" if provider == "groq" and name == "requests" else "minute"
        add(
            f"rate_limit.{name}",
            _num(h.get(f"x-ratelimit-limit-{name}")),
            _num(h.get(f"x-ratelimit-remaining-{name}")),
            now + timedelta(seconds=reset) if reset is not None else None,
            name,
            window,
        )
    return out


async def probe(
    provider: str,
    key: SecretStr,
    client: httpx.AsyncClient,
    *,
    account: str = "default",
    model: str | None = None,
    base_url: str | None = None,
    sleep: Sleep | None = None,
    now: Callable[[], datetime] | None = None,
) -> list[QuotaSnapshot]:
    """One minimal request (max 1 output token) to read the rate-limit headers; opt-in only."""
    if provider not in PROBE_MODELS:
        raise ValueError(f"no rate-limit probe for {provider}; supported: {', '.join(sorted(PROBE_MODELS))}")
    model = model or PROBE_MODELS[provider]
    kw: dict[str, Any] = {"max_retries": 0}
    if sleep is not None:
        kw["sleep"] = sleep
    if provider == "anthropic":
        headers = {"x-api-key": key.get_secret_value(), "anthropic-version": "2023-06-01", "User-Agent": USER_AGENT}
        path, body = "/v1/messages", {"model": model, "max_tokens": 1, "messages": [{"role": "user", "content": "."}]}
    else:
        headers = {"Authorization": f"Bearer {key.get_secret_value()}"}
        path = "/chat/completions"
        body = {"model": model, "max_tokens": 1, "messages": [{"role": "user", "content": "."}]}
    http = ProviderHTTP(provider, base_url or BASE_URLS[provider], client, headers=headers, secrets=[key], **kw)
    resp = await http.request("POST", path, json_body=body)
    return parse_headers(
        provider, resp.headers, account=account, scope=model, now=(now or (lambda: datetime.now(UTC)))()
    )
