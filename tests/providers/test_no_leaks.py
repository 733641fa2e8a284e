"""No secret in the database file, the logs, exception messages or CLI output (a grep for it)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from costtui import secrets
from costtui.cli import cli
from costtui.models import Account
from costtui.services.sync import sync
from costtui.services.sync import test_account as check_account
from costtui.store import Store

from .fakes import FakeAPI, Sleeps, js
from .test_sync import NOW

SECRET = "sk-admin-LEAKCANARY-0123456789abcdef"
PASSPHRASE = "passphrase-LEAKCANARY-42"


def echoing_api() -> FakeAPI:
    """A hostile provider that puts the key it received in every error message."""

    def echo(request):
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        return js({"error": {"message": f"Incorrect API key provided: {key}"}}, 401)

    api = FakeAPI()
    for path in ("/v1/organization/costs", "/v1/organization/spend_limit"):
        api.add("GET", path, echo)
    return api


@pytest.mark.parametrize("backend", ["memory", "file"])
async def test_secret_never_leaks(credentials, backend: str, db_path: Path, caplog, monkeypatch, request) -> None:
    if backend == "file":
        request.getfixturevalue("no_keyring")
        monkeypatch.setenv("COSTTUI_KEYRING_PASSPHRASE", PASSPHRASE)
    caplog.set_level(logging.DEBUG)
    store = Store(db_path)
    credentials.set_secret("openai:default", SECRET)
    from costtui.formatting import fingerprint

    acc = store.billing.add_account(
        Account(provider="openai", key_kind="admin", base_url="https://api.test/v1", key_fp=fingerprint(SECRET))
    )
    api = echoing_api()
    async with api.client() as client:
        reports = await sync(store, client=client, sleep=Sleeps(), now=lambda: NOW)
        result = await check_account(acc, client=client)
    message = result.message
    assert not result.ok and all(not r.ok for r in reports)
    texts = [message, *(r.message for r in reports), caplog.text]
    health = store.billing.account_health(acc)
    texts.append(health.last_error or "")
    runner = CliRunner()
    texts.append(runner.invoke(cli, ["keys", "list", "--json"]).output)
    texts.append(runner.invoke(cli, ["status", "--json"]).output)
    store.close()
    for t in texts:
        assert SECRET not in t and PASSPHRASE not in t
    assert "[key]" in health.last_error  # the echo was redacted, not dropped silently
    blob = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    assert SECRET.encode() not in blob
    if backend == "file":
        keyfile = credentials.backend_info().path
        assert keyfile is not None and SECRET.encode() not in keyfile.read_bytes()
        assert PASSPHRASE.encode() not in keyfile.read_bytes()


def test_wrong_passphrase_message_has_no_secret(credentials, no_keyring) -> None:
    credentials.unlock(PASSPHRASE)
    credentials.set_secret("x", SECRET)
    credentials.lock()
    with pytest.raises(secrets.WrongPassphrase) as err:
        credentials.unlock("wrong-LEAKCANARY")
    assert "LEAKCANARY" not in str(err.value) and err.value.__cause__ is None
