"""What the cloud sources (Azure OpenAI, AWS Bedrock, Google Cloud) share.

* Credentials with several fields: the non-secret ones are in ``Account.options``, the secrets in
  one packed keyring entry that the sync hands over as the account's key
  (:func:`costtui.secrets.unpack_fields`); an account of kind ``none`` keeps them in the user's own
  configuration (an AWS profile, a service-account file), read at fetch time and never copied.
* Every remote read goes through :data:`CACHE`: answers are kept for a while (a minute for live
  usage, half an hour for quota settings, hours for billing APIs, whose data moves a few times a
  day and which charge per call), and a throttled read makes the same account wait for its
  ``Retry-After`` before it asks that host again. The cache lives as long as the process (the TUI,
  ``costtui serve``): a provider object lasts one sync only.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any
from urllib.parse import urlencode

from pydantic import SecretStr

from costtui.providers.base import BadResponse, Provider, RateLimited, Unauthorized, WrongKeyType, expect_dict
from costtui.secrets import unpack_fields

MINUTE = 60.0
LIVE_TTL = 60.0
"""Usage counters (CloudWatch, Cloud Monitoring)."""
SETTINGS_TTL = 30 * MINUTE
"""Quota limits and deployment capacity: they change when someone files a request."""
BILLING_TTL = 3 * 60 * MINUTE
"""Billing APIs: Azure refreshes cost data about every 4 hours; AWS charges per Cost Explorer call."""
TOKEN_MARGIN = 120.0
"""An access token is renewed this many seconds before it expires."""
DEFAULT_BACKOFF = 60.0
"""How long a throttled read waits when the answer does not say."""


class ReadCache:
    """Remote reads kept for a time, and hosts that asked to be left alone for a while."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._data: dict[Hashable, tuple[float, Any]] = {}
        self._blocked: dict[Hashable, float] = {}
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        self._data.clear()
        self._blocked.clear()

    async def get(
        self,
        key: Hashable,
        ttl: float | Callable[[Any], float],
        fetch: Callable[[], Awaitable[Any]],
        *,
        scope: Hashable = None,
    ) -> Any:
        """The cached answer for ``key``, else ``await fetch()`` kept for ``ttl`` seconds (or
        ``ttl(answer)``, for a token that says when it expires). ``scope`` (an account and a host)
        is what a throttled answer blocks."""
        now = self.clock()
        hit = self._data.get(key)
        if hit is not None and hit[0] > now:
            self.hits += 1
            return hit[1]
        until = self._blocked.get(scope) if scope is not None else None
        if until is not None and until > now:
            wait = until - now
            raise RateLimited(f"throttled earlier; asking again in {wait:.0f}s", retry_after=wait)
        self.misses += 1
        try:
            value = await fetch()
        except RateLimited as exc:
            if scope is not None:
                self._blocked[scope] = now + (exc.retry_after if exc.retry_after is not None else DEFAULT_BACKOFF)
            raise
        seconds = ttl(value) if callable(ttl) else ttl
        if seconds > 0:
            if len(self._data) > 512:
                self._data = {k: v for k, v in self._data.items() if v[0] > now}
            self._data[key] = (now + seconds, value)
        return value


CACHE = ReadCache()
"""The process-wide cache of cloud reads (tests give each provider a fresh one)."""


def token_ttl(body: dict[str, Any]) -> float:
    """How long a token answer may be reused: its ``expires_in`` less :data:`TOKEN_MARGIN`."""
    try:
        return max(0.0, float(body.get("expires_in") or 0) - TOKEN_MARGIN)
    except (TypeError, ValueError):
        return 0.0


def digest(*parts: str) -> str:
    """A short stable tag of credentials, so that a cache entry never outlives a key rotation
    (the tag is a hash: the cache never holds the secret itself)."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


class CloudProvider(Provider):
    """A provider whose credentials have several fields, with cached reads."""

    def __init__(self, *args: Any, cache: ReadCache | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields = unpack_fields(self.key)
        self.cache = cache or CACHE
        self.tag = digest(self.account.provider, self.account.name, self.key.get_secret_value(), *sorted(self.opts()))

    def auth_headers(self, key: SecretStr) -> dict[str, str]:
        return {}  # each call carries a token made from the fields (or a signature)

    def opts(self) -> list[str]:
        return [f"{k}={v}" for k, v in self.account.options.items()]

    def option(self, name: str, default: str = "") -> str:
        return (self.account.options.get(name) or default).strip()

    def secret(self, name: str) -> str:
        value = self.fields.get(name)
        return value.get_secret_value() if value is not None else ""

    def hide(self, *values: str) -> None:
        """Tokens made at run time are hidden from messages like the stored secrets."""
        for v in values:
            if v and v not in self.http._secrets:
                self.http._secrets.append(v)

    async def exchange_token(self, url: str, form: dict[str, str], *, path: str, hint: str) -> dict[str, Any]:
        """An OAuth token endpoint's answer to a form POST (client credentials, a JWT bearer grant).

        A refused exchange (``{"error": "invalid_client", "error_description": ...}``) becomes
        Unauthorized with ``hint`` saying what to check; the answer must carry an access token."""
        try:
            resp = await self.http.request(
                "POST",
                url,
                content=urlencode(form).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        except (BadResponse, WrongKeyType, Unauthorized) as exc:
            raise Unauthorized(self.http.redact(f"{exc} — {hint}"), status=exc.status) from None
        body = expect_dict(self.http._json(resp, path), "token response", self.id)
        if not isinstance(body.get("access_token"), str):
            raise BadResponse(f"{self.id}: the token response has no access_token")
        return body

    async def cached(
        self,
        what: Hashable,
        ttl: float | Callable[[Any], float],
        fetch: Callable[[], Awaitable[Any]],
        *,
        host: str = "",
    ) -> Any:
        return await self.cache.get((self.tag, what), ttl, fetch, scope=(self.tag, host))
