"""What every provider module shares: the HTTP client with retry/backoff, error classes, the base class.

Rules kept here so each provider module stays a thin translation of providers.md:

* one ``httpx.AsyncClient`` (a shared connection pool) is passed in; modules never create their own;
* a connection that cannot be made (DNS failure, refused, no route) is not retried: it raises
  :class:`NoNetwork` at once;
* a timeout, a broken connection, a 5xx (and Anthropic's 529) or a 429 is retried up to ``max_retries`` times, waiting
  ``Retry-After`` when the server sends it (seconds or an HTTP date), else 1, 2, 4, 8… s; the
  sleep function is injectable so tests never sleep;
* errors are one of the classes below, with a message that says what to do next and never holds
  the key (every message goes through :meth:`ProviderHTTP.redact`).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar

import httpx
from pydantic import SecretStr

from costtui import __version__
from costtui.models import Account, BilledLine, BilledWindow, QuotaSnapshot
from costtui.secrets import secret_parts
from costtui.vocabulary import canonical_provider, provider_name

log = logging.getLogger("costtui.providers")

Sleep = Callable[[float], Awaitable[None]]
Progress = Callable[[str], None]
"""Called with a short human message ("openai: completions 2/9") as a sync advances."""
OnRetry = Callable[["ProviderError", int, int], Awaitable[None]]
"""Awaited before each retry with the error, the try that failed and the number of tries: the sync
records the failure at once, so an account that keeps failing does not read healthy meanwhile."""


@dataclass(frozen=True)
class Waiting:
    """The call a provider is waiting on (what a sync that takes long says it is waiting for)."""

    host: str
    path: str
    attempt: int
    tries: int
    since: float
    """``time.monotonic()`` when this try started."""


USER_AGENT = f"costtui/{__version__} (+https://github.com/costtui/costtui)"
RETRY_STATUS = {500, 502, 503, 504, 529}
MAX_RETRY_AFTER = 120.0
"""A Retry-After longer than this is not waited for: the sync reports RateLimited and tries later."""


# --------------------------------------------------------------------------- errors


class ProviderError(Exception):
    """A provider call failed; ``str(exc)`` is a message for the user (no secrets)."""

    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Unauthorized(ProviderError):
    """401: the key is wrong, revoked or expired."""


Revoked = Unauthorized


class WrongKeyType(ProviderError):
    """The key is valid but of the wrong kind (e.g. an inference key where an admin key is needed)."""


class RateLimited(ProviderError):
    retryable = True

    def __init__(self, message: str, *, status: int | None = 429, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ProviderDown(ProviderError):
    """5xx, timeouts, connection failures."""

    retryable = True


class NoNetwork(ProviderDown):
    """The provider could not be reached at all (DNS, refused connection, no route)."""


class BadResponse(ProviderError):
    """The answer is not JSON or not the documented shape."""


class NotAvailable(ProviderError):
    """404: the endpoint does not exist here (older deployment, gateway, other plan)."""


class PaymentRequired(ProviderError):
    """402: credits exhausted."""


# --------------------------------------------------------------------------- HTTP


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _connect_reason(exc: httpx.ConnectError) -> str:
    """A short reason from a connect error ("Name or service not known", "Connection refused")."""
    text = str(exc).strip()
    if "] " in text:  # "[Errno -2] Name or service not known"
        text = text.split("] ", 1)[1]
    return text[:80] or type(exc).__name__


def _is_reset(reason: str) -> bool:
    text = reason.lower()
    return "reset" in text or "eof" in text or "closed" in text


def make_http_client(timeout: float = 30.0) -> httpx.AsyncClient:
    """The shared client for provider calls (one pool for all accounts)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
    )


