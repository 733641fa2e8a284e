"""The aiohttp application: routes, auth, limits, CORS and JSON errors.

Every 4xx answer is JSON ``{"error": "..."}`` with a message that names the problem (OTLP error
answers are JSON too, with ``code``/``message`` in the ``google.rpc.Status`` shape as well).
Proxy routes (``/v1/chat/completions``...) will be added by :func:`build_app`'s ``extra_routes``.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import re
import time
import zlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from costtui import __version__
from costtui.config import ListenerSettings, SyncSettings
from costtui.listener import ingest, otlp
from costtui.listener.jsonbody import valid_text
from costtui.listener.keys import is_loopback, same_key
from costtui.listener.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from costtui.listener.metrics import ListenerMetrics
from costtui.listener.ratelimit import RateLimiter, retry_after
from costtui.listener.tokens import TokenCache, TrackingToken
from costtui.listener.writer import BatchWriter, WriterClosed
from costtui.store import Store
from costtui.store.db import BUSY, write_error_cause

log = logging.getLogger("costtui.listener")

JSON_TYPES = ("application/json", "text/json")
OFFLOAD_BYTES = 64 * 1024
OFFLOAD_EVENTS = 200
"""Bigger bodies are decoded and validated in a worker thread, not in the loop."""
SERVICE = "costtui"


@dataclass
class Stats:
    """Live numbers for the TUI's status line and /health."""

    started: float = field(default_factory=time.monotonic)
    last_event_at: datetime | None = None
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    _recent: deque[tuple[float, int]] = field(default_factory=deque)

    def add(self, accepted: int, duplicates: int) -> None:
        self.accepted += accepted
        self.duplicates += duplicates
        if accepted or duplicates:
            self.last_event_at = datetime.now(UTC)
            now = time.monotonic()
            self._recent.append((now, accepted + duplicates))
            self._trim(now)

    def _trim(self, now: float) -> None:
        while self._recent and now - self._recent[0][0] > 60:
            self._recent.popleft()

    def events_last_minute(self) -> int:
        self._trim(time.monotonic())
        return sum(n for _, n in self._recent)

    @property
    def uptime(self) -> float:
        return time.monotonic() - self.started


@dataclass
class ListenerState:
    """Everything the handlers share (one per running listener)."""

    settings: ListenerSettings
    host: str
    writer: BatchWriter
    read_store: Store
    """For reads (token lookups, health, status), always from worker threads: never on the loop."""
    ingest_key: str | None
    read_key: str | None
    metrics: ListenerMetrics
    stats: Stats = field(default_factory=Stats)
    tokens: TokenCache | None = None
    address_limiter: RateLimiter | None = None
    token_limiter: RateLimiter | None = None
    sync: SyncSettings | None = None
    """The ``[sync]`` settings: account health in /api/status follows their intervals, as in ``status --json``."""

    def __post_init__(self) -> None:
        s = self.settings
        self.tokens = TokenCache(self.read_store)
        self.address_limiter = RateLimiter(s.rate_limit_address_per_second, s.rate_limit_address_burst)
        self.token_limiter = RateLimiter(s.rate_limit_token_per_second, s.rate_limit_token_burst)

    @property
    def public(self) -> bool:
        """Bound to a non-loopback address (reads then need the read key)."""
        return not is_loopback(self.host)


STATE: web.AppKey[ListenerState] = web.AppKey("costtui_state", ListenerState)


CLIENT_CLOSED = 499
"""Status counted in /metrics for a request whose client went away (nginx's "client closed
request"); nobody reads the answer."""


class ClientAborted(Exception):
    """The client closed the connection before its request body arrived."""


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extra = extra


def database_id(path: Path) -> str:
    """A short id of the database file (a hash of its path): lets another costtui tell whether it
    looks at the same database without the listener telling the network where files live."""
    try:
        resolved = str(Path(path).resolve())
    except OSError:
        resolved = str(path)
    return hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def json_error(status: int, error: str, headers: dict[str, str] | None = None, /, **extra: Any) -> web.Response:
    return web.json_response({"error": error, **extra}, status=status, headers=headers)


# --------------------------------------------------------------------------- middlewares


