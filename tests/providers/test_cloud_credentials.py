"""Cloud accounts with several credential fields: options for what is not secret, one packed keyring
entry for the secrets (read from a hidden prompt or stdin, never argv), and accounts whose
credentials stay in the user's own configuration."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from costtui.cli import cli
from costtui.providers.base import redact_secrets
from costtui.secrets import Credentials, SecretsError, pack_fields, secret_parts, unpack_fields

SECRET = "azSECRETq8Q~VeryLongClientSecret123"
AKID = "AKIDEXAMPLE12345678"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_pack_and_unpack() -> None:
    packed = pack_fields({"client_secret": f" {SECRET} ", "session_token": ""})
    assert {k: v.get_secret_value() for k, v in unpack_fields(packed).items()} == {"client_secret": SECRET}
    assert unpack_fields("sk-plain-key") == {} and secret_parts("sk-plain-key") == ["sk-plain-key"]
    with pytest.raises(SecretsError):
        pack_fields({"client_secret": "  "})


def test_packed_entries_are_redacted_field_by_field() -> None:
    packed = pack_fields({"access_key_id": AKID, "secret_access_key": AWS_SECRET})
    text = f"denied for {AKID} with {AWS_SECRET[:10]}… (client_secret field)"
    shown = redact_secrets(text, [SecretStr(packed)])
    assert AKID not in shown and AWS_SECRET[:10] not in shown
    assert "client_secret field" in shown  # the JSON's own words are not hidden


def test_credentials_fields_round_trip(memory_keyring) -> None:
    creds = Credentials()
    creds.set_fields("azure:work", {"client_secret": SECRET})
    assert creds.get_fields("azure:work")["client_secret"].get_secret_value() == SECRET


def test_keys_add_azure_takes_options_and_the_secret_from_stdin(runner: CliRunner, memory_keyring, db_path) -> None:
    args = ["keys", "add", "azure", "--name", "work", "-o", "tenant_id=t-1", "-o", "client_id=app-1"]
    args += ["-o", "subscription-id=sub-1", "-o", "locations=eastus,swedencentral"]
    res = runner.invoke(cli, args, input=SECRET + "\n")
    assert res.exit_code == 0, res.output
    assert SECRET not in res.output and "…t123" in res.output
    stored = json.loads(memory_keyring.store[("costtui", "azure:work")])
    assert stored == {"client_secret": SECRET}
    listing = json.loads(runner.invoke(cli, ["keys", "list", "--json"]).output)
    assert listing["accounts"][0]["fingerprint"] == "azSE…t123"
    from costtui.store import Store

    with Store(db_path) as store:
        [a] = store.billing.list_accounts()
    assert a.options == {
        "tenant_id": "t-1",
        "client_id": "app-1",
        "subscription_id": "sub-1",
        "locations": "eastus,swedencentral",
    }
    assert SECRET not in json.dumps(a.options)


def test_keys_add_azure_says_what_is_missing_before_asking(runner: CliRunner, memory_keyring) -> None:
    res = runner.invoke(cli, ["keys", "add", "azure", "-o", "tenant_id=t"], input=SECRET + "\n")
    assert res.exit_code != 0 and "client id" in res.output and "-o client_id=" in res.output
    assert memory_keyring.store == {}
    bad = runner.invoke(cli, ["keys", "add", "azure", "-o", "tenant=t"], input=SECRET + "\n")
    assert bad.exit_code != 0 and "unknown option 'tenant'" in bad.output
    plain = runner.invoke(cli, ["keys", "add", "openai", "-o", "x=1"], input="sk-abcdefabcdefabcdef\n")
    assert plain.exit_code != 0 and "takes no -o options" in plain.output


def test_keys_add_has_no_secret_options(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["keys", "add", "azure", "--client-secret", SECRET])
    assert res.exit_code != 0 and "No such option" in res.output


def test_azure_account_syncs_through_the_cli(runner: CliRunner, memory_keyring, monkeypatch) -> None:
    from .fakes import FakeAPI, js
    from .test_azure import ACCOUNTS_PATH, COST_PAGE_2, QUERY_PATH, SUB, token_ok

    api = (
        FakeAPI()
        .add("POST", "/t-1/oauth2/v2.0/token", token_ok)
        .add("GET", f"/subscriptions/{SUB}", js({"displayName": "Prod"}))
        .add("POST", QUERY_PATH, js(COST_PAGE_2))
        .add("GET", ACCOUNTS_PATH, js({"value": []}))
    )
    monkeypatch.setattr("costtui.services.sync.make_http_client", lambda timeout=30: api.client())
    args = ["keys", "add", "azure", "-o", "tenant_id=t-1", "-o", "client_id=app-1", "-o", f"subscription_id={SUB}"]
    assert runner.invoke(cli, args, input=SECRET + "\n").exit_code == 0
    res = runner.invoke(cli, ["keys", "test"])
    assert res.exit_code == 0 and "✓ azure/default: service principal works (subscription Prod)" in res.output
    res = runner.invoke(cli, ["sync", "--json", "--since", "2026-08-19"])
    assert res.exit_code == 0, res.output
    assert all(r["ok"] for r in json.loads(res.output))
    form = api.calls("/t-1/oauth2/v2.0/token")[0].content.decode()
    assert "client_secret=" in form and SECRET not in res.output


def test_external_accounts_say_where_their_credentials_are(runner: CliRunner, memory_keyring) -> None:
    res = runner.invoke(cli, ["keys", "add", "bedrock", "-o", "profile=work"])
    assert res.exit_code == 0 and "your own configuration" in res.output
    listing = json.loads(runner.invoke(cli, ["keys", "list", "--json"]).output)
    assert listing["accounts"][0]["key_source"] == "external" and listing["accounts"][0]["fingerprint"] is None


def test_keys_update_rotates_every_secret_of_a_cloud_account(runner: CliRunner, memory_keyring) -> None:
    args = ["keys", "add", "bedrock", "-o", "region=us-east-1"]
    assert runner.invoke(cli, args, input=f"{AKID}\n{AWS_SECRET}\n\n").exit_code == 0
    res = runner.invoke(
        cli, ["keys", "update", "bedrock", "--new-key"], input=f"AKIDROTATED000000000\n{AWS_SECRET[::-1]}\nSESSION\n"
    )
    assert res.exit_code == 0, res.output
    stored = json.loads(memory_keyring.store[("costtui", "bedrock:default")])
    assert stored == {
        "access_key_id": "AKIDROTATED000000000",
        "secret_access_key": AWS_SECRET[::-1],
        "session_token": "SESSION",
    }
    assert "AKID…0000" in res.output and AWS_SECRET[::-1] not in res.output


def test_a_cloud_account_from_the_environment(runner: CliRunner, memory_keyring, monkeypatch) -> None:
    monkeypatch.setenv("COSTTUI_AZURE_KEY", json.dumps({"client_secret": SECRET}))
    args = ["keys", "add", "azure", "--from-env", "-o", "tenant_id=t", "-o", "client_id=c", "-o", "subscription_id=s"]
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert "COSTTUI_AZURE_KEY" in res.output and memory_keyring.store == {} and SECRET not in res.output
    listing = json.loads(runner.invoke(cli, ["keys", "list", "--json"]).output)
    assert listing["accounts"][0]["fingerprint"] == "azSE…t123"
