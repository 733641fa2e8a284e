"""Tracking tokens in the store (the ``tracking_tokens`` table), reached as ``store.tokens``.

Only a token's hash and display prefix are stored; making tokens, checking names and hashing
secrets are the listener's business (:mod:`costtui.listener.tokens`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from costtui.models import TrackingToken
from costtui.store.db import StoreError

if TYPE_CHECKING:
    from costtui.store.db import Store


class TokenError(StoreError):
    """A token operation cannot be done; the message says why."""


class TokenExists(TokenError):
    """A token with that name is stored already."""


class TokenNotFound(TokenError):
    """No token with that name is stored."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _ts(text: str | None) -> datetime | None:
    return None if not text else datetime.fromisoformat(text)


def _token_from_row(r: dict[str, Any]) -> TrackingToken:
    created = _ts(r["created_at"])
    assert created is not None
    return TrackingToken(
        id=r["id"],
        name=r["name"],
        prefix=r["prefix"],
        enabled=bool(r["enabled"]),
        created_at=created,
        disabled_at=_ts(r["disabled_at"]),
        last_used_at=_ts(r["last_used_at"]),
    )


class TokenStore:
    """The tracking tokens of one :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, name: str, token_hash: str, prefix: str) -> TrackingToken:
        with self.store.transaction() as conn:
            if conn.execute("SELECT 1 FROM tracking_tokens WHERE name = ?", (name,)).fetchone():
                raise TokenExists(
                    f"a tracking token named {name!r} already exists (delete it first, or pick another name)"
                )
            conn.execute(
                "INSERT INTO tracking_tokens (name, token_hash, prefix, enabled, created_at) VALUES (?, ?, ?, 1, ?)",
                (name, token_hash, prefix, _now()),
            )
        return self.require(name)

    def get(self, name: str) -> TrackingToken | None:
        rows = self.store.query("SELECT * FROM tracking_tokens WHERE name = ?", [name.strip()])
        return _token_from_row(rows[0]) if rows else None

    def require(self, name: str) -> TrackingToken:
        token = self.get(name)
        if token is None:
            raise TokenNotFound(f"no tracking token named {name!r} (see `costtui tokens list`)")
        return token

    def list(self) -> list[TrackingToken]:
        return [_token_from_row(r) for r in self.store.query("SELECT * FROM tracking_tokens ORDER BY name")]

    def by_hash(self, token_hash: str) -> TrackingToken | None:
        rows = self.store.query("SELECT * FROM tracking_tokens WHERE token_hash = ?", [token_hash])
        return _token_from_row(rows[0]) if rows else None

    def set_enabled(self, name: str, enabled: bool) -> TrackingToken:
        token = self.require(name)
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE tracking_tokens SET enabled = ?, disabled_at = ? WHERE id = ?",
                (int(enabled), None if enabled else _now(), token.id),
            )
        return self.require(name)

    def delete(self, name: str) -> None:
        token = self.require(name)
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM tracking_tokens WHERE id = ?", (token.id,))

    def touch(self, names: Iterable[str]) -> None:
        """Record that the apps ``names`` pushed events just now."""
        names = list(names)
        if not names:
            return
        now = _now()
        with self.store.transaction() as conn:
            conn.executemany("UPDATE tracking_tokens SET last_used_at = ? WHERE name = ?", [(now, n) for n in names])
