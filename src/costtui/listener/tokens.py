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

import hashlib
import re
import secrets as pysecrets
import shlex
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from costtui.store import Store

TOKEN_PREFIX = "ctt_"
PREFIX_LEN = 10
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$")


class TokenError(Exception):
    """A token operation cannot be done; the message says why."""


@dataclass(frozen=True)
class TrackingToken:
    id: int
    name: str
    prefix: str
    enabled: bool
    created_at: str
    disabled_at: str | None = None
    last_used_at: str | None = None

    @property
    def display(self) -> str:
        return self.prefix + "…"

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "prefix": self.display,
            "enabled": self.enabled,
            "created_at": self.created_at,
            "disabled_at": self.disabled_at,
            "last_used_at": self.last_used_at,
        }


@dataclass(frozen=True)
class NewToken:
    token: TrackingToken
    secret: str
    """The token itself: shown once, never stored."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _row(r: dict[str, Any]) -> TrackingToken:
    return TrackingToken(
        id=r["id"],
        name=r["name"],
        prefix=r["prefix"],
        enabled=bool(r["enabled"]),
        created_at=r["created_at"],
        disabled_at=r["disabled_at"],
        last_used_at=r["last_used_at"],
    )


def validate_name(name: str) -> str:
    name = name.strip()
    if not NAME_RE.match(name):
        raise TokenError(
            f"invalid app name {name!r}: use 1-64 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit"
        )
    return name


class TokenRepo:
    """Create, list, enable/disable and delete tracking tokens in a store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, name: str) -> NewToken:
        name = validate_name(name)
        secret = TOKEN_PREFIX + pysecrets.token_urlsafe(24)
        with self.store.transaction() as conn:
            if conn.execute("SELECT 1 FROM tracking_tokens WHERE name = ?", (name,)).fetchone():
                raise TokenError(
                    f"a tracking token named {name!r} already exists (delete it first, or pick another name)"
                )
            conn.execute(
                "INSERT INTO tracking_tokens (name, token_hash, prefix, enabled, created_at) VALUES (?, ?, ?, 1, ?)",
                (name, hash_token(secret), secret[:PREFIX_LEN], _now()),
            )
        token = self.get(name)
        assert token is not None
        return NewToken(token, secret)

    def get(self, name: str) -> TrackingToken | None:
        rows = self.store.query("SELECT * FROM tracking_tokens WHERE name = ?", [name.strip()])
        return _row(rows[0]) if rows else None

    def list(self) -> list[TrackingToken]:
        return [_row(r) for r in self.store.query("SELECT * FROM tracking_tokens ORDER BY name")]

    def _require(self, name: str) -> TrackingToken:
        token = self.get(name)
        if token is None:
            raise TokenError(f"no tracking token named {name!r} (see `costtui tokens list`)")
        return token

    def set_enabled(self, name: str, enabled: bool) -> TrackingToken:
        token = self._require(name)
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE tracking_tokens SET enabled = ?, disabled_at = ? WHERE id = ?",
                (int(enabled), None if enabled else _now(), token.id),
            )
        return self._require(name)

    def delete(self, name: str) -> None:
        token = self._require(name)
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM tracking_tokens WHERE id = ?", (token.id,))

    def lookup(self, secret: str) -> TrackingToken | None:
        rows = self.store.query("SELECT * FROM tracking_tokens WHERE token_hash = ?", [hash_token(secret)])
        return _row(rows[0]) if rows else None

    def touch(self, names: set[str] | list[str]) -> None:
        if not names:
            return
        now = _now()
        with self.store.transaction() as conn:
            conn.executemany("UPDATE tracking_tokens SET last_used_at = ? WHERE name = ?", [(now, n) for n in names])


class TokenCache:
    """Per-request token lookups with a short TTL, so a token disabled by another process (the
    CLI, the TUI) is refused within ``ttl`` seconds without a database read per request."""

    def __init__(self, repo: TokenRepo, ttl: float = 1.0) -> None:
        self.repo = repo
        self.ttl = ttl
        self._cache: dict[str, tuple[float, TrackingToken | None]] = {}
        self._lock = threading.Lock()

    def lookup(self, secret: str) -> TrackingToken | None:
        key = hash_token(secret)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit[0] < self.ttl:
                return hit[1]
        token = self.repo.lookup(secret)
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