def _route_name(request: web.Request) -> str:
    info = request.match_info.route.resource
    return info.canonical if info is not None else "unmatched"


@web.middleware
async def errors_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """aiohttp's own errors (404, 405, 413...) and ours, as JSON; unexpected ones as a 500."""
    state = request.app[STATE]
    try:
        response = await handler(request)
    except ApiError as exc:
        response = json_error(exc.status, exc.message, exc.headers, **exc.extra)
    except web.HTTPRequestEntityTooLarge:
        limit = state.settings.max_body_bytes
        response = json_error(413, f"request body too large: the limit is {limit:,} bytes")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        reason = exc.reason or "error"
        if exc.status == 404:
            message = f"no such route: {request.method} {request.path}"
        elif exc.status == 405:
            allowed = sorted(getattr(exc, "allowed_methods", ()) or ())
            message = f"method {request.method} not allowed on {request.path}" + (
                f"; use {', '.join(allowed)}" if allowed else ""
            )
        else:
            message = f"{reason}: {exc.text}" if exc.text and exc.text != f"{exc.status}: {reason}" else reason
        response = json_error(
            exc.status, message, {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")}
        )
    except asyncio.CancelledError:
        raise
    except (ClientAborted, ConnectionResetError):
        # The client went away (mid-body, or before the answer): its doing, not a server fault.
        log.debug("client closed the connection during %s %s", request.method, request.path)
        response = json_error(CLIENT_CLOSED, "client closed the connection")
    except Exception:
        log.exception("error while handling %s %s", request.method, request.path)
        response = json_error(500, "internal error (see the costtui log)")
    state.metrics.count_request(_route_name(request), response.status)
    return response


# A Host field value (RFC 9112 §3.2, RFC 3986 §3.2.2): a DNS name, an IPv4 address or a bracketed
# IPv6 literal, then an optional numeric port. Narrower than RFC 3986's reg-name (no
# percent-encoding, no sub-delims): what a client of a local listener sends.
_HOST_RE = re.compile(r"(?:\[(?P<ip6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9._-]+))(?::(?P<port>[0-9]{0,5}))?")


def host_problem(request: web.Request) -> str | None:
    """Why the request's Host header is invalid (a 400), or None. Checked before the host guard,
    so that a value such as ``127.0.0.1:1, evil.example`` is never read as a loopback name."""
    values = request.headers.getall("Host", [])
    if len(values) > 1:
        return "more than one Host header (RFC 9112 §3.2): send one"
    if not values:
        return "no Host header (RFC 9112 §3.2)" if request.version >= (1, 1) else None
    host = values[0]
    match = _HOST_RE.fullmatch(host)
    valid = match is not None
    if match is not None and match["ip6"]:
        try:
            ipaddress.IPv6Address(match["ip6"])
        except ValueError:
            valid = False
    if match is not None and match["port"] and int(match["port"]) > 65535:
        valid = False
    if not valid:
        shown = host[:80] + ("…" if len(host) > 80 else "")
        return f"invalid Host header {shown!r}: a host name or address with an optional numeric port (RFC 9112 §3.2)"
    return None


def host_guard_middleware(state: ListenerState) -> Any:
    """While bound to loopback, only answer requests addressed to a loopback name.

    A web page can make its own domain resolve to 127.0.0.1 (DNS rebinding) and then read a
    loopback server as same-origin; its requests still carry its own Host header, refused here.
    """
    extra = {h.strip().lower() for h in state.settings.allowed_hosts if h.strip()}

    @web.middleware
    async def guard(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        problem = host_problem(request)
        if problem is not None:
            return json_error(400, problem)
        if not state.public:
            host = (request.host or "").lower()
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            name = name.strip("[]")
            if name not in extra and not is_loopback(name):
                return json_error(
                    403,
                    f"Host {host!r} is not allowed while the listener is bound to {state.host} (listener.allowed_hosts)",
                )
        return await handler(request)

    return guard


def cors_middleware(origins: Iterable[str]) -> Any:
    allowed = {o.rstrip("/") for o in origins if o}

    @web.middleware
    async def cors(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS" and origin and "Access-Control-Request-Method" in request.headers:
            if origin.rstrip("/") not in allowed:
                return json_error(
                    403, f"origin {origin} is not on the listener's CORS allow-list (listener.cors_origins)"
                )
            return web.Response(
                status=204,
                headers={
                    "Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                    "Access-Control-Allow-Headers": request.headers.get(
                        "Access-Control-Request-Headers", "Content-Type"
                    ),
                    "Access-Control-Max-Age": "600",
                    "Vary": "Origin",
                },
            )
        response = await handler(request)
        if origin and origin.rstrip("/") in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    return cors


# --------------------------------------------------------------------------- helpers


def _trim(value: str) -> str:
    """HTTP's optional whitespace (RFC 9110 §5.6.3) is space and tab only. ``str.strip()`` would
    also eat a non-breaking space or U+2028, and a key followed by one would pass."""
    return value.strip(" \t")


def _single_header(request: web.Request, name: str) -> str | None:
    """The value of a header that must appear once (or repeat one value); None when absent."""
    values = {_trim(v) for v in request.headers.getall(name, [])}
    if len(values) > 1:
        raise ApiError(400, f"{name} sent more than once with different values: send it once")
    return values.pop() if values else None


def _presented_key(request: web.Request, header: str, *, bearer: bool = True) -> str | None:
    """The key the client sent in ``header`` or as ``Authorization: Bearer``. Both may be sent,
    but they must agree: two credentials that disagree are refused, never one of them picked.
    ``bearer=False`` leaves Authorization alone (for routes where it carries a provider key)."""
    direct = _single_header(request, header) or None
    if not bearer:
        return direct
    auth = _single_header(request, "Authorization") or ""
    token = (_trim(auth[7:]) or None) if auth[:7].lower() == "bearer " else None
    if direct is not None and token is not None and not same_key(direct, token):
        raise ApiError(400, f"{header} and Authorization: Bearer carry different keys: send one of them")
    return direct or token


def _credentials(state: ListenerState, request: web.Request, route: str, header: str) -> str | None:
    try:
        return _presented_key(request, header)
    except ApiError:
        state.metrics.inc(state.metrics.bad_auth, route)
        raise


def header_token(request: web.Request, state: ListenerState) -> str | None:
    """The tracking token in the request's header (``listener.tracking_token_header``), or None
    when the header is absent. An empty one, or two that disagree, are refused (400)."""
    name = state.settings.tracking_token_header
    value = _single_header(request, name)
    if value is None:
        return None
    if not value:
        raise ApiError(400, f"empty {name} header: send the app's tracking token (ctt_…) or leave the header out")
    if not valid_text(value):
        raise ApiError(400, f"the {name} header is not UTF-8 text")
    return value


def _client_is_loopback(request: web.Request) -> bool:
    return bool(request.remote) and is_loopback(request.remote or "")


def check_address_limit(state: ListenerState, request: web.Request, route: str) -> None:
    limiter = state.address_limiter
    assert limiter is not None
    if not limiter.enabled:
        return
    if _client_is_loopback(request) and not state.settings.rate_limit_loopback:
        return
    wait = limiter.check(request.remote or "?")
    if wait:
        state.metrics.inc(state.metrics.rate_limited, route, "address")
        raise ApiError(
            429,
            f"rate limit exceeded for client address {request.remote}; retry later",
            {"Retry-After": retry_after(wait)},
        )


def check_ingest_key(state: ListenerState, request: web.Request, route: str) -> None:
    given = _credentials(state, request, route, "X-Ingest-Key")
    if state.ingest_key is None:
        return  # loopback without a usable keyring (logged at start)
    if given is None:
        if _client_is_loopback(request) and not state.settings.require_key_on_loopback and not state.public:
            return
        state.metrics.inc(state.metrics.bad_auth, route)
        raise ApiError(
            401,
            "missing ingest key: send it as X-Ingest-Key or Authorization: Bearer (see `costtui tokens key`)",
            {"WWW-Authenticate": "Bearer"},
        )
    if not same_key(given, state.ingest_key):
        state.metrics.inc(state.metrics.bad_auth, route)
        raise ApiError(
            401, "wrong ingest key (see `costtui tokens key` for its fingerprint)", {"WWW-Authenticate": "Bearer"}
        )


def check_read_key(state: ListenerState, request: web.Request, route: str) -> None:
    if not state.public:
        return
    given = _credentials(state, request, route, "X-Read-Key")
    if state.read_key is None or not same_key(given, state.read_key):
        state.metrics.inc(state.metrics.bad_auth, route)
        what = "missing read key" if given is None else "wrong read key"
        raise ApiError(
            401,
            f"{what}: this listener is bound to {state.host}; send X-Read-Key or Authorization: Bearer (`costtui tokens key --read`)",
            {"WWW-Authenticate": "Bearer"},
        )


async def resolve_tokens(
    state: ListenerState, route: str, tokens: Iterable[str], where: dict[str, str] | None = None
) -> dict[str, str]:
    """Tracking tokens → app names; an unknown or disabled token refuses the whole request (403)."""
    assert state.tokens is not None and state.token_limiter is not None
    apps: dict[str, str] = {}
    resolved: list[TrackingToken] = []
    for secret in tokens:
        label = (where or {}).get(secret, "")
        shown = secret[:10] + "…" if len(secret) > 10 else secret[:3] + "…"
        if len(secret) > 200:
            state.metrics.inc(state.metrics.bad_auth, route)
            raise ApiError(403, f"unknown tracking token {shown}{label}")
        token = await state.tokens.lookup(secret)
        if token is None:
            state.metrics.inc(state.metrics.bad_auth, route)
            raise ApiError(403, f"unknown tracking token {shown}{label}; create one with `costtui tokens create NAME`")
        if not token.enabled:
            state.metrics.inc(state.metrics.bad_auth, route)
            raise ApiError(
                403,
                f"tracking token of app {token.name!r} is disabled{label}; `costtui tokens enable {token.name}` to allow it again",
            )
        apps[secret] = token.name
        resolved.append(token)
    for token in resolved:
        wait = state.token_limiter.check(token.name)
        if wait:
            state.metrics.inc(state.metrics.rate_limited, route, "token")
            raise ApiError(
                429,
                f"rate limit exceeded for tracking token of app {token.name!r}; retry later",
                {"Retry-After": retry_after(wait)},
            )
    return apps


def gunzip(raw: bytes, limit: int) -> bytes:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise ApiError(400, f"body is not valid gzip ({exc})") from None
    if len(out) > limit:
        raise ApiError(413, f"request body too large once decompressed: the limit is {limit:,} bytes")
    if not d.eof:
        raise ApiError(400, "gzip body is truncated (the compressed stream ends early)")
    if d.unused_data:
        raise ApiError(400, "unexpected data after the end of the gzip stream")
    return out


async def read_body(request: web.Request, state: ListenerState) -> bytes:
    limit = state.settings.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, f"request body too large ({request.content_length:,} bytes): the limit is {limit:,} bytes")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, f"request body too large: the limit is {limit:,} bytes") from None
    except (ConnectionError, HttpProcessingError) as exc:
        transport = request.transport
        if isinstance(exc, ConnectionError) or transport is None or transport.is_closing():
            raise ClientAborted from None
        raise ApiError(400, f"malformed request body ({type(exc).__name__})") from None
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding in ("gzip", "x-gzip"):
        return gunzip(raw, limit)
    raise ApiError(415, f"unsupported Content-Encoding {encoding!r}: send gzip or no encoding")


