"""Which key made a call, without keeping the key: ``prefix…last4#<8 hex of an HMAC>``.

The prefix…last4 part is what people recognise (the Quotas and Proxy screens show it); the HMAC
part (SHA-256 keyed with a secret made once per installation, kept beside the listener's keys,
never in SQLite) tells apart two keys that share their ends. A fixed salt would let anyone with
the database test guessed keys; the per-installation secret does not.
"""

from __future__ import annotations

import hashlib
import hmac

from costtui.formatting import fingerprint

SECRET_NAME = "proxy_fp_secret"
"""The installation's HMAC secret, kept by :class:`costtui.listener.keys.ListenerKeys`."""


class KeyFingerprints:
    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def __call__(self, key: str) -> str:
        digest = hmac.new(self._secret, key.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()
        return f"{fingerprint(key)}#{digest[:8]}"
