"""`costtui tokens ...` and `costtui tokens key`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from listener_helpers import rows

from costtui.cli import cli
from costtui.listener.tokens import hash_token


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.output


def test_create_shows_token_once_with_snippets(db_path: Path) -> None:
    code, out = run("tokens", "create", "billing-bot")
    assert code == 0, out
    token = next(line.strip() for line in out.splitlines() if line.strip().startswith("ctt_"))
    assert "curl -sS http://127.0.0.1:8787/ingest" in out
    assert "resp.usage.model_dump()" in out
    assert "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:8787" in out
    assert f"x-costtui-token={token}" in out
    (row,) = rows(db_path, "SELECT * FROM tracking_tokens")
    assert row["token_hash"] == hash_token(token) and row["prefix"] == token[:10]
    assert token not in json.dumps(row)  # only the hash is stored
    code, out = run("tokens", "list")
    assert "billing-bot" in out and token[:10] + "…" in out and token not in out
    code, out = run("tokens", "create", "billing-bot")
    assert code != 0 and "already exists" in out


def test_disable_enable_delete(db_path: Path) -> None:
    run("tokens", "create", "app1")
    assert run("tokens", "disable", "app1")[0] == 0
    assert json.loads(run("tokens", "list", "--json")[1])[0]["enabled"] is False
    assert run("tokens", "enable", "app1")[0] == 0
    assert json.loads(run("tokens", "list", "--json")[1])[0]["enabled"] is True
    code, out = run("tokens", "delete", "app1", input="n\n")
    assert code != 0 and len(json.loads(run("tokens", "list", "--json")[1])) == 1
    assert run("tokens", "delete", "app1", "--yes")[0] == 0
    assert json.loads(run("tokens", "list", "--json")[1]) == []
    code, out = run("tokens", "disable", "nope")
    assert code != 0 and "no tracking token named 'nope'" in out
    code, out = run("tokens", "create", "bad/name")
    assert code != 0 and "invalid app name" in out


def test_key_generated_then_shown_only_with_show(memory_keyring) -> None:
    code, out = run("tokens", "key")
    assert code == 0 and "Generated a new ingest key" in out
    stored = memory_keyring.store[("costtui", "ingest_key")]
    assert stored not in out and stored[:4] in out
    code, out = run("tokens", "key", "--show", "--quiet")
    assert out.strip() == stored
    code, out = run("tokens", "key", "--read")
    assert "read key" in out and memory_keyring.store[("costtui", "read_key")] not in out


def test_env_key_wins(monkeypatch) -> None:
    monkeypatch.setenv("COSTTUI_INGEST_KEY", "cti_from-env-1234567890")
    code, out = run("tokens", "key")
    assert "env:COSTTUI_INGEST_KEY" in out and "Generated" not in out
