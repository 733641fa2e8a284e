"""`--config` decides where keys live for every command: `keys backend` and `tokens key` agree."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from costtui.cli import cli
from costtui.listener.keys import INGEST_KEY, ListenerKeys
from costtui.secrets import Credentials


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_config_choosing_the_system_keyring(tmp_path: Path, memory_keyring) -> None:
    # The default config file (COSTTUI_CONFIG) says plaintext; the one named by --config wins.
    (tmp_path / "config.toml").write_text('[secrets]\nbackend = "plaintext"\n')
    other = tmp_path / "other.toml"
    other.write_text('[secrets]\nbackend = "system"\n')
    code, out = run("--config", str(other), "keys", "backend", "--json")
    assert code == 0, out
    assert json.loads(out)["kind"] == "system"
    code, out = run("--config", str(other), "tokens", "key")
    assert code == 0 and "system keyring" in out, out
    assert ("costtui", "ingest_key") in memory_keyring.store
    # Without --config, both say plaintext file: the ingest key then lives in its own 0600 file.
    assert json.loads(run("keys", "backend", "--json")[1])["kind"] == "plaintext-file"


def test_config_choosing_the_encrypted_file(tmp_path: Path, memory_keyring) -> None:
    other = tmp_path / "other.toml"
    other.write_text('[secrets]\nbackend = "file"\n')
    code, out = run("--config", str(other), "keys", "backend", "--json")
    assert json.loads(out)["kind"] == "encrypted-file"
    # Not the system keyring that the default settings would pick; and no passphrase asked.
    code, out = run("--config", str(other), "tokens", "key")
    assert code == 0 and "key file" in out, out
    assert memory_keyring.store == {}
    assert ListenerKeys(Credentials()).path(INGEST_KEY).exists()
    code, out = run("--config", str(other), "keys", "add", "deepseek")
    assert code != 0 and "COSTTUI_KEYRING_PASSPHRASE" in out  # no terminal: a clear error, no key written
    assert memory_keyring.store == {}
