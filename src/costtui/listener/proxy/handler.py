"""The proxy's handlers: forward a call to its upstream, relay the answer as it comes, record it.

The client's key goes to the upstream as the client sent it and is never kept: only its
fingerprint is recorded. The answer (status, headers, body) is the upstream's own; streams are
relayed chunk by chunk. The usage event is queued for the batched writer only after the last byte
went to the client, so recording never delays or breaks an answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
import uuid
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from costtui.config import ProxySettings
from costtui.listener.app import STATE, ApiError, ListenerState, gunzip, resolve_tokens
from costtui.listener.proxy.cache import ResponseCache, cache_key, kept_headers
from costtui.listener.proxy.errors import error_response
from costtui.listener.proxy.keyfp import KeyFingerprints
from costtui.listener.proxy.upstreams import Style, Upstream, Upstreams
from costtui.listener.proxy.usage import Outcome, StreamReader, error_from_body, from_body
from costtui.models import MAX_NAME, MAX_TAGS, UsageEvent, check_identifier
from costtui.pricing import Pricer
from costtui.rules.policy import AllowAll, Decision, ProxyCall, ProxyPolicy
from costtui.store.proxy import CachedAnswer

log = logging.getLogger("costtui.proxy")

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
"""Headers that describe one connection, not the message: never forwarded either way."""
_RESPONSE_DROP = HOP_BY_HOP | {"content-encoding"}
_REQUEST_DROP = HOP_BY_HOP | {"content-encoding", "accept-encoding"}
"""The upstream's body reaches us decompressed; aiohttp frames and sizes it again for the client."""
_OPENAI_OPS = {"/chat/completions": "chat", "/embeddings": "embeddings", "/responses": "responses"}
_GEMINI_CALL = re.compile(r"models/(?P<model>[^/:]+):(?P<action>generateContent|streamGenerateContent)")
_RATE_MARKERS = (
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "anthropic-ratelimit-requests-remaining",
    "anthropic-ratelimit-tokens-remaining",
    "anthropic-ratelimit-input-tokens-remaining",
)
CLIENT_CLOSED = 499
RECORD_DELAY = 0.05
"""Seconds a finished call waits for others before they are committed together."""
BODY_LIMIT = 256 * 1024
"""Most of a request or response body kept when ``store_bodies`` is on."""


@dataclass
class Call:
    """One proxied call while it runs."""

    upstream: Upstream
    operation: str
    started: float
    ts: datetime
    key_fp: str | None
    model: str
    stream: bool
    attribution: dict[str, Any] = field(default_factory=dict)
    retries: int = 0
    policy_call: ProxyCall | None = None
    decision: Decision | None = None
    cache_key: str | None = None
    """Set when this call may be answered from (and stored in) the response cache."""
    request_body: bytes | None = None
    """Kept only when ``store_bodies`` is on."""


def _key(request: web.Request, style: Style) -> str | None:
    """The provider key the client sent (never stored, never logged)."""
    h = request.headers
    if style == "gemini":
        return h.get("x-goog-api-key") or request.query.get("key") or None
    if style == "anthropic" and h.get("x-api-key"):
        return h["x-api-key"]
    auth = h.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _no_key_message(style: Style) -> str:
    where = {
        "openai": "an Authorization: Bearer header",
        "anthropic": "an x-api-key header (or Authorization: Bearer)",
        "gemini": "an x-goog-api-key header or a key= query parameter",
    }[style]
    return (
        f"costtui proxy: no API key in the request. Send your provider key as {where}; "
        "costtui passes it to the provider and never stores it."
    )


def _text_of(value: Any, out: list[str], depth: int = 0) -> None:
    """The prompt text in a messages/input/contents structure (for content filters)."""
    if depth > 6:
        return
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, list):
        for item in value:
            _text_of(item, out, depth + 1)
    elif isinstance(value, dict):
        for key in ("text", "content", "parts", "input", "system", "instructions", "systemInstruction"):
            if key in value:
                _text_of(value[key], out, depth + 1)