def _error_text(resp: httpx.Response) -> str:
    """The provider's own error message, if the body has one (OpenAI/Anthropic/OpenRouter shapes)."""
    try:
        body = resp.json()
    except (ValueError, UnicodeDecodeError):
        return ""
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        msg = err.get("message") or err.get("type") or ""
    elif isinstance(err, str):
        # OAuth token endpoints (Entra ID, Google): {"error": "invalid_client", "error_description": "..."}
        desc = body.get("error_description") if isinstance(body, dict) else None
        msg = f"{err}: {desc}" if isinstance(desc, str) and desc else err
    elif isinstance(body, dict):
        msg = body.get("message") or body.get("msg") or ""
    else:
        msg = ""
    return str(msg)[:300]


_PUBLIC_PREFIX = re.compile(r"(?:[a-z0-9]{1,8}-){1,3}")
SECRET_RUN = 6
"""Characters of a key's secret part that are never shown together (the fingerprint shows 4)."""


def public_prefix(secret: str) -> str:
    """The part of a key every key of its kind shares (``sk-admin-``, ``sk-ant-admin01-``, ``xai-``)."""
    m = _PUBLIC_PREFIX.match(secret)
    prefix = m.group(0) if m else ""
    return prefix if len(prefix) < len(secret) - SECRET_RUN else ""


def redact_secrets(text: str, secrets: Sequence[str | SecretStr]) -> str:
    """``text`` with every run of a key that tells more than its public prefix replaced by ``[key]``.

    A provider or gateway that echoes part of the key ("invalid key sk-admin-AbCdEfGh...") must not
    get that part into ``last_error``, the terminal or a log: whole keys are not the only leak. A run
    is hidden when it holds ``SECRET_RUN`` characters of the secret part, or the public prefix with
    any of the secret part after it; the prefix alone ("sk-admin-…" in a hint) stays readable.
    """
    spans: list[tuple[int, int]] = []
    # A packed entry (several named secrets of a cloud account) is hidden field by field.
    for key in [part for raw in secrets for part in secret_parts(raw)]:
        if not key:
            continue
        plen = len(public_prefix(key))
        needles: list[tuple[int, int]] = []
        if plen:
            needles.append((0, max(plen + 1, 8)))
        if len(key) - plen < SECRET_RUN:
            needles.append((0, len(key)))
        needles += [(j, j + SECRET_RUN) for j in range(plen, len(key) - SECRET_RUN + 1)]
        for k0, k1 in needles:
            needle = key[k0:k1]
            at = text.find(needle)
            while at != -1:
                a, b, ka, kb = at, at + len(needle), k0, k1
                while a > 0 and ka > 0 and text[a - 1] == key[ka - 1]:
                    a, ka = a - 1, ka - 1
                while b < len(text) and kb < len(key) and text[b] == key[kb]:
                    b, kb = b + 1, kb + 1
                spans.append((a, b))
                at = text.find(needle, at + 1)
    if not spans:
        return text
    out, pos = [], 0
    for a, b in sorted(spans):
        if b <= pos:
            continue
        if a >= pos:
            out.append(text[pos:a])
            out.append("[key]")
        pos = b
    out.append(text[pos:])
    return "".join(out)