def _is_json(content_type: str) -> bool:
    return content_type in JSON_TYPES or content_type.endswith("+json")


# --------------------------------------------------------------------------- handlers


async def handle_ingest(request: web.Request) -> web.Response:
    state = request.app[STATE]
    route = "ingest"
    check_address_limit(state, request, route)
    check_ingest_key(state, request, route)
    if "Content-Type" in request.headers and not _is_json(request.content_type):
        raise ApiError(415, f"unsupported Content-Type {request.content_type!r}: send application/json")
    raw = await read_body(request, state)
    limit = state.settings.max_events_per_request
    try:
        if len(raw) > OFFLOAD_BYTES:  # keep the loop (and an embedding TUI) responsive
            items = await asyncio.to_thread(lambda: ingest.event_list(ingest.loads(raw), limit))
        else:
            items = ingest.event_list(ingest.loads(raw), limit)
    except ingest.BodyError as exc:
        raise ApiError(exc.status, exc.message) from None

    token_in_header = header_token(request, state)
    named = ingest.tracking_tokens_in(items)
    where = {t: f" (events {', '.join(map(str, idx[:5]))}{'…' if len(idx) > 5 else ''})" for t, idx in named.items()}
    wanted = list(named)
    if token_in_header and token_in_header not in named:
        wanted.append(token_in_header)
        where[token_in_header] = f" (header {state.settings.tracking_token_header})"
    apps = await resolve_tokens(state, route, wanted, where) if wanted else {}

    if len(items) > OFFLOAD_EVENTS:
        batch = await asyncio.to_thread(ingest.parse_batch, items, apps=apps, header_token=token_in_header)
    else:
        batch = ingest.parse_batch(items, apps=apps, header_token=token_in_header)
    errors = [e.as_json() for e in batch.errors]
    if batch.errors:
        state.metrics.inc(state.metrics.rejected, route, amount=len(batch.errors))
        state.stats.rejected += len(batch.errors)
    if not batch.events:
        first = batch.errors[0]
        raise ApiError(
            422,
            f"no valid events: event {first.index}: {first.reason}"
            + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
            accepted=0,
            duplicates=0,
            rejected=len(errors),
            errors=errors[:1000],
        )
    outcome = await _store(state, batch.events, frozenset(apps.values()))
    state.metrics.inc(state.metrics.accepted, route, amount=outcome.accepted_count)
    state.metrics.inc(state.metrics.duplicate, route, amount=outcome.duplicate_count)
    body: dict[str, Any] = {
        "accepted": outcome.accepted_count,
        "duplicates": outcome.duplicate_count,
        "rejected": len(errors),
        "errors": errors[:1000],
    }
    dup_idx = [batch.indexes[i] for i, ok in enumerate(outcome.accepted) if not ok]
    if dup_idx:
        body["duplicate_indexes"] = dup_idx[:1000]
    return web.json_response(body)