def prompt_text(body: dict[str, Any]) -> str:
    parts: list[str] = []
    for key in ("system", "instructions", "systemInstruction", "messages", "input", "contents", "prompt"):
        if key in body:
            _text_of(body[key], parts)
    return "\n".join(parts)


def _max_output(body: dict[str, Any]) -> int | None:
    for key in ("max_completion_tokens", "max_tokens", "max_output_tokens"):
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    config = body.get("generationConfig")
    if isinstance(config, dict) and isinstance(config.get("maxOutputTokens"), int):
        return int(config["maxOutputTokens"])
    return None


def _short(value: Any) -> str | None:
    """A name from a request body (``user``, ``metadata.user_id``): kept when it is one."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return check_identifier(value.strip()[:MAX_NAME])
    except ValueError:
        return None


class Proxy:
    """The proxy of one listener: its upstreams, its HTTP client, its policy and its pending records."""

    def __init__(
        self,
        settings: ProxySettings | None = None,
        policy: ProxyPolicy | None = None,
        *,
        environ: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings or ProxySettings()
        self.policy: ProxyPolicy = policy or AllowAll()
        self.upstreams = Upstreams(self.settings, environ)
        self.fingerprint: KeyFingerprints | None = None
        self.pricer = Pricer()
        self._session: aiohttp.ClientSession | None = None
        self._state: ListenerState | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._queued: list[tuple[Call, UsageEvent]] = []
        self._bodies: list[tuple[str, datetime, str | None, str | None]] = []
        self._quota_pending: dict[str, tuple[str, Mapping[str, str], datetime]] = {}
        self._quota_task: asyncio.Task[None] | None = None
        self.cache: ResponseCache | None = None
        self.recorded = 0
        """Calls handed to the writer since start (the benchmark checks it)."""

    # ------------------------------------------------------------------ lifecycle

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1/chat/completions", self.handle_openai),
            web.post("/v1/embeddings", self.handle_openai),
            web.post("/v1/responses", self.handle_openai),
            web.post("/v1/messages", self.handle_messages),
            web.route("*", "/v1beta/{tail:.*}", self.handle_gemini),
            web.route("*", "/v1/{tail:.*}", self.handle_passthrough),
            web.route("*", "/{upstream}/v1/{tail:.*}", self.handle_prefixed),
            web.route("*", "/{upstream}/v1beta/{tail:.*}", self.handle_prefixed_gemini),
        ]

    async def start(self, state: ListenerState, fp_secret: str) -> None:
        self._state = state
        self.fingerprint = KeyFingerprints(fp_secret)
        self.cache = ResponseCache(self.settings, state.writer, state.read_store)
        overrides = await asyncio.to_thread(state.read_store.price_overrides)
        self.pricer.set_overrides(overrides)
        s = self.settings
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=60, ttl_dns_cache=300),
            timeout=aiohttp.ClientTimeout(
                total=None, connect=s.connect_timeout_seconds, sock_read=s.read_timeout_seconds
            ),
            auto_decompress=True,
            skip_auto_headers=("User-Agent",),
        )
        if s.quota_interval_seconds > 0:
            self._quota_task = asyncio.create_task(self._quota_loop(), name="costtui-proxy-quotas")

    async def drain(self) -> None:
        """Wait until every finished call is committed (tests, shutdown)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def close(self) -> None:
        """Finish queuing what was recorded (the writer then commits it), close the HTTP client."""
        if self._quota_task is not None:
            self._quota_task.cancel()
            self._quota_task = None
        await self.drain()
        await self._flush_quotas()
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ------------------------------------------------------------------ routes

    async def handle_openai(self, request: web.Request) -> web.StreamResponse:
        tail = request.path[3:]  # after /v1
        return await self._call(request, None, "openai", _OPENAI_OPS[tail], tail)

    async def handle_messages(self, request: web.Request) -> web.StreamResponse:
        return await self._call(request, None, "anthropic", "messages", "/messages")

    async def handle_gemini(self, request: web.Request) -> web.StreamResponse:
        return await self._gemini(request, self.upstreams.by_name["gemini"])

    async def handle_prefixed_gemini(self, request: web.Request) -> web.StreamResponse:
        upstream = self.upstreams.get(request.match_info["upstream"])
        if upstream is None or upstream.style != "gemini":
            return self._unknown_upstream(request, "gemini")
        return await self._gemini(request, upstream)

    async def _gemini(self, request: web.Request, upstream: Upstream) -> web.StreamResponse:
        tail = "/v1beta/" + request.match_info["tail"]
        match = _GEMINI_CALL.fullmatch(request.match_info["tail"])
        if request.method == "POST" and match:
            return await self._call(request, upstream, "gemini", "generate_content", tail, model=match["model"])
        return await self._passthrough(request, upstream, tail)

    async def handle_passthrough(self, request: web.Request) -> web.StreamResponse:
        # Anthropic's SDKs always send anthropic-version; everything else is OpenAI-style.
        name = "anthropic" if "anthropic-version" in request.headers else "openai"
        return await self._passthrough(request, self.upstreams.by_name[name], "/" + request.match_info["tail"])

    async def handle_prefixed(self, request: web.Request) -> web.StreamResponse:
        upstream = self.upstreams.get(request.match_info["upstream"])
        if upstream is None:
            return self._unknown_upstream(request, "openai")
        tail = "/" + request.match_info["tail"]
        if request.method == "POST":
            if upstream.style == "anthropic" and tail == "/messages":
                return await self._call(request, upstream, "anthropic", "messages", tail)
            if upstream.style == "openai" and tail in _OPENAI_OPS:
                return await self._call(request, upstream, "openai", _OPENAI_OPS[tail], tail)
        return await self._passthrough(request, upstream, tail)

    def _unknown_upstream(self, request: web.Request, style: Style) -> web.Response:
        known = ", ".join(sorted(self.upstreams.by_name))
        return error_response(
            style,
            404,
            f"costtui proxy: no upstream named {request.match_info['upstream']!r} (known: {known}; "
            "add one under [proxy.upstreams] in the config)",
        )

    # ------------------------------------------------------------------ forwarding

    def _forward_headers(self, request: web.Request, state: ListenerState) -> CIMultiDict[str]:
        token_header = state.settings.tracking_token_header.lower()
        out: CIMultiDict[str] = CIMultiDict()
        for name, value in request.headers.items():
            low = name.lower()
            # The body goes out decompressed (read_body undid any gzip), and the answer is asked
            # for uncompressed so that its usage can be read on the way.
            if low in _REQUEST_DROP or low.startswith("x-costtui-") or low == token_header:
                continue
            out.add(name, value)
        return out

    @staticmethod
    def _response_headers(headers: CIMultiDictProxy[str]) -> CIMultiDict[str]:
        out: CIMultiDict[str] = CIMultiDict()
        for name, value in headers.items():
            if name.lower() not in _RESPONSE_DROP:
                out.add(name, value)
        return out

    async def _read_body(self, request: web.Request) -> bytes:
        limit = self.settings.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise ApiError(413, f"request body too large ({request.content_length:,} bytes): the limit is {limit:,}")
        chunks: list[bytes] = []
        size = 0
        while chunk := await request.content.readany():
            size += len(chunk)
            if size > limit:
                raise ApiError(
                    413, f"request body too large: the proxy's limit is {limit:,} bytes (proxy.max_body_bytes)"
                )
            chunks.append(chunk)
        raw = b"".join(chunks)
        encoding = request.headers.get("Content-Encoding", "").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            return gunzip(raw, limit)
        return raw

    async def _passthrough(self, request: web.Request, upstream: Upstream, tail: str) -> web.StreamResponse:
        """Any other call (listing models, counting tokens...): relayed as it is, not recorded."""
        state = request.app[STATE]
        assert self._session is not None
        try:
            raw = await self._read_body(request)
        except ApiError as exc:
            return error_response(upstream.style, exc.status, exc.message)
        headers = self._forward_headers(request, state)
        url = upstream.url(tail) + (f"?{request.query_string}" if request.query_string else "")
        try:
            async with self._session.request(request.method, url, data=raw or None, headers=headers) as resp:
                return await self._relay_plain(request, resp)
        except TimeoutError:
            return error_response(upstream.style, 504, f"costtui proxy: upstream {upstream.name} timed out")
        except aiohttp.ClientError as exc:
            return error_response(upstream.style, 502, self._connect_error(upstream, exc))

    async def _relay_plain(self, request: web.Request, resp: aiohttp.ClientResponse) -> web.StreamResponse:
        out = web.StreamResponse(status=resp.status, reason=resp.reason, headers=self._response_headers(resp.headers))
        await out.prepare(request)
        async for chunk in resp.content.iter_any():
            await out.write(chunk)
        await out.write_eof()
        return out

    @staticmethod
    def _connect_error(upstream: Upstream, exc: BaseException) -> str:
        # Never str(exc) of every kind: some carry the request URL, and Gemini's has ?key=.
        if isinstance(exc, aiohttp.ClientConnectorError):
            why = exc.os_error.strerror or type(exc.os_error).__name__
            return f"costtui proxy: cannot reach upstream {upstream.name} ({exc.host}:{exc.port}): {why}"
        return f"costtui proxy: upstream {upstream.name} failed: {type(exc).__name__}"

    async def _call(
        self,
        request: web.Request,
        upstream: Upstream | None,
        style: Style,
        operation: str,
        tail: str,
        *,
        model: str | None = None,
    ) -> web.StreamResponse:
        started = time.perf_counter()
        ts = datetime.now(UTC)
        state = request.app[STATE]
        assert self._session is not None and self.fingerprint is not None
        key = _key(request, style)
        if key is None:
            return error_response(style, 401, _no_key_message(style), "missing_api_key")
        try:
            raw = await self._read_body(request)
            body = self._json(raw)
            if upstream is None:
                upstream = self.upstreams.for_model(body.get("model"), style)
            call = await self._describe(request, state, upstream, operation, body, key, started, ts, model)
        except ApiError as exc:
            return error_response(style, exc.status, f"costtui proxy: {exc.message}", headers=exc.headers)

        decision = await self.policy.admit(call.policy_call)  # type: ignore[arg-type]
        call.decision = decision
        if not decision.allowed:
            message = f"blocked by rule {decision.rule}: {decision.message}"
            self._record(call, decision.status, message, Outcome(), None)
            # A per-minute limit knows when it frees up: SDKs wait that long before their retry.
            retry = {"Retry-After": str(max(1, math.ceil(decision.retry_after)))} if decision.retry_after else None
            return error_response(style, decision.status, f"costtui proxy: {message}", decision.rule, retry)

        if self.settings.store_bodies:
            call.request_body = raw
        try:
            use_cache = self._cache_wanted(request, call)
        except ApiError as exc:
            return error_response(style, exc.status, f"costtui proxy: {exc.message}")
        if use_cache:
            assert self.cache is not None and call.key_fp is not None
            call.cache_key = cache_key(call.key_fp, upstream.name, tail, body)
            hit = await self.cache.get(call.cache_key)
            if hit is not None:
                return await self._replay(request, call, hit)

        strip = False
        if operation == "chat" and call.stream:
            options = body.get("stream_options")
            if not (isinstance(options, dict) and options.get("include_usage") is True):
                # Ask for usage anyway; the client gets the stream it asked for (see StreamReader).
                body["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}
                raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
                strip = True
        headers = self._forward_headers(request, state)
        url = upstream.url(tail) + (f"?{request.query_string}" if request.query_string else "")
        try:
            async with self._session.request(request.method, url, data=raw, headers=headers) as resp:
                self._note_rate_limits(call, resp.headers)
                if resp.content_type == "text/event-stream":
                    return await self._relay_stream(request, call, resp, strip)
                return await self._relay_whole(request, call, resp)
        except TimeoutError:
            message = f"costtui proxy: upstream {upstream.name} timed out"
            self._record(call, 504, message, Outcome(), None)
            return error_response(style, 504, message)
        except aiohttp.ClientError as exc:
            message = self._connect_error(upstream, exc)
            self._record(call, 502, message, Outcome(), None)
            return error_response(style, 502, message)

    def _cache_wanted(self, request: web.Request, call: Call) -> bool:
        value = request.headers.get("X-Costtui-Cache")
        if value is None:
            wanted = self.settings.cache
        elif value.strip().lower() in ("on", "true", "1", "yes"):
            wanted = True
        elif value.strip().lower() in ("off", "false", "0", "no"):
            wanted = False
        else:
            raise ApiError(400, f"X-Costtui-Cache must be on or off, got {value[:40]!r}")
        # Streams are relayed as they come and never kept whole.
        return wanted and not call.stream

    async def _replay(self, request: web.Request, call: Call, hit: CachedAnswer) -> web.StreamResponse:
        out = web.Response(body=hit.body, status=hit.status, headers={**hit.headers, "X-Costtui-Cache": "hit"})
        await out.prepare(request)
        await out.write_eof()
        outcome = from_body(call.upstream.style, call.operation, hit.body)
        outcome.tokens = None  # nothing was processed upstream: no tokens, no cost
        self._record(call, hit.status, None, outcome, None, hit=hit, response_body=hit.body)
        return out

    @staticmethod
    def _json(raw: bytes) -> dict[str, Any]:
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "the request body is not JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "the request body is not a JSON object")
        return body

    async def _describe(
        self,
        request: web.Request,
        state: ListenerState,
        upstream: Upstream,
        operation: str,
        body: dict[str, Any],
        key: str,
        started: float,
        ts: datetime,
        model: str | None,
    ) -> Call:
        h = request.headers
        attribution: dict[str, Any] = {}
        for field_name in ("user", "team", "project"):
            value = h.get(f"X-Costtui-{field_name.title()}")
            if value is not None:
                try:
                    attribution[field_name] = check_identifier(value.strip()[: MAX_NAME + 1])
                except ValueError as exc:
                    raise ApiError(400, f"X-Costtui-{field_name.title()}: {exc}") from None
                if len(attribution[field_name]) > MAX_NAME:
                    raise ApiError(400, f"X-Costtui-{field_name.title()} is longer than {MAX_NAME} characters")
        if "user" not in attribution:
            metadata = body.get("metadata")
            user = _short(body.get("user")) or (_short(metadata.get("user_id")) if isinstance(metadata, dict) else None)
            if user:
                attribution["user"] = user
        if tags := h.get("X-Costtui-Tags"):
            items = [t.strip() for t in tags.split(",") if t.strip()]
            if len(items) > MAX_TAGS or any(len(t) > MAX_NAME for t in items):
                raise ApiError(400, f"X-Costtui-Tags: at most {MAX_TAGS} tags of {MAX_NAME} characters")
            try:
                attribution["tags"] = [check_identifier(t) for t in items]
            except ValueError as exc:
                raise ApiError(400, f"X-Costtui-Tags: {exc}") from None
        token_name = state.settings.tracking_token_header
        if token := h.get(token_name):
            apps = await resolve_tokens(state, "proxy", [token.strip()])
            attribution["app"] = apps[token.strip()]
        try:
            retries = max(0, min(int(h.get("x-stainless-retry-count", "0")), 1000))
        except ValueError:
            retries = 0
        assert self.fingerprint is not None
        key_fp = self.fingerprint(key)
        name = model or body.get("model")
        model_name = name.strip()[:MAX_NAME] if isinstance(name, str) and name.strip() else "unknown"
        stream = operation == "generate_content" and request.path.endswith(":streamGenerateContent")
        stream = stream or body.get("stream") is True
        text = prompt_text(body)
        call = Call(upstream, operation, started, ts, key_fp, model_name, stream, attribution, retries)
        call.policy_call = ProxyCall(
            provider=upstream.provider,
            model=model_name,
            operation=operation,
            key_fp=key_fp,
            app=attribution.get("app"),
            user=attribution.get("user"),
            team=attribution.get("team"),
            project=attribution.get("project"),
            text=text,
            input_tokens_estimate=len(text) // 4,
            max_output_tokens=_max_output(body),
            stream=stream,
        )
        return call

    async def _relay_whole(self, request: web.Request, call: Call, resp: aiohttp.ClientResponse) -> web.StreamResponse:
        raw = await resp.read()
        out = web.Response(
            body=raw, status=resp.status, reason=resp.reason, headers=self._response_headers(resp.headers)
        )
        await out.prepare(request)
        await out.write_eof()
        if resp.status >= 400:
            self._record(call, resp.status, error_from_body(raw, resp.status), Outcome(), None, response_body=raw)
            if resp.status == 429 and call.upstream.provider == "gemini":
                self._spawn(self._note_gemini_quota(call, raw))
        else:
            outcome = from_body(call.upstream.style, call.operation, raw)
            outcome.finish(call.operation)
            fresh = None
            if call.cache_key is not None and resp.status == 200 and outcome.error is None:
                fresh = CachedAnswer(resp.status, kept_headers(resp.headers), raw, None)
            self._record(call, resp.status, outcome.error, outcome, None, fresh=fresh, response_body=raw)
        return out

    async def _relay_stream(
        self, request: web.Request, call: Call, resp: aiohttp.ClientResponse, strip: bool
    ) -> web.StreamResponse:
        reader = StreamReader(call.upstream.style, call.operation, strip_usage=strip)
        kept: list[bytes] | None = [] if self.settings.store_bodies else None
        kept_size = 0
        out = web.StreamResponse(status=resp.status, reason=resp.reason, headers=self._response_headers(resp.headers))
        await out.prepare(request)
        ttft: float | None = None
        try:
            async for chunk in resp.content.iter_any():
                if ttft is None:
                    ttft = time.perf_counter()
                passed = reader.feed(chunk)
                if passed:
                    await out.write(passed)
                    if kept is not None and kept_size < BODY_LIMIT:
                        kept.append(passed)
                        kept_size += len(passed)
        except (ConnectionResetError, aiohttp.ClientConnectionResetError):
            reader.out.error = "the client closed the connection mid-stream"
            self._record(call, CLIENT_CLOSED, reader.out.error, reader.out, ttft)
            return out
        except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, TimeoutError) as exc:
            what = "timed out" if isinstance(exc, TimeoutError) else "closed the connection"
            reader.out.error = f"the upstream {what} mid-stream"
            self._record(call, resp.status, reader.out.error, reader.out, ttft, failed=True)
            # The client must see the cut too, not a stream that ends cleanly.
            if request.transport is not None:
                request.transport.close()
            return out
        tail = reader.close()
        try:
            if tail:
                await out.write(tail)
            await out.write_eof()
        except (ConnectionResetError, aiohttp.ClientConnectionResetError):
            pass
        whole = b"".join(kept) if kept is not None else None
        if resp.status >= 400:
            self._record(call, resp.status, f"upstream {resp.status}", reader.out, ttft, response_body=whole)
        else:
            self._record(call, resp.status, reader.out.error, reader.out, ttft, response_body=whole)
        return out

    # ------------------------------------------------------------------ recording

    def _record(
        self,
        call: Call,
        status_code: int,
        error: str | None,
        outcome: Outcome,
        first_byte: float | None,
        *,
        failed: bool = False,
        hit: CachedAnswer | None = None,
        fresh: CachedAnswer | None = None,
        response_body: bytes | None = None,
    ) -> None:
        """Build the call's event and queue it (and the policy's settlement) without waiting."""
        now = time.perf_counter()
        flags = list(outcome.flags)
        if call.decision is not None:
            flags += [f for f in call.decision.flags if f not in flags]
        tokens: dict[str, Any] = dict(outcome.tokens or {})
        ok = error is None and status_code < 400 and not failed
        try:
            event = UsageEvent(
                event_id="px_" + uuid.uuid4().hex,
                ts=call.ts,
                provider=call.upstream.provider,
                model=(outcome.model or call.model)[:MAX_NAME],
                operation=call.operation,
                source="proxy",
                api_key_fp=call.key_fp,
                latency_ms=int((now - call.started) * 1000),
                ttft_ms=None if first_byte is None else int((first_byte - call.started) * 1000),
                status="ok" if ok else "error",
                status_code=status_code,
                error=None if error is None else error[:2000],
                retries=call.retries,
                flags=flags[:MAX_TAGS],
                cache_hit=hit is not None,
                cost_usd=Decimal(0) if hit is not None else None,
                saved_usd=hit.cost_usd if hit is not None else None,
                **call.attribution,
                **tokens,
            )
        except ValueError as exc:
            log.warning("proxy: cannot record a %s call: %s", call.upstream.name, exc)
            return
        if fresh is not None and call.cache_key is not None and self.cache is not None:
            answer = CachedAnswer(fresh.status, fresh.headers, fresh.body, self.pricer.price(event).cost_usd)
            self._spawn(self.cache.put(call.cache_key, event.provider, event.model, answer))
        if self.settings.store_bodies:
            self._bodies.append(
                (event.event_id or "", event.ts, self._redacted(call.request_body), self._redacted(response_body))
            )
        self._queued.append((call, event))
        if len(self._queued) == 1:
            # Calls finishing within RECORD_DELAY go to the writer together: one task, one commit.
            # A commit per call would make the writer's thread take the GIL from the loop after
            # every answer (up to the 5 ms switch interval), which is what a caller would feel.
            self._spawn(self._store())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _redacted(self, raw: bytes | None) -> str | None:
        if raw is None:
            return None
        text = raw[:BODY_LIMIT].decode("utf-8", "replace")
        try:
            return self.policy.redact(text)
        except Exception:
            log.exception("proxy: the policy failed to redact a body; it is not stored")
            return None

    async def _store(self) -> None:
        assert self._state is not None
        await asyncio.sleep(RECORD_DELAY)
        batch, self._queued = self._queued, []
        bodies, self._bodies = self._bodies, []
        if not isinstance(self.policy, AllowAll):
            for call, event in batch:
                if call.decision is None or call.policy_call is None:
                    continue
                cost: Decimal | None = None
                if event.status == "ok" or event.total_tokens:
                    cost = self.pricer.price(event).cost_usd
                try:
                    await self.policy.settle(call.policy_call, call.decision, cost, event.total_tokens)
                except Exception:
                    log.exception("proxy: the policy failed to settle a call")
        try:
            await self._state.writer.submit([event for _, event in batch])
            self.recorded += len(batch)
        except Exception as exc:
            log.warning("proxy: %d calls could not be recorded: %s", len(batch), exc)
        if bodies:
            days = self.settings.body_retention_days
            try:
                await self._state.writer.call(lambda store: store.proxy.put_bodies(bodies, days))
            except Exception as exc:
                log.warning("proxy: cannot store request bodies: %s", exc)

    # ------------------------------------------------------------------ rate limits

    def _note_rate_limits(self, call: Call, headers: CIMultiDictProxy[str]) -> None:
        if self.settings.quota_interval_seconds <= 0 or call.key_fp is None:
            return
        if any(name in headers for name in _RATE_MARKERS):
            # Only the newest per key is kept (the answer's own read-only headers: parsed when
            # written); the loop writes it at most once per interval.
            self._quota_pending[call.key_fp] = (call.upstream.provider, headers, datetime.now(UTC))

    async def _note_gemini_quota(self, call: Call, body: bytes) -> None:
        """Gemini API keys have no quota endpoint: the quotas a 429 names are the only news of them."""
        if self._state is None or call.key_fp is None:
            return
        from costtui.providers.google import quota_from_error

        snapshots = quota_from_error(body, account=call.key_fp)
        if not snapshots:
            return
        try:
            await self._state.writer.call(lambda store: store.billing.record_quotas(snapshots))
        except Exception as exc:
            log.warning("proxy: cannot store the quotas a Gemini 429 named: %s", exc)

    async def _quota_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.quota_interval_seconds)
            await self._flush_quotas()

    async def _flush_quotas(self) -> None:
        if not self._quota_pending or self._state is None:
            return
        from costtui.providers.ratelimit_probe import parse_headers

        pending, self._quota_pending = self._quota_pending, {}
        snapshots = [
            snap
            for fp, (provider, headers, at) in pending.items()
            for snap in parse_headers(provider, headers, account=fp, now=at, source="proxy")
        ]
        if not snapshots:
            return
        try:
            await self._state.writer.call(lambda store: store.billing.record_quotas(snapshots))
        except Exception as exc:
            log.warning("proxy: cannot store rate-limit snapshots: %s", exc)