class ProviderHTTP:
    """Authenticated JSON calls to one provider with retries; every message redacted."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        client: httpx.AsyncClient,
        *,
        headers: Mapping[str, str],
        secrets: Sequence[SecretStr] = (),
        sleep: Sleep = asyncio.sleep,
        max_retries: int = 4,
        timeout: float | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.headers = dict(headers)
        self._secrets = [s.get_secret_value() for s in secrets if s.get_secret_value()]
        self.sleep = sleep
        self.max_retries = max_retries
        self.timeout = timeout
        self.calls = 0
        self.waiting: Waiting | None = None
        """The try in flight, if any."""
        self.last_call: Waiting | None = None
        """The latest try, finished or not (what a sync that ran out of time was waiting for)."""
        self.on_retry: OnRetry | None = None
        self.retry_after_headers: tuple[str, ...] = ("retry-after",)
        """Headers that say how long to back off, first found wins (Azure Cost Management has its own)."""
        self.throttled: Callable[[httpx.Response], bool] | None = None
        """Says whether an error answer other than 429 is throttling (AWS sends a 400
        ``ThrottlingException``); such an answer is retried and backed off like a 429."""
        self.on_response: Callable[[httpx.Response], None] | None = None
        """Sees every answer (ARM's ``x-ms-ratelimit-remaining-*`` headers)."""

    def _retry_after(self, resp: httpx.Response) -> float | None:
        for name in self.retry_after_headers:
            wait = parse_retry_after(resp.headers.get(name))
            if wait is not None:
                return wait
        return None

    def redact(self, text: str) -> str:
        return redact_secrets(text, self._secrets)

    def _fail(self, exc_type: type[ProviderError], message: str, **kw: Any) -> ProviderError:
        return exc_type(self.redact(f"{self.provider}: {message}"), **kw)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        sign: Callable[[str, str, bytes], Mapping[str, str]] | None = None,
        tolerate_404: bool = False,
    ) -> httpx.Response:
        """``content`` is sent as is (bytes that were signed must be the bytes sent); ``sign`` is
        called before each try with the method, URL and body and returns headers to add (a
        signature carries its time, so a retry is signed afresh)."""
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        shown = httpx.URL(url).path
        host = httpx.URL(url).host
        attempt = 0
        while True:
            self.calls += 1
            self.waiting = self.last_call = Waiting(host, shown, attempt + 1, self.max_retries + 1, time.monotonic())
            try:
                sent = {**self.headers, **(headers or {})}
                if sign is not None:
                    sent.update(sign(method, url, content or b""))
                resp = await self.client.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    content=content,
                    headers=sent,
                    timeout=self.timeout if self.timeout is not None else httpx.USE_CLIENT_DEFAULT,
                )
                if self.on_response is not None:
                    self.on_response(resp)
            except httpx.TimeoutException:
                error: ProviderError = self._fail(ProviderDown, f"{shown} timed out; the provider may be slow or down")
                wait = None
            except httpx.ConnectError as exc:
                reason = _connect_reason(exc)
                if _is_reset(reason):
                    # The host answered, then dropped the connection: it is there, so this is an
                    # outage to retry, not a network to check.
                    error = self._fail(ProviderDown, f"connection reset by {host} ({shown}, while connecting)")
                    wait = None
                else:
                    # DNS failure, refused connection, no route: retrying within seconds does not help
                    # (offline, a sync of a few accounts would otherwise wait a minute for nothing).
                    raise self._fail(
                        NoNetwork, f"cannot reach {host} ({reason}); check the network or --base-url"
                    ) from None
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                error = self._fail(ProviderDown, f"connection reset by {host} ({shown}, {type(exc).__name__})")
                wait = None
            except httpx.HTTPError as exc:
                error = self._fail(ProviderDown, f"{shown} failed ({type(exc).__name__})")
                wait = None
            else:
                status = resp.status_code
                if status < 400:
                    return resp
                detail = _error_text(resp)
                suffix = f": {detail}" if detail else ""
                if status == 429 or (self.throttled is not None and self.throttled(resp)):
                    wait = self._retry_after(resp)
                    error = self._fail(
                        RateLimited, f"rate limited on {shown} ({status}){suffix}", status=status, retry_after=wait
                    )
                elif status in RETRY_STATUS or status >= 500:
                    wait = parse_retry_after(resp.headers.get("retry-after"))
                    error = self._fail(
                        ProviderDown,
                        f"{shown} answered {status}; the provider is having trouble{suffix}",
                        status=status,
                    )
                elif status == 404 and tolerate_404:
                    raise self._fail(NotAvailable, f"{shown} is not available here (404)", status=404)
                else:
                    raise self._classify(status, shown, detail)
            finally:
                self.waiting = None
            if attempt >= self.max_retries or (wait is not None and wait > MAX_RETRY_AFTER):
                raise error
            delay = wait if wait is not None else min(2.0**attempt, 60.0)
            log.debug("%s: retrying %s in %.1fs (%s)", self.provider, shown, delay, type(error).__name__)
            if self.on_retry is not None:
                await self.on_retry(error, attempt + 1, self.max_retries + 1)
            await self.sleep(delay)
            attempt += 1

    def _classify(self, status: int, shown: str, detail: str) -> ProviderError:
        suffix = f" ({detail})" if detail else ""
        if status == 401:
            return self._fail(
                Unauthorized, f"the key was rejected (401){suffix}: it is wrong, revoked or expired", status=401
            )
        if status == 403:
            return self._fail(
                WrongKeyType,
                f"the key is not allowed to call {shown} (403){suffix}: it may be the wrong kind of key",
                status=403,
            )
        if status == 402:
            return self._fail(PaymentRequired, f"payment required (402){suffix}: credits are exhausted", status=402)
        if status == 404:
            return self._fail(NotAvailable, f"{shown} was not found (404){suffix}", status=404)
        return self._fail(BadResponse, f"{shown} answered {status}{suffix}", status=status)

    async def get_json(self, path: str, params: Any = None, *, tolerate_404: bool = False) -> Any:
        resp = await self.request("GET", path, params=params, tolerate_404=tolerate_404)
        return self._json(resp, path)

    async def post_json(self, path: str, body: Any, *, headers: Mapping[str, str] | None = None) -> Any:
        resp = await self.request("POST", path, json_body=body, headers=headers)
        return self._json(resp, path)

    async def get_pages(
        self, path: str, params: Sequence[tuple[str, Any]] = (), *, tolerate_404: bool = False
    ) -> list[Any]:
        """Every record of a cursor-paginated list (``data`` + ``has_more`` + ``next_page``).

        Complete or an error: a page that is not a well-formed page, ``has_more`` without a
        cursor, or a cursor handed back twice raises, so a caller never replaces stored days
        with a partial answer."""
        items: list[Any] = []
        page: Any = None
        seen: set[str] = set()
        while True:
            q = list(params) + ([("page", page)] if page else [])
            try:
                body, data = expect_page(
                    await self.get_json(path, q, tolerate_404=tolerate_404), f"{path} response", self.provider
                )
            except BadResponse as exc:
                raise BadResponse(self.redact(str(exc)), status=exc.status) from None
            items.extend(data)
            if not body.get("has_more"):
                return items
            page = body.get("next_page")
            if not page or not isinstance(page, str):
                raise self._fail(BadResponse, f"{path} says there is more but gives no next_page cursor")
            if page in seen:  # a server handing back the same cursor would loop forever
                raise self._fail(BadResponse, f"{path} returned the same page cursor twice")
            seen.add(page)

    def _json(self, resp: httpx.Response, path: str) -> Any:
        try:
            return resp.json()
        except (json.JSONDecodeError, ValueError, UnicodeDecodeError):
            raise self._fail(BadResponse, f"{path} did not return JSON (HTTP {resp.status_code})") from None


