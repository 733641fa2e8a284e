"""The credentials fallback chain: env → system keyring → encrypted file → plaintext (opt-in)."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends import chainer

from costtui import paths, secrets
from costtui.secrets import KeyringLocked, WrongPassphrase

SECRET = "sk-proj-TESTSECRET0123456789abcdef"


def test_system_keyring_roundtrip(credentials, memory_keyring) -> None:
    assert credentials.backend_info().kind == "system"
    assert "MemoryKeyring" in credentials.backend_name()
    credentials.set_secret("ingest_key", SECRET)
    assert memory_keyring.store[("costtui", "ingest_key")] == SECRET
    assert credentials.get_secret("ingest_key") == SECRET
    credentials.delete_secret("ingest_key")
    assert credentials.get_secret("ingest_key") is None
    credentials.delete_secret("ingest_key")  # missing is fine


def test_env_var_wins(credentials, memory_keyring, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials.set_secret("openai:default", "sk-from-keyring-000000000")
    monkeypatch.setenv("COSTTUI_OPENAI_KEY", "sk-from-env-1111111111")
    assert credentials.get_secret("openai:default") == "sk-from-env-1111111111"
    assert credentials.secret_source("openai:default") == "env:COSTTUI_OPENAI_KEY"
    monkeypatch.setenv("COSTTUI_OPENAI_DEFAULT_KEY", "sk-more-specific-22222")
    assert credentials.get_secret("openai:default") == "sk-more-specific-22222"
    monkeypatch.setenv("COSTTUI_INGEST_KEY", "ik-env")
    assert credentials.get_secret("ingest_key") == "ik-env"


def test_env_names() -> None:
    assert secrets.env_names("ingest_key") == ["COSTTUI_INGEST_KEY"]
    assert secrets.env_names("read_key") == ["COSTTUI_READ_KEY"]
    assert secrets.env_names("openai:work") == ["COSTTUI_OPENAI_WORK_KEY"]
    assert secrets.env_names("anthropic:default:admin") == [
        "COSTTUI_ANTHROPIC_DEFAULT_KEY",
        "COSTTUI_ANTHROPIC_ADMIN_KEY",
        "COSTTUI_ANTHROPIC_KEY",
    ]


def test_no_usable_backend_uses_encrypted_file(credentials, no_keyring, monkeypatch: pytest.MonkeyPatch) -> None:
    info = credentials.backend_info()
    assert info.kind == "encrypted-file" and info.locked
    assert info.path == paths.data_dir() / "keyring.cfg"
    with pytest.raises(KeyringLocked, match="COSTTUI_KEYRING_PASSPHRASE"):
        credentials.set_secret("ingest_key", SECRET)
    monkeypatch.setenv("COSTTUI_KEYRING_PASSPHRASE", "correct horse")
    assert not credentials.backend_info().locked
    credentials.set_secret("ingest_key", SECRET)
    text = info.path.read_text()
    assert SECRET not in text and "costtui" in text
    credentials.lock()
    assert credentials.get_secret("ingest_key") == SECRET


def test_unlock_then_wrong_passphrase(credentials, no_keyring, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials.unlock("right one")
    credentials.set_secret("openai:default", SECRET)
    credentials.lock()
    with pytest.raises(WrongPassphrase) as err:
        credentials.unlock("wrong one")
    assert "wrong passphrase" in str(err.value)
    assert SECRET not in str(err.value)
    monkeypatch.setenv("COSTTUI_KEYRING_PASSPHRASE", "also wrong")
    with pytest.raises(WrongPassphrase):
        credentials.get_secret("openai:default")
    monkeypatch.delenv("COSTTUI_KEYRING_PASSPHRASE")
    credentials.unlock("right one")
    assert credentials.get_secret("openai:default") == SECRET


def test_chainer_of_unsafe_file_backends_is_not_used(credentials, monkeypatch: pytest.MonkeyPatch) -> None:
    """keyrings.cryptfile's backends sit in the default chainer here; they would prompt or store plaintext."""
    from keyrings.cryptfile.file import PlaintextKeyring

    plain = PlaintextKeyring()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [plain])
    keyring.set_keyring(chainer.ChainerBackend())
    assert secrets.usable_system_keyring() is None
    assert credentials.backend_info().kind == "encrypted-file"


def test_plaintext_keyring_never_picked_silently(credentials) -> None:
    from keyrings.cryptfile.file import PlaintextKeyring

    keyring.set_keyring(PlaintextKeyring())
    assert credentials.backend_info().kind == "encrypted-file"


def test_plaintext_only_with_opt_in(credentials, no_keyring, monkeypatch: pytest.MonkeyPatch) -> None:
    assert credentials.backend_info().kind == "encrypted-file"
    monkeypatch.setenv("COSTTUI_SECRETS__ALLOW_PLAINTEXT", "1")
    info = credentials.backend_info()
    assert info.kind == "plaintext-file"
    credentials.set_secret("ingest_key", SECRET)
    assert credentials.get_secret("ingest_key") == SECRET
    assert info.path is not None and (info.path.stat().st_mode & 0o077) == 0


def test_plaintext_from_config_file(no_keyring, tmp_path: Path) -> None:
    from costtui.config import load_settings

    Path(tmp_path / "config.toml").write_text('[secrets]\nbackend = "plaintext"\n')
    assert secrets.Credentials.from_settings(load_settings()).backend_info().kind == "plaintext-file"


def test_empty_secret_refused(credentials, memory_keyring) -> None:
    with pytest.raises(secrets.SecretsError):
        credentials.set_secret("x", "  ")


def test_credentials_from_settings(no_keyring) -> None:
    from costtui.config import SecretsSettings, Settings

    plain = secrets.Credentials.from_settings(Settings(secrets=SecretsSettings(backend="plaintext")))
    assert plain.backend_info().kind == "plaintext-file"
    assert secrets.Credentials.from_settings(Settings()).backend_info().kind == "encrypted-file"


def test_keys_from_the_encrypted_file_stay_readable_with_a_system_keyring(
    credentials, monkeypatch, memory_keyring
) -> None:
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    monkeypatch.setenv("COSTTUI_KEYRING_PASSPHRASE", "pw")
    credentials.set_secret("openai:default", SECRET)
    keyring.set_keyring(memory_keyring)  # later, from a desktop session
    credentials.lock()
    assert credentials.backend_info().kind == "system"
    assert credentials.get_secret("openai:default") == SECRET
    monkeypatch.delenv("COSTTUI_KEYRING_PASSPHRASE")
    credentials.lock()
    assert credentials.get_secret("openai:default") is None  # never prompts


def test_unknown_backend_is_a_clear_error(credentials, monkeypatch) -> None:
    monkeypatch.setenv("COSTTUI_SECRETS__BACKEND", "vault")
    with pytest.raises(secrets.KeyringUnavailable, match="unknown secrets backend 'vault'"):
        credentials.backend_info()
    assert credentials.backend_name().startswith("unavailable")
