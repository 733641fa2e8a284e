"""Fixtures of the provider/credentials tests: fast Argon2, a clean secrets state, no keyring."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail


@pytest.fixture(autouse=True)
def clean_secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Cheap Argon2 parameters (the real ones take ~0.3 s per call)."""
    from keyrings.cryptfile.cryptfile import CryptFileKeyring

    monkeypatch.setattr(CryptFileKeyring, "time_cost", 1)
    monkeypatch.setattr(CryptFileKeyring, "memory_cost", 8)
    monkeypatch.setattr(CryptFileKeyring, "parallelism", 1)
    yield


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """A headless server: keyring's `fail` backend, as measured on this machine."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)
