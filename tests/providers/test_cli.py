"""`costtui keys`, `sync`, `add-cost`, `costs`, `quotas` through click's CliRunner."""

from __future__ import annotations

import json

import httpx
import pytest
from click.testing import CliRunner

from costtui.cli import cli

from .fakes import FakeAPI, js
from .test_sync import OpenAIFake

ADMIN = "sk-admin-CLISECRETCLISECRET777"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_keys_add_reads_stdin_never_argv(runner: CliRunner, memory_keyring) -> None:
    res = runner.invoke(
        cli, ["keys", "add", "openai", "--admin", "--base-url", "https://api.test/v1"], input=ADMIN + "\n"
    )
    assert res.exit_code == 0, res.output
    assert "sk-admi…T777" in res.output and ADMIN not in res.output
    assert memory_keyring.store[("costtui", "openai:default")] == ADMIN
    listing = runner.invoke(cli, ["keys", "list"])
    assert "MemoryKeyring" in listing.output and "sk-admi…T777" in listing.output and ADMIN not in listing.output
    data = json.loads(runner.invoke(cli, ["keys", "list", "--json"]).output)
    assert data["backend"]["kind"] == "system" and data["accounts"][0]["fingerprint"] == "sk-admi…T777"
    dup = runner.invoke(cli, ["keys", "add", "openai", "--admin"], input=ADMIN + "\n")
    assert dup.exit_code != 0 and "already exists" in dup.output


def test_keys_add_has_no_key_option(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["keys", "add", "openai", "--key", ADMIN])
    assert res.exit_code != 0 and "No such option" in res.output


def test_keys_add_warns_on_wrong_key_type(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["keys", "add", "anthropic"], input="sk-ant-api03-normalnormalnormal\n")
    assert res.exit_code == 0 and "does not look like an Anthropic Admin key" in res.output


def test_keys_add_headless_needs_passphrase(credentials, runner: CliRunner, no_keyring, monkeypatch) -> None:
    res = runner.invoke(cli, ["keys", "add", "deepseek"], input="sk-deepseekdeepseek\n")
    assert res.exit_code != 0 and "COSTTUI_KEYRING_PASSPHRASE" in res.output
    monkeypatch.setenv("COSTTUI_KEYRING_PASSPHRASE", "pw")
    res = runner.invoke(cli, ["keys", "add", "deepseek"], input="sk-deepseekdeepseek\n")
    assert res.exit_code == 0 and "encrypted file" in res.output
    monkeypatch.setenv("COSTTUI_KEYRING_PASSPHRASE", "not the pw")
    credentials.lock()
    res = runner.invoke(cli, ["keys", "test", "deepseek"])
    assert res.exit_code == 1 and "wrong passphrase" in res.output


def test_keys_remove_and_disable(runner: CliRunner, memory_keyring) -> None:
    runner.invoke(cli, ["keys", "add", "deepseek"], input="sk-deepseekdeepseek\n")
    assert runner.invoke(cli, ["keys", "disable", "deepseek"]).exit_code == 0
    assert "disabled" in runner.invoke(cli, ["keys", "list"]).output
    res = runner.invoke(cli, ["keys", "remove", "deepseek", "--yes"])
    assert res.exit_code == 0 and memory_keyring.store == {}
    assert "No accounts yet" in runner.invoke(cli, ["keys", "list"]).output


def test_keys_test_and_sync_with_replayed_api(runner: CliRunner, monkeypatch) -> None:
    api = OpenAIFake()
    monkeypatch.setattr("costtui.services.sync.make_http_client", lambda timeout=30: api.client())
    runner.invoke(cli, ["keys", "add", "openai", "--admin", "--base-url", "https://api.test/v1"], input=ADMIN + "\n")
    res = runner.invoke(cli, ["keys", "test"])
    assert res.exit_code == 0 and "✓ openai/default" in res.output
    res = runner.invoke(cli, ["sync", "--json"])
    assert res.exit_code == 0, res.output
    reports = json.loads(res.output)
    assert {r["plane"] for r in reports} == {"usage", "quota"} and all(r["ok"] for r in reports)
    status = json.loads(runner.invoke(cli, ["status", "--json"]).output)
    assert status["quotas"][0]["kind"] == "spend_limit" and status["quotas"][0]["health"] == "ok"
    assert "spend_limit" in runner.invoke(cli, ["quotas"]).output
    api.add("GET", "/v1/organization/costs", js({}, 503))
    monkeypatch.setenv("COSTTUI_SYNC__MAX_RETRIES", "0")  # the CLI sleeps for real between retries
    res = runner.invoke(cli, ["sync", "--usage-only", "--since", "2026-08-01"])
    assert res.exit_code == 1 and "✗ openai/default usage" in res.output


