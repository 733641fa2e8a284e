"""A value set in one system keyring must not be served from a cache once another keyring is in use."""

from __future__ import annotations

import keyring


def test_system_keyring_values_are_not_cached_across_backends(credentials) -> None:
    credentials.set_secret("ingest_key", "first-value-1234567890")
    assert credentials.get_secret("ingest_key") == "first-value-1234567890"
    fresh = type(keyring.get_keyring())()  # a new, empty in-memory keyring
    keyring.set_keyring(fresh)
    assert credentials.get_secret("ingest_key") is None