async def _store(state: ListenerState, events: list[Any], apps: frozenset[str]) -> Any:
    try:
        return await state.writer.submit(events, apps)
    except WriterClosed as exc:
        raise ApiError(503, str(exc), {"Retry-After": "1"}) from None
    except Exception as exc:
        # The writer has logged it (once per cause); the client learns the cause, never a path.
        cause = write_error_cause(exc)
        raise ApiError(
            503,
            f"the database could not store the events: {cause.text}; nothing was stored, retry later",
            # A lock clears in a moment; a full disk or a read-only file needs someone to act.
            {"Retry-After": "1" if cause is BUSY else "30"},
            cause=cause.key,
        ) from None


async def handle_traces(request: web.Request) -> web.Response:
    state = request.app[STATE]
    route = "otlp"
    try:
        check_address_limit(state, request, route)
        check_ingest_key(state, request, route)
        ctype = request.content_type
        if ctype not in ("application/json", "application/x-protobuf"):
            raise ApiError(
                415, f"unsupported Content-Type {ctype!r} for OTLP: send application/x-protobuf or application/json"
            )
        token_in_header = header_token(request, state)
        raw = await read_body(request, state)
        try:
            if len(raw) > OFFLOAD_BYTES:  # keep the loop (and an embedding TUI) responsive
                spans = await asyncio.to_thread(otlp.decode, raw, ctype)
            else:
                spans = otlp.decode(raw, ctype)
        except ingest.BodyError as exc:
            raise ApiError(exc.status, exc.message) from None
        wanted = {t for s in spans if (t := otlp.tracking_token_of(s))}
        if token_in_header:
            wanted.add(token_in_header)
        apps = await resolve_tokens(state, route, sorted(wanted)) if wanted else {}
        if len(spans) > OFFLOAD_EVENTS:
            batch = await asyncio.to_thread(otlp.convert, spans, apps=apps, header_token=token_in_header)
        else:
            batch = otlp.convert(spans, apps=apps, header_token=token_in_header)
    except ApiError as exc:
        # OTLP clients read google.rpc.Status: add code/message beside our "error".
        grpc = {400: 3, 401: 16, 403: 7, 413: 8, 415: 3, 429: 8}.get(exc.status, 2)
        exc.extra.setdefault("code", grpc)
        exc.extra.setdefault("message", exc.message)
        raise
    if batch.errors:
        state.metrics.inc(state.metrics.rejected, route, amount=len(batch.errors))
        state.stats.rejected += len(batch.errors)
    if batch.events:
        outcome = await _store(state, batch.events, frozenset(apps.values()))
        state.metrics.inc(state.metrics.accepted, route, amount=outcome.accepted_count)
        state.metrics.inc(state.metrics.duplicate, route, amount=outcome.duplicate_count)
    message = "; ".join(e.reason for e in batch.errors[:5])
    body, ctype_out = otlp.response(ctype, len(batch.errors), message)
    return web.Response(body=body, content_type=ctype_out)