def test_keys_test_revoked(runner: CliRunner, monkeypatch) -> None:
    api = FakeAPI().add("GET", "/user/balance", js({"error": {"message": "Authentication Fails"}}, 401))
    monkeypatch.setattr("costtui.services.sync.make_http_client", lambda timeout=30: api.client())
    runner.invoke(cli, ["keys", "add", "deepseek"], input="sk-revokedrevoked\n")
    res = runner.invoke(cli, ["keys", "test", "deepseek"])
    assert res.exit_code == 1 and "key rejected" in res.output


def test_sync_without_accounts(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["sync"])
    assert res.exit_code != 0 and "keys add" in res.output


def test_manual_costs(runner: CliRunner) -> None:
    res = runner.invoke(
        cli,
        [
            "add-cost",
            "--provider",
            "Groq",
            "--from",
            "2026-08-01",
            "--to",
            "2026-08-02",
            "--amount",
            "$12.50",
            "--output-tokens",
            "1000",
            "--note",
            "invoice 42",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "Manual cost #1" in res.output
    assert "invoice 42" in runner.invoke(cli, ["costs", "list"]).output
    assert runner.invoke(cli, ["costs", "edit", "1", "--amount", "20"]).exit_code == 0
    status = json.loads(runner.invoke(cli, ["status", "--json"]).output)
    assert status["billed"]["cost_usd"] == "20" and status["billed"]["by_provider"][0]["name"] == "groq"
    assert runner.invoke(cli, ["costs", "delete", "1", "--yes"]).exit_code == 0
    assert runner.invoke(cli, ["costs", "delete", "1", "--yes"]).exit_code != 0
    bad = runner.invoke(cli, ["add-cost", "--provider", "groq", "--amount", "-3"])
    assert bad.exit_code != 0
    bad = runner.invoke(
        cli, ["add-cost", "--provider", "groq", "--amount", "3", "--date", "2026-08-01", "--from", "2026-08-01"]
    )
    assert bad.exit_code != 0


def test_from_env_account(runner: CliRunner, monkeypatch, memory_keyring) -> None:
    monkeypatch.setenv("COSTTUI_OPENROUTER_KEY", "sk-or-v1-envenvenvenvenv1234")
    res = runner.invoke(cli, ["keys", "add", "openrouter", "--from-env"])
    assert res.exit_code == 0 and "COSTTUI_OPENROUTER_KEY" in res.output and memory_keyring.store == {}
    assert "env:COSTTUI_OPENROUTER_KEY" in runner.invoke(cli, ["keys", "list"]).output


def test_keys_backend(credentials, runner: CliRunner, no_keyring, monkeypatch) -> None:
    res = runner.invoke(cli, ["keys", "backend"])
    assert res.exit_code == 0 and "encrypted file" in res.output and "locked" in res.output
    monkeypatch.setenv("COSTTUI_KEYRING_PASSPHRASE", "pw")
    res = runner.invoke(cli, ["keys", "backend", "--check"])
    assert res.exit_code == 0 and "opened fine" in res.output
    monkeypatch.setenv("COSTTUI_KEYRING_PASSPHRASE", "bad")
    credentials.lock()
    res = runner.invoke(cli, ["keys", "backend", "--check"])
    assert res.exit_code != 0 and "wrong passphrase" in res.output


def test_env_only_accounts_need_no_passphrase(runner: CliRunner, no_keyring, monkeypatch) -> None:
    api = FakeAPI().add(
        "GET",
        "/user/balance",
        js({"is_available": True, "balance_infos": [{"currency": "USD", "total_balance": "5.00"}]}),
    )
    monkeypatch.setattr("costtui.services.sync.make_http_client", lambda timeout=30: api.client())
    monkeypatch.setenv("COSTTUI_DEEPSEEK_KEY", "sk-envonlyenvonly")
    assert runner.invoke(cli, ["keys", "add", "deepseek", "--from-env"]).exit_code == 0
    res = runner.invoke(cli, ["sync"])
    assert res.exit_code == 0, res.output
    assert "deepseek/default quota" in res.output


def test_keys_update_rotates_the_key(runner: CliRunner, memory_keyring) -> None:
    runner.invoke(cli, ["keys", "add", "deepseek"], input="sk-deepseek-OLD-0001\n")
    res = runner.invoke(
        cli,
        ["keys", "update", "deepseek", "--new-key", "--base-url", "https://ds.example"],
        input="sk-deepseek-NEW-0002\n",
    )
    assert res.exit_code == 0 and "0002" in res.output and "sk-deepseek-NEW" not in res.output
    assert memory_keyring.store[("costtui", "deepseek:default")] == "sk-deepseek-NEW-0002"
    data = json.loads(runner.invoke(cli, ["keys", "list", "--json"]).output)
    assert data["accounts"][0]["base_url"] == "https://ds.example"
    assert runner.invoke(cli, ["keys", "update", "deepseek"]).exit_code != 0


def test_keys_test_never_ticks_a_key_it_did_not_check(runner: CliRunner, memory_keyring, monkeypatch) -> None:
    runner.invoke(cli, ["keys", "add", "groq"], input="gsk_groqgroqgroqgroq0001\n")
    res = runner.invoke(cli, ["keys", "test"])
    assert "✓" not in res.output and "– groq/default: not checked" in res.output
    assert res.exit_code == 0  # nothing to ask is not a failure
    # A key that cannot be read (the key file is locked, no terminal to ask) is "?" and fails.
    runner.invoke(cli, ["keys", "add", "deepseek"], input="sk-deepseekdeepseek0002\n")
    monkeypatch.setenv("COSTTUI_SECRETS__BACKEND", "file")
    res = runner.invoke(cli, ["keys", "test", "deepseek"])
    assert res.exit_code == 1 and "✓" not in res.output
    assert "? deepseek/default: not checked" in res.output and "locked" in res.output


def test_offline_sync_is_quick_says_each_failure_once_and_quotas_says_what_failed(
    runner: CliRunner, monkeypatch, memory_keyring
) -> None:
    attempts: list[str] = []

    def offline(request: httpx.Request) -> httpx.Response:
        attempts.append(request.url.host)
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(
        "costtui.services.sync.make_http_client",
        lambda timeout=30: httpx.AsyncClient(transport=httpx.MockTransport(offline)),
    )
    slept: list[float] = []

    async def no_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr("costtui.providers.base.asyncio.sleep", no_sleep)
    runner.invoke(cli, ["keys", "add", "openai", "--admin"], input=ADMIN + "\n")
    runner.invoke(cli, ["keys", "add", "anthropic", "--admin"], input="sk-ant-admin01-OFFLINEOFFLINE\n")
    runner.invoke(cli, ["keys", "add", "openrouter"], input="sk-or-v1-OFFLINEOFFLINE\n")
    res = runner.invoke(cli, ["sync"])
    assert res.exit_code == 1
    # One connection attempt per account (no retries, no second plane), and no waiting.
    assert sorted(attempts) == ["api.anthropic.com", "api.openai.com", "openrouter.ai"] and slept == []
    lines = res.output.strip().splitlines()
    assert len(lines) == 3, res.output
    for label, host in (
        ("anthropic", "api.anthropic.com"),
        ("openai", "api.openai.com"),
        ("openrouter", "openrouter.ai"),
    ):
        assert sum(f"{label}/default" in line for line in lines) == 1
        assert f"cannot reach {host} (Temporary failure in name resolution)" in res.output
    quotas = runner.invoke(cli, ["quotas"])
    assert quotas.exit_code == 0
    assert "Add a key" not in quotas.output
    assert quotas.output.count("last sync failed") == 3
    assert "cannot reach openrouter.ai (Temporary failure in name resolution)" in quotas.output


def test_quotas_show_the_xai_posted_label_and_the_anthropic_priority_tier_note(runner: CliRunner, db_path) -> None:
    from datetime import UTC, datetime

    from costtui.models import Account, BilledLine, QuotaSnapshot
    from costtui.providers.anthropic import PRIORITY_TIER_NOTE
    from costtui.providers.xai import POSTED_NOTE
    from costtui.store import Store

    today = datetime.now(UTC).date()
    with Store(db_path) as store:
        store.billing.add_account(Account(provider="xai", key_kind="management"))
        store.billing.add_account(Account(provider="anthropic", key_kind="admin"))
        store.billing.record_quotas(
            [
                QuotaSnapshot(
                    provider="xai", account="default", kind="balance", scope="prepaid", remaining=42, detail=POSTED_NOTE
                )
            ],
        )
        store.billing.record_billed(
            [
                BilledLine(
                    provider="anthropic",
                    account="default",
                    stream="anthropic.cost_report",
                    kind="cost",
                    day=today,
                    cost_usd="1.5",
                    note=PRIORITY_TIER_NOTE,
                )
            ],
        )
    out = runner.invoke(cli, ["quotas"]).output
    assert "posted balance: lags the console" in out
    assert "anthropic/default" in out and "excludes Priority Tier spend" in out
    rows = json.loads(runner.invoke(cli, ["quotas", "--json"]).output)
    assert rows[0]["detail"] == POSTED_NOTE
