"""Tracking tokens: one per app that pushes usage; events are attributed to the token's app name.

Storage decision: only ``sha256(token)`` and a short display prefix are stored, never the token.
A tracking token is not the ingest key, but it *is* what a client presents to be attributed to an
app and what a revoked (disabled) app is refused by; anyone who can read the database (a backup,
a copied file, a shared dashboard box) must not be able to push as that app. Tokens are 192 bits
of randomness, so a plain SHA-256 (no salt, no slow KDF) is enough and keeps the per-request
lookup a single indexed read. The price: the token is shown once, at creation; a lost token is
replaced by deleting and re-creating it (or ``rotate``).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets as pysecrets
import shlex
import threading
import time
from dataclasses import dataclass

from costtui.models import TrackingToken
from costtui.store import Store
from costtui.store.tokens import TokenError

__all__ = [
    "NewToken",
    "TokenCache",
    "TokenError",
    "TrackingToken",
    "create_token",
    "hash_token",
    "snippets",
    "validate_name",
]

TOKEN_PREFIX = "ctt_"
PREFIX_LEN = 10
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$")


@dataclass(frozen=True)
class NewToken:
    token: TrackingToken
    secret: str
    """The token itself: shown once, never stored."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def validate_name(name: str) -> str:
    name = name.strip()
    if not NAME_RE.match(name):
        raise TokenError(
            f"invalid app name {name!r}: use 1-64 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def create_token(store: Store, name: str) -> NewToken:
    """A new tracking token for app ``name``: only its hash and prefix are stored."""
    name = validate_name(name)
    secret = TOKEN_PREFIX + pysecrets.token_urlsafe(24)
    token = store.tokens.add(name, hash_token(secret), secret[:PREFIX_LEN])
    return NewToken(token, secret)


class TokenCache:
    """Per-request token lookups with a short TTL, so a token disabled by another process (the
    CLI, the TUI) is refused within ``ttl`` seconds without a database read per request.

    :meth:`lookup` runs on the listener's loop: a cache miss reads SQLite in a worker thread.
    """

    def __init__(self, store: Store, ttl: float = 1.0) -> None:
        self.store = store
        self.ttl = ttl
        self._cache: dict[str, tuple[float, TrackingToken | None]] = {}
        self._lock = threading.Lock()

    async def lookup(self, secret: str) -> TrackingToken | None:
        key = hash_token(secret)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit[0] < self.ttl:
                return hit[1]
        token = await asyncio.to_thread(self.store.tokens.by_hash, key)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()  # bounded: unknown tokens from a hostile client cannot grow it
            self._cache[key] = (now, token)
        return token

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()


# --------------------------------------------------------------------------- snippets


def snippets(
    base_url: str, token: str, *, ingest_key_hint: str = "$COSTTUI_INGEST_KEY", header: str = "X-Costtui-Token"
) -> dict[str, str]:
    """Copy-ready integration snippets for a token (curl, Python after an OpenAI call, OTel env)."""
    url = base_url.rstrip("/")
    body = (
        '{"tracking_token": "' + token + '", "model": "gpt-4o-mini", '
        '"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}'
    )
    curl = (
        f"curl -sS {url}/ingest \\\n"
        f"  -H 'Content-Type: application/json' \\\n"
        f'  -H "X-Ingest-Key: {ingest_key_hint}" \\\n'
        f"  -d {shlex.quote(body)}"
    )
    python = f'''import os, httpx
from openai import OpenAI

client = OpenAI()
resp = client.chat.completions.create(model="gpt-4o-mini", messages=[{{"role": "user", "content": "hi"}}])

# after the call: push its usage to costtui (OpenAI's usage object is understood as is)
httpx.post(
    "{url}/ingest",
    headers={{"X-Ingest-Key": os.environ["COSTTUI_INGEST_KEY"]}},
    json={{
        "tracking_token": "{token}",
        "provider": "openai",
        "model": resp.model,
        "event_id": resp.id,
        "usage": resp.usage.model_dump(),
    }},
    timeout=2,
)'''
    otel = (
        f"export OTEL_EXPORTER_OTLP_ENDPOINT={url}\n"
        "export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\n"
        f'export OTEL_EXPORTER_OTLP_HEADERS="x-ingest-key={ingest_key_hint},{header.lower()}={token}"\n'
        "export OTEL_TRACES_EXPORTER=otlp"
    )
    return {"curl": curl, "python": python, "otel": otel}