async def handle_status(request: web.Request) -> web.Response:
    state = request.app[STATE]
    check_read_key(state, request, "status")
    from costtui.analytics.summary import status_report

    report = await asyncio.to_thread(status_report, state.read_store, sync=state.sync)
    if state.public:
        report.pop("database", None)  # do not tell the network where files live
    return web.json_response(report)


@dataclass(frozen=True)
class _Probe:
    reachable: bool
    last_event_at: datetime | None
    database_id: str


def _probe_store(store: Store, want_last_event: bool) -> _Probe:
    """Whether the database reads, its newest event and its id: blocking, so /health runs it in a thread."""
    db_id = database_id(store.path)
    try:
        store.ping()
    except Exception:
        return _Probe(False, None, db_id)
    last = None
    if want_last_event:
        try:
            last = store.last_event_time()
        except Exception:
            last = None
    return _Probe(True, last, db_id)


async def handle_health(request: web.Request) -> web.Response:
    state = request.app[STATE]
    last = state.stats.last_event_at
    probe = await asyncio.to_thread(_probe_store, state.read_store, last is None)
    last = last or probe.last_event_at
    failure = state.writer.failure
    writes: dict[str, Any] = {"ok": failure is None}
    if failure is not None:
        writes.update(
            cause=failure.cause.text,
            cause_key=failure.cause.key,
            error=failure.detail,
            failing_since=failure.since.isoformat(),
            last_failure_at=failure.last_at.isoformat(),
        )
    healthy = probe.reachable and failure is None
    body = {
        "status": "ok" if healthy else "degraded",
        "service": SERVICE,
        "version": __version__,
        "database": {"reachable": probe.reachable, "id": probe.database_id, "writes": writes},
        "uptime_seconds": round(state.stats.uptime, 3),
        "last_event_at": last.isoformat() if last else None,
    }
    return web.json_response(body, status=200 if healthy else 503)


async def handle_version(request: web.Request) -> web.Response:
    return web.json_response({"service": SERVICE, "version": __version__})


async def handle_metrics(request: web.Request) -> web.Response:
    state = request.app[STATE]
    check_read_key(state, request, "metrics")
    body = await asyncio.to_thread(state.metrics.exposition)
    return web.Response(body=body, headers={"Content-Type": METRICS_CONTENT_TYPE})


def build_app(state: ListenerState, extra_routes: Iterable[web.RouteDef] = ()) -> web.Application:
    """The listener's aiohttp application. ``extra_routes``: room for the proxy (a later issue)."""
    app = web.Application(
        client_max_size=state.settings.max_body_bytes,
        middlewares=[host_guard_middleware(state), cors_middleware(state.settings.cors_origins), errors_middleware],
    )
    app[STATE] = state
    app.add_routes(
        [
            web.post("/ingest", handle_ingest),
            web.post("/v1/traces", handle_traces),
            web.get("/api/status", handle_status),
            web.get("/health", handle_health),
            web.get("/version", handle_version),
            web.get("/metrics", handle_metrics),
            *extra_routes,
        ]
    )
    return app