def expect_dict(value: Any, what: str, provider: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadResponse(f"{provider}: {what} is not a JSON object")
    return value


def expect_list(value: Any, what: str, provider: str, *, optional: bool = False) -> list[Any]:
    """A list the documented shape holds. Missing or null is an error unless ``optional``: an
    answer that lost its list must never read as "nothing there" (the sync would delete what it
    had stored for those days)."""
    if value is None and optional:
        return []
    if not isinstance(value, list):
        raise BadResponse(f"{provider}: {what} is {'missing' if value is None else 'not a list'}")
    return value


def body_error(body: Any) -> str | None:
    """The error an answer carries in place of data (``{"error": ...}``, Anthropic's ``"type": "error"``)."""
    if not isinstance(body, dict):
        return None
    err = body.get("error")
    if not err and body.get("type") != "error":
        return None
    if isinstance(err, dict):
        return str(err.get("message") or err.get("type") or err.get("code") or "error")[:300]
    return str(err or body.get("message") or "error")[:300]


def expect_page(value: Any, what: str, provider: str, key: str = "data") -> tuple[dict[str, Any], list[Any]]:
    """A page of records: a JSON object with a ``key`` list and no error.

    ``{}``, ``{"error": ...}`` (even with status 200, as gateways send) or a page without its list
    is a :class:`BadResponse`, never an empty result."""
    body = expect_dict(value, what, provider)
    err = body_error(body)
    if err is not None:
        raise BadResponse(f"{provider}: {what} answered with an error instead of data: {err}")
    if key not in body:
        raise BadResponse(f"{provider}: {what} has no {key!r} list (the answer is not a page of records)")
    return body, expect_list(body[key], f"{what} {key}", provider)


def sub_dict(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """``parent[key]`` when it is an object, else an empty one (fields providers omit or null)."""
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def as_int(value: Any) -> int:
    """Token counts: missing/null → 0; floats that are whole numbers are accepted."""
    if value is None or isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(0, value)
    if isinstance(value, float) and value.is_integer():
        return max(0, int(value))
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return 0


# --------------------------------------------------------------------------- providers


@dataclass
class UsageResult:
    """What one usage/cost sync of an account produced."""

    lines: list[BilledLine] = field(default_factory=list)
    windows: list[BilledWindow] = field(default_factory=list)
    """Streams re-read completely (their absent rows are deleted)."""
    skipped: list[str] = field(default_factory=list)
    """Endpoints not available on this deployment (404) — not an error."""
    errors: list[str] = field(default_factory=list)
    """Parts that failed after others were fetched: what was fetched is kept, and the sync reports
    the failure and reads the same days again next time."""


@dataclass(frozen=True)
class CredentialField:
    """One named part of a cloud account's credentials (``keys add azure -o tenant_id=…``)."""

    name: str
    label: str
    secret: bool = False
    """Secrets go to the keyring (one packed entry per account); the others to ``Account.options``."""
    required: bool = True
    """Required when the account stores its credentials (``key_kind`` other than ``none``)."""
    help: str = ""


class Provider:
    """Base class of a provider module. Subclasses implement the ``fetch_*`` methods they support."""

    id: ClassVar[str] = ""
    """The canonical id in :mod:`costtui.vocabulary` (a class naming an unknown id fails at import)."""
    title: ClassVar[str] = ""
    """Taken from the vocabulary, never written here."""
    has_api: ClassVar[bool] = True
    """False: no billing/usage/balance API; manual entry and metering only."""
    default_base_url: ClassVar[str] = ""
    key_kinds: ClassVar[tuple[str, ...]] = ("inference",)
    """Kinds of key the module can use; the first is the default for ``keys add``."""
    key_hint: ClassVar[str] = ""
    """Which key to create, and where (one line for the UI and ``keys add``)."""
    what: ClassVar[str] = ""
    """What a sync brings (one line for the UI and ``keys add``)."""
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()
    """Several named credentials (cloud accounts); empty for the usual single key."""
    supports_usage: ClassVar[bool] = False
    supports_quotas: ClassVar[bool] = False
    history_streams: ClassVar[tuple[str, ...]] = ()
    """Streams whose stored lines the sync hands to :meth:`fetch_usage` as ``self.history``
    (a provider that only reports running totals works from the difference between readings)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.id:
            if canonical_provider(cls.id) != cls.id:
                raise TypeError(f"{cls.__name__}.id {cls.id!r} is not a canonical provider id")
            cls.title = provider_name(cls.id).title

    def __init__(
        self,
        account: Account,
        key: SecretStr,
        client: httpx.AsyncClient,
        *,
        sleep: Sleep = asyncio.sleep,
        max_retries: int = 4,
        timeout: float | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.account = account
        self.key = key
        self.history: list[BilledLine] = []
        self.now = now or (lambda: datetime.now(UTC))
        self.http = ProviderHTTP(
            self.id,
            account.base_url or self.default_base_url,
            client,
            headers=self.auth_headers(key),
            secrets=[key],
            sleep=sleep,
            max_retries=max_retries,
            timeout=timeout,
        )

    @classmethod
    def default_kind(cls, options: Mapping[str, str]) -> str:
        """The key kind of a new account given its options (an AWS profile means ``none``)."""
        return cls.key_kinds[0]

    @classmethod
    def check_credentials(cls, kind: str, options: Mapping[str, str], secrets: Mapping[str, str]) -> None:
        """Raise ValueError (a message for the user) when the fields of a new account are incomplete.

        A ``none`` account keeps its credentials outside costtui (an AWS profile, a service-account
        file): it stores no secret, so only the non-secret fields are asked for."""
        known = {f.name for f in cls.credential_fields}
        unknown = sorted(set(options) - known - {"team_id"})
        if unknown:
            raise ValueError(f"unknown option {unknown[0]!r}; {cls.title} takes {', '.join(sorted(known))}")
        for f in cls.credential_fields:
            given = secrets.get(f.name) if f.secret else options.get(f.name)
            if f.required and not (given or "").strip() and not (f.secret and kind == "none"):
                how = "typed at the hidden prompt (or on stdin)" if f.secret else f"-o {f.name}=…"
                raise ValueError(f"{cls.title} needs its {f.label} ({how})")
        if kind == "none" and any(secrets.values()):
            raise ValueError(f"a {cls.title} account of kind 'none' stores no secret")

    def auth_headers(self, key: SecretStr) -> dict[str, str]:
        return {"Authorization": f"Bearer {key.get_secret_value()}"}

    async def test_key(self) -> str:
        """One cheap authenticated call; returns a one-line description, raises ProviderError."""
        raise NotImplementedError

    async def fetch_usage(self, start: date, end: date, progress: Progress | None = None) -> UsageResult:
        """Billed costs and usage buckets for UTC days ``start``..``end`` (inclusive)."""
        return UsageResult()

    async def fetch_quotas(
        self, hints: dict[str, set[str]] | None = None, *, configured: bool = True
    ) -> list[QuotaSnapshot]:
        """Balances, spend limits, configured rate limits. ``hints`` maps projects to the models
        seen in their usage (OpenAI asks per project). ``configured=False`` skips the configured
        (not live) rate limits, which change rarely: the sync asks for them a few times a day."""
        return []

    # helpers ---------------------------------------------------------------

    def line(self, **kw: Any) -> BilledLine:
        return BilledLine(provider=self.account.provider, account=self.account.name, **kw)

    def quota(self, **kw: Any) -> QuotaSnapshot:
        return QuotaSnapshot(provider=self.account.provider, account=self.account.name, taken_at=self.now(), **kw)

    def window(self, stream: str, start: date, end: date) -> BilledWindow:
        return BilledWindow(
            provider=self.account.provider, account=self.account.name, stream=stream, start=start, end=end
        )


def day_from_unix(ts: Any) -> date:
    if isinstance(ts, bool) or not isinstance(ts, (int, float)):
        raise BadResponse(f"bucket start_time is not a number: {str(ts)[:40]!r}")
    return datetime.fromtimestamp(ts, UTC).date()


def parse_utc(text: str) -> datetime:
    """A provider's ISO 8601 / RFC 3339 time as an aware UTC datetime.

    A time without a zone (``"2026-01-16 00:00:00"``) is UTC: provider APIs count in UTC, and
    reading it as the machine's local time would move buckets to the wrong day. Raises ValueError.
    """
    ts = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def day_from_iso(text: Any) -> date:
    """The UTC day of a provider's bucket date (``2026-08-05``, ``2026-08-05T00:00:00Z``, ``2026-08-05 00:00:00``)."""
    if not isinstance(text, str):
        raise BadResponse("bucket date is not a string")
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return parse_utc(text).date()
    except ValueError:
        raise BadResponse(f"bucket date {text[:40]!r} is not ISO 8601") from None


def unix(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def rfc3339(d: date) -> str:
    return f"{d.isoformat()}T00:00:00Z"
