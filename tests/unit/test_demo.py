"""The demo: usage plus the provider side (accounts, billed costs, limits), offline, idempotent,
never synced, in its own database with its own listener port."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from costtui.agents import AGENT_SOURCES
from costtui.analytics.agents import overview
from costtui.cli import cli
from costtui.config import Settings
from costtui.demo import demo_accounts
from costtui.services.demo import demo_settings, fill_demo
from costtui.services.sync import DEMO_SKIPPED, sync
from costtui.services.sync import test_account as check_account
from costtui.store import Store

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def table_dump(store: Store) -> dict[str, list[dict[str, object]]]:
    return {
        table: store.query(f"SELECT * FROM {table} ORDER BY 1, 2, 3")
        for table in ("accounts", "billed_costs", "quota_latest", "quota_history", "account_sync")
    } | {"events": [{"n": store.count_events()}]}


def test_demo_fills_every_plane_and_a_second_run_changes_nothing(db_path: Path) -> None:
    with Store(db_path) as store:
        first = fill_demo(store, days=20, now=NOW)
        assert first.events > 1000 and first.accounts == 4 and first.billed_written > 0
        before = table_dump(store)
        again = fill_demo(store, days=20, now=NOW)
        assert (again.events, again.accounts, again.billed_written) == (0, 0, 0)
        assert table_dump(store) == before

        accounts = store.billing.list_accounts()
        assert {a.provider for a in accounts} == {"openai", "anthropic", "openrouter", "deepseek"}
        assert all(a.is_demo and a.key_fp is None for a in accounts)
        kinds = {(q.provider, q.kind) for q in store.billing.latest_quotas()}
        assert {
            ("openai", "spend_limit"),
            ("openai", "configured_rate_limit.requests"),
            ("openai", "rate_limit.tokens"),
            ("anthropic", "configured_rate_limit.input_tokens_per_minute"),
            ("openrouter", "key_limit"),
            ("openrouter", "credits"),
            ("deepseek", "balance"),
        } <= kinds
        # Billed sits near metered (a few percent above), and stops at yesterday. The coding
        # agents run on their plans (Claude, ChatGPT): the providers' cost reports leave them out.
        billed = store.billing.billed_summary()
        on_plans = sum((store.totals(source=s).cost_usd for s in AGENT_SOURCES), start=Decimal(0))
        assert on_plans > 0
        metered = store.totals().cost_usd - on_plans
        assert metered * Decimal("0.9") < billed.cost_usd < metered * Decimal("1.2")
        assert billed.last_day is not None and billed.last_day < NOW.date()
        spend = next(q for q in store.billing.latest_quotas("openai") if q.kind == "spend_limit")
        assert spend.limit is not None and spend.used is not None and 0 < spend.used < spend.limit


def test_demo_has_coding_agent_sessions_a_live_block_and_codex_plan_windows(db_path: Path) -> None:
    with Store(db_path) as store:
        fill_demo(store, days=20, now=NOW)
        agents = overview(store, NOW)
    sessions = agents.sessions
    assert {s.source for s in sessions} == {"claude-code", "codex"}
    assert all(s.project and s.project.startswith("/home/dev/src/") for s in sessions)
    # A few sessions on each weekday (NOW is a Friday: 20 days hold 14 weekdays), none on weekends.
    days = {s.end.date() for s in sessions}
    assert len(days) >= 12 and all(d.weekday() < 5 for d in days)
    # The agents are at work now: the current 5-hour block shows both.
    assert agents.current is not None and agents.current.is_active(NOW)
    assert {"claude-sonnet-4-5", "gpt-5-codex"} <= agents.current.models
    windows = {w.window: w.used_percent for w in agents.windows}
    assert windows == {"5h": Decimal(27), "week": Decimal(58)}
    assert agents.official_reset() is not None and agents.official_reset() > NOW


def test_demo_agent_events_are_deterministic_and_shaped_like_the_imports() -> None:
    from costtui.demo import demo_agent_events, demo_events

    api = list(demo_events(20, now=NOW))
    agents = list(demo_agent_events(20, now=NOW))
    assert {e.source for e in api}.isdisjoint(AGENT_SOURCES)
    assert {e.source for e in agents} == {"claude-code", "codex"}
    assert [e.event_id for e in agents] == [e.event_id for e in demo_agent_events(20, now=NOW)]
    claude = [e for e in agents if e.source == "claude-code"]
    assert sum(e.cache_read_tokens for e in claude) > 10 * sum(e.input_tokens for e in claude)
    assert any(e.cache_write_1h_tokens for e in claude)
    assert {e.model for e in claude} <= {"claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"}


def test_status_json_has_billed_and_quotas_after_costtui_demo(db_path: Path) -> None:
    runner = CliRunner()
    for _ in range(2):  # the second run adds nothing
        result = runner.invoke(cli, ["demo", "--days", "10"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    assert "Added 0 demo events (10 days), 0 demo accounts and 0 billed lines" in result.output
    report = json.loads(runner.invoke(cli, ["status", "--json"], catch_exceptions=False).output)
    assert Decimal(report["billed"]["cost_usd"]) > 0
    quotas = {(q["provider"], q["kind"]): q for q in report["quotas"]}
    assert {("openai", "spend_limit"), ("openrouter", "credits"), ("deepseek", "balance")} <= set(quotas)
    assert quotas[("deepseek", "balance")]["health"] == "ok"


def test_demo_accounts_are_never_synced_nor_tested(db_path: Path) -> None:
    calls: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise AssertionError(f"a demo account called {request.url}")

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
            with Store(db_path) as store:
                fill_demo(store, days=3, now=NOW)
                before = store.billing.billed_lines()
                reports = await sync(store, client=client)
                assert reports and all(r.ok and r.message == DEMO_SKIPPED for r in reports)
                assert store.billing.billed_lines() == before
                for account in store.billing.list_accounts():
                    check = await check_account(account, client=client)
                    assert check.status == "unsupported" and "demo account" in check.message

    asyncio.run(run())
    assert calls == []


def test_keys_test_says_demo_account(db_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(cli, ["demo", "--days", "2"], catch_exceptions=False)
    result = runner.invoke(cli, ["keys", "test"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.count("demo account") == len(demo_accounts())


def test_demo_listener_never_takes_the_real_port() -> None:
    settings = Settings()
    assert settings.listener.port == 8787
    demo = demo_settings(settings)
    assert demo.listener.port == 0
    assert settings.listener.port == 8787  # the user's settings object is untouched


def test_demo_stores_no_key(db_path: Path, memory_keyring: Any) -> None:
    with Store(db_path) as store:
        fill_demo(store, days=1, now=NOW)
    assert memory_keyring.store == {}


def test_removing_a_demo_account_leaves_the_keyring_alone(db_path: Path, memory_keyring: Any) -> None:
    from costtui.secrets import Credentials
    from costtui.services.accounts import AccountsService

    with Store(db_path) as store:
        fill_demo(store, days=1, now=NOW)
        account = store.billing.find_account("openai", "demo")
        credentials = Credentials()
        credentials.set_secret(account.secret_name, "sk-admin-the-users-own-key-0000")
        assert AccountsService(store, credentials).remove(account) is None
        assert credentials.get_secret(account.secret_name) == "sk-admin-the-users-own-key-0000"
        assert [a.provider for a in store.billing.list_accounts()] == ["anthropic", "deepseek", "openrouter"]
