"""A headless first run (SSH, no system keyring, no passphrase): the ingest key just works."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import keyring
import pytest
from click.testing import CliRunner
from keyring.backends import fail
from listener_helpers import good_event

from costtui.cli import cli
from costtui.config import ListenerSettings
from costtui.listener import Listener
from costtui.listener.keys import INGEST_KEY, ListenerKeys
from costtui.secrets import Credentials


@pytest.fixture
def headless() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


async def test_tokens_key_prints_a_key_the_listener_accepts(headless: None, db_path: Path) -> None:
    assert "COSTTUI_KEYRING_PASSPHRASE" not in os.environ
    code, out = run("tokens", "key", "--show", "--quiet")
    assert code == 0, out
    key = out.strip()
    assert key.startswith("cti_") and len(key) > 30 and "\n" not in key
    # The same key again (it is kept), with no prompt and no passphrase.
    assert run("tokens", "key", "--show", "--quiet")[1].strip() == key
    path = ListenerKeys(Credentials()).path(INGEST_KEY)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not list(path.parent.glob(".*.tmp"))

    async with Listener(db_path, ListenerSettings(port=0), credentials=Credentials()) as lst:
        assert lst.ingest_key is not None and lst.ingest_key.value == key
        async with aiohttp.ClientSession(base_url=lst.url) as client:
            ok = await client.post("/ingest", json=good_event(event_id="h1"), headers={"X-Ingest-Key": key})
            assert ok.status == 200, await ok.text()
            wrong = await client.post("/ingest", json=good_event(event_id="h2"), headers={"X-Ingest-Key": "cti_nope"})
            assert wrong.status == 401


def test_plain_tokens_key_says_where_it_is(headless: None) -> None:
    code, out = run("tokens", "key")
    assert code == 0 and "Generated a new ingest key" in out and "key file" in out
    code, out = run("tokens", "key")
    assert "Generated" not in out and "key file" in out


def test_rotate_replaces_the_file_and_keeps_it_private(headless: None) -> None:
    first = run("tokens", "key", "--show", "--quiet")[1].strip()
    code, out = run("tokens", "key", "--rotate")
    assert code == 0 and "restarts" in out
    second = run("tokens", "key", "--show", "--quiet")[1].strip()
    assert second != first and second.startswith("cti_")
    path = ListenerKeys(Credentials()).path(INGEST_KEY)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_loosened_key_file_is_made_private_again(headless: None) -> None:
    keys = ListenerKeys(Credentials())
    created = keys.get(INGEST_KEY)
    assert created is not None
    os.chmod(keys.path(INGEST_KEY), 0o644)
    again = keys.get(INGEST_KEY)
    assert again is not None and again.value == created.value
    assert stat.S_IMODE(keys.path(INGEST_KEY).stat().st_mode) == 0o600


def test_a_key_kept_in_the_encrypted_file_by_older_versions_is_kept(
    headless: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keyrings.cryptfile.cryptfile import CryptFileKeyring

    monkeypatch.setattr(CryptFileKeyring, "time_cost", 1)
    monkeypatch.setattr(CryptFileKeyring, "memory_cost", 8)
    monkeypatch.setattr(CryptFileKeyring, "parallelism", 1)
    monkeypatch.setenv("COSTTUI_KEYRING_PASSPHRASE", "pw")
    cred = Credentials()
    cred.set_secret(INGEST_KEY, "cti_from-an-older-version-0123456789")
    info = ListenerKeys(cred).get(INGEST_KEY)
    assert info is not None and info.value == "cti_from-an-older-version-0123456789" and not info.generated
    monkeypatch.delenv("COSTTUI_KEYRING_PASSPHRASE")
    # From now on it needs no passphrase.
    assert run("tokens", "key", "--show", "--quiet")[1].strip() == "cti_from-an-older-version-0123456789"


def test_with_a_system_keyring_the_key_goes_there(memory_keyring) -> None:
    key = run("tokens", "key", "--show", "--quiet")[1].strip()
    assert memory_keyring.store[("costtui", "ingest_key")] == key
    assert not ListenerKeys(Credentials()).path(INGEST_KEY).exists()
