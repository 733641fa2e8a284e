"""The accounts service: the one add/update/remove/list workflow under `costtui keys` and the TUI."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.errors import KeyringError

from costtui.config import SyncSettings
from costtui.models import Account
from costtui.secrets import Credentials
from costtui.services.accounts import AccountError, AccountsService, KeyNotSaved
from costtui.store import Store


@pytest.fixture
def service(db_path: Path, credentials: Credentials):
    with Store(db_path) as store:
        yield AccountsService(store, credentials, SyncSettings())


def test_add_stores_the_key_and_warns_about_its_format(service: AccountsService, memory_keyring) -> None:
    saved = service.add("openai", kind="admin", key="sk-proj-not-an-admin-key-0001")
    assert saved.account.label == "openai/default" and saved.account.key_fp and "0001" in saved.account.key_fp
    assert saved.warning and "Admin key" in saved.warning
    assert memory_keyring.store[("costtui", "openai:default")] == "sk-proj-not-an-admin-key-0001"
    assert service.add("openai", name="work", kind="admin", key="sk-admin-GOOD-0002").warning is None


def test_add_refuses_a_kind_the_sync_cannot_use(service: AccountsService, memory_keyring) -> None:
    with pytest.raises(AccountError, match="OpenAI sync uses a admin key, not management|admin"):
        service.add("openai", kind="management", key="sk-whatever-0003")
    with pytest.raises(AccountError, match="base URL"):
        service.add("deepseek", key="sk-1", base_url="api.deepseek.com")
    with pytest.raises(AccountError, match="unknown provider|not a known|Unknown"):
        service.add("nosuchprovider", key="sk-1")
    assert service.store.billing.list_accounts() == [] and memory_keyring.store == {}


def test_a_refused_keyring_write_leaves_no_account(service: AccountsService, monkeypatch) -> None:
    backend = keyring.get_keyring()

    def refuse(*args: object) -> None:
        raise KeyringError("Secret Service is locked")

    monkeypatch.setattr(backend, "set_password", refuse)
    with pytest.raises(KeyNotSaved, match="was not saved") as err:
        service.add("deepseek", key="sk-deepseek-0004")
    assert not err.value.locked
    assert service.store.billing.list_accounts() == []
    # And the same name can be added once the keyring works again.
    monkeypatch.undo()
    assert service.add("deepseek", key="sk-deepseek-0004").account.label == "deepseek/default"


def test_a_locked_key_file_says_so_and_leaves_no_account(service: AccountsService, no_keyring) -> None:
    with pytest.raises(KeyNotSaved) as err:
        service.add("deepseek", key="sk-deepseek-0005")
    assert err.value.locked
    assert service.store.billing.list_accounts() == []


def test_update_rotates_the_key_and_changes_options(service: AccountsService, memory_keyring) -> None:
    acc = service.add("xai", kind="management", key="xai-old-key-long-enough-0006", team_id="t1").account
    saved = service.update(acc, key="xai-new-key-long-enough-0007", base_url="https://gw.test", team_id=None)
    assert memory_keyring.store[("costtui", "xai:default")] == "xai-new-key-long-enough-0007"
    assert saved.account.key_fp and "0007" in saved.account.key_fp
    assert saved.account.base_url == "https://gw.test" and "team_id" not in saved.account.options
    with pytest.raises(AccountError, match="not inference"):
        service.update(saved.account, kind="inference")
    with pytest.raises(AccountError, match="nothing to change"):
        service.update(saved.account)


def test_update_with_a_refused_key_changes_nothing(service: AccountsService, monkeypatch) -> None:
    acc = service.add("deepseek", key="sk-old-0008").account
    monkeypatch.setattr(keyring.get_keyring(), "set_password", lambda *a: (_ for _ in ()).throw(KeyringError("no")))
    with pytest.raises(KeyNotSaved):
        service.update(acc, key="sk-new-0009", base_url="https://gw.test")
    assert service.store.billing.find_account("deepseek") == acc


def test_remove_deletes_the_key(service: AccountsService, memory_keyring) -> None:
    acc = service.add("deepseek", key="sk-deepseek-0010").account
    assert service.remove(acc) is None
    assert service.store.billing.list_accounts() == [] and memory_keyring.store == {}


def test_list_says_where_each_key_comes_from(service: AccountsService, memory_keyring, monkeypatch) -> None:
    service.add("deepseek", key="sk-deepseek-0011")
    monkeypatch.setenv("COSTTUI_MOONSHOT_KEY", "sk-moon-from-env-long-enough-0012")
    service.add("moonshot", from_env=True)
    listing = service.list()
    rows = {r.account.provider: r for r in listing.rows}
    assert listing.backend["kind"] == "system"
    assert str(rows["deepseek"].key_source) == "system" and rows["deepseek"].key_source.label == "system keyring"
    assert str(rows["moonshot"].key_source) == "env:COSTTUI_MOONSHOT_KEY"
    assert rows["moonshot"].fingerprint and "0012" in rows["moonshot"].fingerprint
    assert rows["deepseek"].health.health == "never"
    assert ("costtui", "moonshot:default") not in memory_keyring.store


def test_list_on_a_headless_server_says_encrypted_file(db_path: Path, no_keyring, monkeypatch) -> None:
    monkeypatch.setenv("COSTTUI_KEYRING_PASSPHRASE", "pw")
    from keyrings.cryptfile.cryptfile import CryptFileKeyring

    monkeypatch.setattr(CryptFileKeyring, "time_cost", 1)
    monkeypatch.setattr(CryptFileKeyring, "memory_cost", 8)
    with Store(db_path) as store:
        service = AccountsService(store, Credentials(), SyncSettings())
        service.add("deepseek", key="sk-deepseek-0013")
        (row,) = service.list().rows
        assert str(row.key_source) == "encrypted-file"


def test_health_follows_the_configured_intervals(db_path: Path, credentials: Credentials) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 8, 3, 12, tzinfo=UTC)
    with Store(db_path) as store:
        acc = store.billing.add_account(Account(provider="deepseek"))
        store.billing.mark_success(acc.id, "quota", now=now - timedelta(minutes=30))
        quick = AccountsService(store, credentials, SyncSettings(quota_interval_minutes=5))
        slow = AccountsService(store, credentials, SyncSettings(quota_interval_minutes=60))
        assert quick.health(acc, now).health == "stale"
        assert slow.health(acc, now).health == "ok"
