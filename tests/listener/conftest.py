"""Fixtures: a real listener on 127.0.0.1 (port 0) over a temporary database, and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from listener_helpers import INGEST_KEY

from costtui.config import ListenerSettings
from costtui.listener import Listener
from costtui.listener.tokens import create_token
from costtui.store import Store


@pytest.fixture
def tokens(db_path: Path) -> dict[str, str]:
    """Three tracking tokens: an enabled app, a disabled app, and one deleted (unknown)."""
    with Store(db_path) as store:
        good = create_token(store, "billing-bot").secret
        off = create_token(store, "old-app").secret
        store.tokens.set_enabled("old-app", False)
        gone = create_token(store, "gone-app").secret
        store.tokens.delete("gone-app")
    return {"good": good, "disabled": off, "unknown": gone}


@pytest.fixture
def listener_settings() -> ListenerSettings:
    return ListenerSettings(port=0, max_events_per_request=100)


@pytest.fixture
async def listener(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, listener_settings: ListenerSettings, tokens: dict[str, str]
) -> AsyncIterator[Listener]:
    monkeypatch.setenv("COSTTUI_INGEST_KEY", INGEST_KEY)
    lst = Listener(db_path, listener_settings, port=0)
    await lst.start()
    try:
        yield lst
    finally:
        await lst.stop()


@pytest.fixture
async def client(listener: Listener) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=listener.url) as session:
        yield session
