"""Providers that lie, hang or fail: what was billed stays, the next good sync is exact, and the
failure shows in ``status --json`` and ``quotas --json``.

Every stand-in is an httpx.MockTransport; nothing sleeps for real (a hang waits on an event that
is never set, bounded by a deadline of a few hundredths of a second).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from costtui.analytics.summary import quotas_report, status_report
from costtui.cli import cli
from costtui.config import SyncSettings
from costtui.models import Account
from costtui.providers.base import redact_secrets
from costtui.services.sync import sync, sync_account
from costtui.store import Store

from .fakes import FakeAPI, Sleeps, js
from .test_sync import KEY, NOW, OpenAIFake, cost, dump

COSTS = "/v1/organization/costs"
HTML = httpx.Response(502, content=b"<html><body>Bad gateway</body></html>", headers={"content-type": "text/html"})


@pytest.fixture
def store(db_path) -> Store:
    s = Store(db_path)
    yield s
    s.close()


@pytest.fixture
def account(credentials, store: Store) -> Account:
    credentials.set_secret("openai:default", KEY)
    return store.billing.add_account(Account(provider="openai", key_kind="admin", base_url="https://api.test/v1"))


@pytest.fixture
def anthropic(credentials, store: Store) -> Account:
    credentials.set_secret("anthropic:default", "sk-ant-admin01-FAULTSFAULTSFAULTS")
    return store.billing.add_account(Account(provider="anthropic", key_kind="admin", base_url="https://api.test"))


def mid_pagination_500(request: httpx.Request) -> httpx.Response:
    if request.url.params.get("page") == "p2":
        return js({"error": {"message": "internal error"}}, 500)
    return js({"object": "page", "data": [], "has_more": True, "next_page": "p2"})


def reset(exc: type[Exception]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc("Connection reset by peer", request=request)

    return handler


HOSTILE: dict[str, tuple[Any, str]] = {
    "empty object": (js({}), "no 'data' list"),
    "error object with 200": (js({"error": {"message": "upstream quota exceeded", "type": "gateway"}}), "error"),
    "html": (
        httpx.Response(200, content=b"<html>login</html>", headers={"content-type": "text/html"}),
        "did not return JSON",
    ),
    "html 502": (HTML, "502"),
    "truncated json": (httpx.Response(200, content=b'{"object": "page", "data": [{"start_ti'), "did not return JSON"),
    "null data": (js({"object": "page", "data": None, "has_more": False}), "missing"),
    "has_more without cursor": (js({"object": "page", "data": [], "has_more": True}), "next_page"),
    "500 mid-pagination": (mid_pagination_500, "500"),
    "read reset": (reset(httpx.ReadError), "connection reset by api.test"),
    "protocol reset": (reset(httpx.RemoteProtocolError), "connection reset by api.test"),
}


async def run(store: Store, api: FakeAPI, **kw: Any) -> list:
    kw.setdefault("settings", SyncSettings(max_retries=1))
    async with api.client() as client:
        return await sync(store, client=client, sleep=Sleeps(), now=lambda: NOW, **kw)


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_a_hostile_answer_loses_no_billed_history(store: Store, account: Account, name: str) -> None:
    api = OpenAIFake()
    api.costs = {date(2026, 7, 31): [cost(30.0)], date(2026, 8, 1): [cost(18.5), cost(0.25, "gpt-5-mini, output")]}
    assert all(r.ok for r in await run(store, api))
    before = dump(store)
    through = store.billing.synced_through(account.id, "usage")
    assert store.billing.billed_summary().cost_usd == Decimal("48.75")

    response, says = HOSTILE[name]
    api.add("GET", COSTS, response)
    reports = await run(store, api, planes=["usage"])
    assert [r.ok for r in reports] == [False], reports
    assert says in reports[0].message and "removed" not in reports[0].message
    assert dump(store) == before  # nothing deleted, nothing half-written
    assert store.billing.synced_through(account.id, "usage") == through  # the watermark did not move

    health = store.billing.account_health(account, now=NOW)
    assert health.health == "error" and says in (health.last_error or "")
    (entry,) = status_report(store, now=NOW)["accounts"]
    assert (entry["provider"], entry["health"]) == ("openai", "error")
    assert entry["planes"]["usage"]["ok"] is False and says in entry["planes"]["usage"]["last_error"]
    assert entry["planes"]["quota"]["ok"] is True  # the quota plane was not touched by this sync
    assert all(row["health"] == "error" and row["last_error"] for row in quotas_report(store))

    # The provider recovers with a correction: the next good sync is exact.
    api.add("GET", COSTS, api._costs)
    api.costs[date(2026, 8, 1)] = [cost(19.0)]
    assert all(r.ok for r in await run(store, api, planes=["usage"]))
    assert store.billing.billed_summary().cost_usd == Decimal("49.0")
    assert store.billing.account_health(account, now=NOW).health == "ok"


async def test_an_anthropic_account_without_quota_rows_is_visible_when_it_fails(
    store: Store, anthropic: Account
) -> None:
    api = FakeAPI()
    page = {"data": [], "has_more": False, "next_page": None}
    for path in ("cost_report", "usage_report/messages", "usage_report/claude_code"):
        api.add("GET", f"/v1/organizations/{path}", js(page))
    api.add("GET", "/v1/organizations/rate_limits", js({"data": []}))
    assert all(r.ok for r in await run(store, api))
    assert quotas_report(store)[0]["kind"] == "account"  # no limits, yet listed

    api.add("GET", "/v1/organizations/cost_report", js({"type": "error", "error": {"type": "overloaded_error"}}))
    reports = await run(store, api)
    assert [(r.plane, r.ok) for r in reports] == [("usage", False), ("quota", True)]
    (row,) = quotas_report(store)
    assert (row["provider"], row["kind"], row["health"], row["limit"]) == ("anthropic", "account", "error", None)
    assert "overloaded_error" in row["last_error"]
    (entry,) = status_report(store, now=NOW)["accounts"]
    assert entry["health"] == "error" and "overloaded_error" in entry["planes"]["usage"]["last_error"]


async def test_a_hung_provider_is_bounded_said_and_failing_meanwhile(store: Store, account: Account) -> None:
    good = OpenAIFake()
    good.costs = {date(2026, 8, 1): [cost(2.5)]}
    assert all(r.ok for r in await run(store, good))
    before = dump(store)
    hanging, release = asyncio.Event(), asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        hanging.set()
        await release.wait()
        return good.handler(request)

    messages: list[str] = []
    waiting = asyncio.Event()

    def progress(msg: str) -> None:
        messages.append(msg)
        if "waiting for" in msg:
            waiting.set()

    settings = SyncSettings(max_retries=4, account_timeout_seconds=30)
    async with httpx.AsyncClient(transport=httpx.MockTransport(hang)) as client:
        task = asyncio.create_task(
            sync_account(
                store,
                account,
                client,
                planes=["usage"],
                settings=settings,
                progress=progress,
                sleep=Sleeps(),
                now=lambda: NOW,
                notice_every=0.01,
            )
        )
        await asyncio.wait_for(waiting.wait(), 5)
        # While it waits, the account does not read healthy, and the progress says for what.
        assert "openai/default: waiting for api.test (usage, 1/5 tries)" in messages
        health = store.billing.account_health(account, now=NOW)
        assert health.health == "error" and "no answer yet from api.test" in (health.last_error or "")
        release.set()
        (report,) = await task
    assert report.ok and store.billing.account_health(account, now=NOW).health == "ok"

    # Never released: the deadline ends the sync, keeps what was stored, and says why.
    release.clear()
    settings = SyncSettings(max_retries=4, account_timeout_seconds=0.05)
    async with httpx.AsyncClient(transport=httpx.MockTransport(hang)) as client:
        reports = await sync(store, client=client, settings=settings, sleep=Sleeps(), now=lambda: NOW)
    assert [(r.plane, r.ok) for r in reports] == [("usage", False), ("quota", False)]
    assert "gave up after 0.05 s" in reports[0].message and "waiting for api.test (usage, 1/5 tries)" in (
        reports[0].message
    )
    assert dump(store) == before
    assert store.billing.account_health(account, now=NOW).health == "error"


async def test_a_retried_failure_shows_on_the_account_before_the_retries_end(store: Store, account: Account) -> None:
    api = OpenAIFake()
    api.costs = {date(2026, 8, 1): [cost(1.0)]}
    assert all(r.ok for r in await run(store, api))
    api.add("GET", COSTS, js({"error": {"message": "busy"}}, 503), api._costs)
    seen: list[str] = []

    async def sleep(seconds: float) -> None:
        health = await asyncio.to_thread(store.billing.account_health, account, now=NOW)
        seen.append(health.health + ": " + (health.last_error or ""))

    async with api.client() as client:
        reports = await sync(store, client=client, planes=["usage"], sleep=sleep, now=lambda: NOW)
    assert reports[0].ok
    assert seen and seen[0].startswith("error:") and "503" in seen[0] and "retrying, 1/5 tries" in seen[0]
    assert store.billing.account_health(account, now=NOW).health == "ok"


def test_key_runs_longer_than_the_public_prefix_are_redacted() -> None:
    key = "sk-admin-AbCdEfGhIjKlMnOpQrStUvWx1234"
    assert redact_secrets(f"invalid key {key[:20]}...", [key]) == "invalid key [key]..."
    assert redact_secrets(f"key {key} rejected", [key]) == "key [key] rejected"
    assert redact_secrets(f"ending ...{key[-15:]}", [key]) == "ending ...[key]"
    assert redact_secrets(f"middle {key[14:24]}!", [key]) == "middle [key]!"
    # The public prefix alone, and ordinary words, stay readable.
    hint = "an Admin key (sk-admin-…) is needed; project keys (sk-proj-…) are refused"
    assert redact_secrets(hint, [key]) == hint
    anthropic = "sk-ant-admin01-ZyXwVuTsRqPoNm"
    assert redact_secrets(f"got {anthropic[:18]}", [anthropic]) == "got [key]"
    assert redact_secrets("needs sk-ant-admin…", [anthropic]) == "needs sk-ant-admin…"


async def test_an_echoed_key_prefix_never_reaches_last_error(store: Store, account: Account) -> None:
    api = OpenAIFake()
    api.add("GET", COSTS, js({"error": {"message": f"Incorrect API key provided: {KEY[:20]}****"}}, 401))
    reports = await run(store, api, planes=["usage"])
    assert not reports[0].ok and KEY[9:20] not in reports[0].message and "[key]" in reports[0].message
    health = store.billing.account_health(account, now=NOW)
    assert health.last_error and KEY[9:20] not in health.last_error


def test_cli_says_each_failure_once_and_scripts_see_it(runner_env: CliRunner, monkeypatch) -> None:
    runner = runner_env

    def gateway(request: httpx.Request) -> httpx.Response:
        return js({})  # a gateway that answers 200 with nothing in it

    monkeypatch.setattr(
        "costtui.services.sync.make_http_client",
        lambda timeout=30: httpx.AsyncClient(transport=httpx.MockTransport(gateway)),
    )
    runner.invoke(cli, ["keys", "add", "anthropic", "--admin"], input="sk-ant-admin01-GATEWAYGATEWAY\n")
    res = runner.invoke(cli, ["sync"])
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 2, res.output  # usage and quota failed differently: one line each, no log lines
    assert all(line.startswith("✗ anthropic/default") for line in lines)
    assert "cost_report response has no 'data' list" in lines[0] and "rate_limits response" in lines[1]
    assert "0 rows written" not in res.output and "INFO" not in res.output and "WARNING" not in res.output
    status = json.loads(runner.invoke(cli, ["status", "--json"]).output)
    (entry,) = status["accounts"]
    assert entry["health"] == "error" and entry["planes"]["usage"]["ok"] is False
    quotas = json.loads(runner.invoke(cli, ["quotas", "--json"]).output)
    assert [(q["provider"], q["kind"], q["health"]) for q in quotas] == [("anthropic", "account", "error")]


@pytest.fixture
def runner_env(memory_keyring) -> CliRunner:
    return CliRunner()
