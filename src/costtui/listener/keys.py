"""The listener's two keys: the ingest key (to push events) and the read key (to read status
and metrics from another machine).

Each comes from ``COSTTUI_INGEST_KEY`` / ``COSTTUI_READ_KEY`` when set (``costtui.secrets`` looks
there first), else from the keyring, where it is generated on first use. Keys are never logged
and never stored in SQLite; only :func:`costtui.formatting.fingerprint` is shown.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import secrets as pysecrets
from dataclasses import dataclass

from costtui.formatting import fingerprint

INGEST_KEY = "ingest_key"
READ_KEY = "read_key"
PREFIXES = {INGEST_KEY: "cti_", READ_KEY: "ctr_"}
ENV_NAMES = {INGEST_KEY: "COSTTUI_INGEST_KEY", READ_KEY: "COSTTUI_READ_KEY"}


class KeyUnavailable(Exception):
    """No key could be read or generated (the keyring is locked or unusable)."""


@dataclass(frozen=True)
class KeyInfo:
    name: str
    value: str
    source: str
    """``env:COSTTUI_INGEST_KEY`` or the keyring backend's name."""
    generated: bool = False
    """True when this call created the key (show it once)."""

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.value)

    def __repr__(self) -> str:  # never print the key itself
        return f"KeyInfo(name={self.name!r}, fingerprint={self.fingerprint!r}, source={self.source!r})"

    __str__ = __repr__


def new_key(name: str) -> str:
    return PREFIXES.get(name, "ct_") + pysecrets.token_urlsafe(32)


def get_key(name: str, *, generate: bool = True) -> KeyInfo | None:
    """The key ``name``; generated and kept in the keyring when missing and ``generate``.

    Raises :class:`KeyUnavailable` with a message saying how to provide one.
    """
    from costtui import secrets as cred

    env = ENV_NAMES.get(name, "COSTTUI_" + name.upper())
    try:
        value = cred.get_secret(name)
        if value:
            return KeyInfo(name, value, cred.secret_source(name) or "keyring")
        if not generate:
            return None
        value = new_key(name)
        cred.set_secret(name, value)
        return KeyInfo(name, value, cred.backend_name(), generated=True)
    except cred.SecretsError as exc:
        raise KeyUnavailable(
            f"cannot read or create the {name.replace('_', ' ')}: {exc}. "
            f"Set {env}=<a long random string> in the environment, or unlock the keyring "
            "(see `costtui keys backend`)."
        ) from None


def rotate_key(name: str) -> KeyInfo:
    from costtui import secrets as cred

    value = new_key(name)
    try:
        cred.set_secret(name, value)
    except cred.SecretsError as exc:
        raise KeyUnavailable(f"cannot store a new {name.replace('_', ' ')}: {exc}") from None
    return KeyInfo(name, value, cred.backend_name(), generated=True)


def same_key(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; a missing side never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


@functools.lru_cache(maxsize=4096)
def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``; ``0.0.0.0`` and ``::`` are not loopback."""
    h = host.strip().strip("[]")
    if h.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False
