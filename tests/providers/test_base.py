"""Retry/backoff, Retry-After, error classes, redaction — the shared HTTP layer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from pydantic import SecretStr

from costtui.providers.base import (
    BadResponse,
    NoNetwork,
    NotAvailable,
    ProviderDown,
    ProviderHTTP,
    RateLimited,
    Unauthorized,
    WrongKeyType,
    parse_retry_after,
)

from .fakes import FakeAPI, Sleeps, js

KEY = "sk-admin-SECRETSECRETSECRET9999"


def make(api: FakeAPI, sleeps: Sleeps, retries: int = 3) -> ProviderHTTP:
    return ProviderHTTP(
        "openai",
        "https://api.test/v1",
        api.client(),
        headers={"Authorization": f"Bearer {KEY}"},
        secrets=[SecretStr(KEY)],
        sleep=sleeps,
        max_retries=retries,
    )


async def test_429_honours_retry_after() -> None:
    api = FakeAPI().add("GET", "/v1/x", js({}, 429, {"retry-after": "7"}), js({"ok": 1}))
    sleeps = Sleeps()
    assert await make(api, sleeps).get_json("/x") == {"ok": 1}
    assert sleeps.calls == [7.0]


async def test_retry_after_http_date() -> None:
    now = datetime(2026, 8, 1, tzinfo=UTC)
    when = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(when, now) == pytest.approx(30)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


async def test_5xx_backoff_then_success() -> None:
    api = FakeAPI().add("GET", "/v1/x", js({}, 500), js({}, 503), js({"ok": 1}))
    sleeps = Sleeps()
    assert await make(api, sleeps).get_json("/x") == {"ok": 1}
    assert sleeps.calls == [1.0, 2.0]


async def test_gives_up_after_max_retries() -> None:
    api = FakeAPI().add("GET", "/v1/x", js({"error": {"message": "boom"}}, 502))
    sleeps = Sleeps()
    with pytest.raises(ProviderDown, match="502"):
        await make(api, sleeps, retries=2).get_json("/x")
    assert len(api.requests) == 3 and sleeps.calls == [1.0, 2.0]


async def test_long_retry_after_is_not_waited() -> None:
    api = FakeAPI().add("GET", "/v1/x", js({}, 429, {"retry-after": "3600"}))
    sleeps = Sleeps()
    with pytest.raises(RateLimited) as err:
        await make(api, sleeps).get_json("/x")
    assert err.value.retry_after == 3600 and sleeps.calls == []


async def test_timeout_is_retried_then_provider_down() -> None:
    api = FakeAPI().add("GET", "/v1/x", httpx.ReadTimeout("slow"))
    sleeps = Sleeps()
    with pytest.raises(ProviderDown, match="timed out"):
        await make(api, sleeps, retries=1).get_json("/x")
    assert sleeps.calls == [1.0]


async def test_connect_error_is_no_network_and_not_retried() -> None:
    """Offline (DNS failure, refused connection) one attempt is enough: no 1+2+4+8 s of retries."""
    api = FakeAPI().add("GET", "/v1/x", httpx.ConnectError("[Errno -2] Name or service not known"))
    sleeps = Sleeps()
    with pytest.raises(NoNetwork, match=r"cannot reach api.test \(Name or service not known\)"):
        await make(api, sleeps, retries=4).get_json("/x")
    assert len(api.requests) == 1 and sleeps.calls == []


async def test_a_connection_that_breaks_midway_is_retried() -> None:
    api = FakeAPI().add("GET", "/v1/x", httpx.ReadError("reset by peer"), js({"ok": True}))
    sleeps = Sleeps()
    assert await make(api, sleeps, retries=2).get_json("/x") == {"ok": True}
    assert sleeps.calls == [1.0]


@pytest.mark.parametrize(
    ("status", "exc"), [(401, Unauthorized), (403, WrongKeyType), (404, NotAvailable), (400, BadResponse)]
)
async def test_client_errors_are_not_retried(status: int, exc: type[Exception]) -> None:
    api = FakeAPI().add("GET", "/v1/x", js({"error": {"message": "nope"}}, status))
    sleeps = Sleeps()
    with pytest.raises(exc):
        await make(api, sleeps).get_json("/x")
    assert len(api.requests) == 1 and sleeps.calls == []


async def test_malformed_json() -> None:
    api = FakeAPI().add("GET", "/v1/x", httpx.Response(200, content=b"<html>oops"))
    with pytest.raises(BadResponse, match="did not return JSON"):
        await make(api, Sleeps()).get_json("/x")


async def test_echoed_key_is_redacted() -> None:
    api = FakeAPI().add("GET", "/v1/x", js({"error": {"message": f"Incorrect API key provided: {KEY}"}}, 401))
    with pytest.raises(Unauthorized) as err:
        await make(api, Sleeps()).get_json("/x")
    assert KEY not in str(err.value) and "[key]" in str(err.value)


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/Los_Angeles"])
def test_a_provider_date_without_a_zone_is_utc(monkeypatch: pytest.MonkeyPatch, zone: str) -> None:
    """OpenRouter /activity has been seen answering "2026-01-16 00:00:00"; far from UTC the machine's
    zone must not move it to another day."""
    import time
    from datetime import UTC, date, datetime

    from costtui.providers.base import day_from_iso, parse_utc

    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        assert day_from_iso("2026-01-16 00:00:00") == date(2026, 1, 16)
        assert day_from_iso("2026-01-16T23:30:00") == date(2026, 1, 16)
        assert day_from_iso("2026-01-16T23:30:00-08:00") == date(2026, 1, 17)
        assert parse_utc("2026-01-16T10:00:00") == datetime(2026, 1, 16, 10, tzinfo=UTC)
        assert parse_utc("2026-01-16T10:00:00Z") == datetime(2026, 1, 16, 10, tzinfo=UTC)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
