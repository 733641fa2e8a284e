"""What the plan-source tests share: a provider on a fake API, and an empty remote cache."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from costtui.models import Account
from costtui.providers.remote_cache import CACHE

from .fakes import FakeAPI, Sleeps

NOW = datetime(2026, 8, 21, 12, tzinfo=UTC)
KEY = "sk-test-PLANKEYPLANKEY1234"


def make(cls: Any, api: FakeAPI, base: str | None = None, kind: str = "inference", **opts: str) -> Any:
    acc = Account(id=1, provider=cls.id, key_kind=kind, base_url=base, options=opts)
    return cls(acc, SecretStr(KEY), api.client(), sleep=Sleeps(), now=lambda: NOW, max_retries=1)


@pytest.fixture(autouse=True)
def empty_remote_cache() -> Iterator[None]:
    """The remote cache is per process: every test starts with an empty one."""
    CACHE.clear()
    yield
    CACHE.clear()
