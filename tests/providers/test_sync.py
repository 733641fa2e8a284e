"""Sync end to end against replayed APIs: idempotency, corrections, outages, backfill, health."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from costtui.config import SyncSettings
from costtui.models import Account
from costtui.services.sync import Scheduler, sync
from costtui.services.sync import test_account as check_account
from costtui.store import Store

from .fakes import FakeAPI, Sleeps, js

KEY = "sk-admin-SYNCSECRETSYNCSECRET42"
NOW = datetime(2026, 8, 3, 12, tzinfo=UTC)


def bucket(day: date, results: list[dict]) -> dict:
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    return {"object": "bucket", "start_time": start, "end_time": start + 86400, "results": results}


def cost(value: float, item: str = "gpt-5-mini, input") -> dict:
    return {
        "object": "organization.costs.result",
        "amount": {"value": value, "currency": "usd"},
        "line_item": item,
        "project_id": "proj_1",
    }


class OpenAIFake(FakeAPI):
    """Costs per day from ``self.costs``; completions empty; newer endpoints 404."""

    def __init__(self) -> None:
        super().__init__()
        self.costs: dict[date, list[dict]] = {}
        self.add("GET", "/v1/organization/costs", self._costs)
        self.add(
            "GET",
            "/v1/organization/spend_limit",
            js(
                {
                    "object": "organization.spend_limit",
                    "threshold_amount": 10000,
                    "currency": "USD",
                    "interval": "month",
                }
            ),
        )
        for name in (
            "completions",
            "embeddings",
            "moderations",
            "images",
            "audio_speeches",
            "audio_transcriptions",
            "vector_stores",
            "code_interpreter_sessions",
        ):
            self.add("GET", f"/v1/organization/usage/{name}", js({"object": "page", "data": [], "has_more": False}))

    def _costs(self, request: httpx.Request) -> httpx.Response:
        start = datetime.fromtimestamp(int(request.url.params["start_time"]), UTC).date()
        end = datetime.fromtimestamp(int(request.url.params.get("end_time", 2**31)), UTC).date()
        data = [bucket(d, r) for d, r in sorted(self.costs.items()) if start <= d < end]
        return js({"object": "page", "data": data, "has_more": False, "next_page": None})


@pytest.fixture
def store(db_path: Path) -> Store:
    s = Store(db_path)
    yield s
    s.close()


@pytest.fixture
def account(credentials, store: Store) -> Account:
    credentials.set_secret("openai:default", KEY)
    return store.billing.add_account(Account(provider="openai", key_kind="admin", base_url="https://api.test/v1"))


def dump(store: Store) -> list[dict]:
    return store.query("SELECT * FROM billed_costs ORDER BY id")


async def run(store: Store, api: FakeAPI, **kw) -> list:
    async with api.client() as client:
        return await sync(store, client=client, sleep=Sleeps(), now=lambda: NOW, **kw)


async def test_same_sync_twice_gives_same_rows(store: Store, account: Account) -> None:
    api = OpenAIFake()
    api.costs = {date(2026, 8, 1): [cost(1.5), cost(0.25, "gpt-5-mini, output")], date(2026, 8, 2): [cost(2.0)]}
    reports = await run(store, api)
    assert all(r.ok for r in reports), reports
    first = dump(store)
    assert len(first) == 3
    await run(store, api)
    assert dump(store) == first  # identical, updated_at included
    assert store.billing.billed_summary().cost_usd == Decimal("3.75")


async def test_late_correction_and_removed_line(store: Store, account: Account) -> None:
    api = OpenAIFake()
    api.costs = {date(2026, 8, 1): [cost(1.5), cost(0.25, "gpt-5-mini, output")]}
    await run(store, api)
    ids = {r["line_item"]: r["id"] for r in dump(store)}
    api.costs = {date(2026, 8, 1): [cost(1.75)]}  # corrected, and the output line regrouped away
    await run(store, api)
    rows = dump(store)
    assert [(r["id"], r["line_item"], r["cost_nusd"]) for r in rows] == [
        (ids["gpt-5-mini, input"], "gpt-5-mini, input", 1_750_000_000)
    ]


async def test_first_sync_backfills_in_chunks_with_progress(store: Store, account: Account) -> None:
    api = OpenAIFake()
    messages: list[str] = []
    await run(store, api, progress=messages.append, planes=["usage"])
    calls = api.calls("/v1/organization/costs")
    starts = [datetime.fromtimestamp(int(c.url.params["start_time"]), UTC).date() for c in calls]
    assert starts[0] == NOW.date() - timedelta(days=89) and len(calls) == 3
    assert any("part 3/3" in m for m in messages)
    assert store.billing.synced_through(account.id, "usage") == date(2026, 8, 2)
    # The next sync re-reads only the overlap (3 days before the watermark) through today.
    api.requests.clear()
    await run(store, api, planes=["usage"])
    start = datetime.fromtimestamp(int(api.calls("/v1/organization/costs")[0].url.params["start_time"]), UTC).date()
    assert start == date(2026, 7, 30)


async def test_since_overrides_window(store: Store, account: Account) -> None:
    api = OpenAIFake()
    await run(store, api, since=date(2026, 8, 1), planes=["usage"])
    assert len(api.calls("/v1/organization/costs")) == 1


@pytest.mark.parametrize(
    "failure",
    [js({"error": {"message": "down"}}, 500), httpx.ReadTimeout("slow"), js({}, 429, {"retry-after": "1"})],
    ids=["500", "timeout", "429"],
)
async def test_outage_is_recorded_not_raised(store: Store, account: Account, failure) -> None:
    api = OpenAIFake()
    api.costs = {date(2026, 8, 1): [cost(1.5)]}
    await run(store, api, planes=["usage"])
    before = dump(store)
    api.add("GET", "/v1/organization/costs", failure)
    reports = await run(store, api, planes=["usage"], settings=SyncSettings(max_retries=2))
    assert [r.ok for r in reports] == [False]
    assert dump(store) == before  # nothing duplicated, nothing lost
    health = store.billing.account_health(account, now=NOW)
    assert health.health == "error" and health.last_error and health.last_success_at is not None


async def test_quotas_and_spend_used_from_costs(store: Store, account: Account) -> None:
    api = OpenAIFake()
    api.costs = {date(2026, 8, 1): [cost(12.5)], date(2026, 7, 31): [cost(99)]}
    await run(store, api)
    (q,) = store.billing.latest_quotas()
    assert (q.kind, q.limit, q.used, q.remaining) == ("spend_limit", Decimal(100), Decimal("12.5"), Decimal("87.5"))
    assert store.billing.account_health(account, now=NOW).health == "ok"
    assert store.billing.account_health(account, now=NOW + timedelta(hours=5)).health == "stale"


async def test_missing_key_and_locked_file_are_health_errors(store: Store, no_keyring) -> None:
    acc = store.billing.add_account(Account(provider="deepseek", key_kind="inference"))
    reports = await run(store, FakeAPI(), planes=["quota"])
    assert not reports[0].ok and "COSTTUI_KEYRING_PASSPHRASE" in reports[0].message
    assert store.billing.account_health(acc, now=NOW).health == "error"


async def test_no_api_provider_is_skipped(store: Store) -> None:
    store.billing.add_account(Account(provider="groq", key_kind="inference"))
    reports = await run(store, FakeAPI())
    assert all(r.ok and "no billing API" in r.message for r in reports)


async def test_disabled_accounts_are_not_synced(store: Store, account: Account) -> None:
    store.billing.update_account(account.id, enabled=False)
    api = OpenAIFake()
    assert await run(store, api) == [] and api.requests == []


async def test_cancel_keeps_committed_chunks(store: Store, account: Account) -> None:
    api = OpenAIFake()
    api.costs = {NOW.date() - timedelta(days=80): [cost(1)]}
    gate = asyncio.Event()
    calls = 0

    def slow(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls > 1:
            gate.set()
            raise httpx.ReadTimeout("never")  # would keep retrying; we cancel meanwhile
        return api._costs(request)

    api.add("GET", "/v1/organization/costs", slow)

    async def forever(_: float) -> None:
        await asyncio.sleep(3600)

    async with api.client() as client:
        task = asyncio.create_task(sync(store, client=client, sleep=forever, now=lambda: NOW, planes=["usage"]))
        await asyncio.wait_for(gate.wait(), 5)
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert len(dump(store)) == 1  # the first 31-day chunk was committed


async def test_scheduler_runs_due_planes_and_refresh_now(store: Store, account: Account) -> None:
    api = OpenAIFake()
    clock = [NOW]
    got: list[list] = []
    async with api.client() as client:
        sched = Scheduler(
            store, SyncSettings(), client=client, on_report=got.append, sleep=Sleeps(), now=lambda: clock[0]
        )
        assert sorted(sched.due()) == ["quota", "usage"]
        await sched.run_once()
        assert sched.due() == []
        clock[0] = NOW + timedelta(minutes=6)
        assert sched.due() == ["quota"]
        assert sched.seconds_until_due() == 0
        sched.refresh_now()
        assert sorted(sched.due()) == ["quota", "usage"]
        await sched.run_once()
    assert len(got) == 2


async def test_keys_test_messages(credentials, store: Store, account: Account) -> None:
    api = FakeAPI().add("GET", "/v1/organization/costs", js({"error": {"message": "bad"}}, 401))
    async with api.client() as client:
        r = await check_account(account, client=client)
    assert r.status == "failed" and r.mark == "✗" and "revoked" in r.message
    credentials.set_secret("openai:default", "sk-proj-notadminnotadmin123")
    async with api.client() as client:
        r = await check_account(account, client=client)
    assert r.status == "failed" and "wrong kind of key" in r.message and "sk-admin" in r.message
    # A key that could not be asked about is never shown as working, nor as wrong.
    api = FakeAPI().add("GET", "/v1/organization/costs", httpx.ConnectError("no route"))
    async with api.client() as client:
        r = await check_account(account, client=client)
    assert r.status == "unchecked" and r.mark == "?" and "no network" in r.message


async def test_configured_rate_limits_are_read_a_few_times_a_day(credentials, store: Store) -> None:
    credentials.set_secret("anthropic:default", "sk-ant-admin01-RLRLRLRLRL")
    store.billing.add_account(Account(provider="anthropic", key_kind="admin", base_url="https://anthropic.test"))
    api = FakeAPI().add(
        "GET",
        "/v1/organizations/rate_limits",
        js(
            {
                "data": [
                    {
                        "id": "g",
                        "type": "rate_limit",
                        "group_type": "model_group",
                        "models": ["claude-haiku-4-5"],
                        "limits": [{"type": "requests_per_minute", "value": 50}],
                    }
                ],
                "next_page": None,
            }
        ),
    )
    clock = [NOW]
    async with api.client() as client:
        for minutes in (0, 5, 60 * 7):
            clock[0] = NOW + timedelta(minutes=minutes)
            await sync(store, client=client, planes=["quota"], sleep=Sleeps(), now=lambda: clock[0])
    assert len(api.calls("/v1/organizations/rate_limits")) == 2
    assert store.billing.latest_quotas()[0].limit == Decimal(50)


async def test_run_scheduler_is_cancellable(store: Store, account: Account, monkeypatch, caplog) -> None:
    import logging

    from costtui.services.sync import run_scheduler

    api = OpenAIFake()
    monkeypatch.setattr("costtui.services.sync.make_http_client", lambda timeout=30: api.client())
    caplog.set_level(logging.INFO, logger="costtui.sync")
    task = asyncio.create_task(run_scheduler(store, SyncSettings(backfill_days=2)))
    for _ in range(200):
        await asyncio.sleep(0.01)
        if "sync openai/default quota" in caplog.text:
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "sync openai/default usage" in caplog.text and KEY not in caplog.text


async def test_anthropic_sync_twice_same_rows(credentials, store: Store) -> None:
    from .test_anthropic import full_api

    credentials.set_secret("anthropic:default", "sk-ant-admin01-IDEMPOTENT")
    store.billing.add_account(Account(provider="anthropic", key_kind="admin", base_url="https://anthropic.test"))
    api = full_api().add("GET", "/v1/organizations/rate_limits", js({"data": [], "next_page": None}))
    for _ in range(2):
        await run(store, api, since=date(2026, 8, 1))
    first = dump(store)
    await run(store, api, since=date(2026, 8, 1))
    assert dump(store) == first and len(first) == 5  # 3 cost lines, 1 usage line, 1 Claude Code estimate
    assert store.billing.billed_summary().cost_usd == Decimal("0.435165")  # the estimate is not money owed


async def test_a_failing_claude_code_day_keeps_cost_and_usage_in_the_store(credentials, store: Store) -> None:
    from .test_anthropic import full_api

    credentials.set_secret("anthropic:default", "sk-ant-admin01-PARTIALPARTIAL")
    acc = store.billing.add_account(Account(provider="anthropic", key_kind="admin", base_url="https://anthropic.test"))
    api = full_api().add(
        "GET",
        "/v1/organizations/usage_report/claude_code",
        lambda r: (
            js({"error": {"type": "rate_limit_error", "message": "slow down"}}, 429)
            if r.url.params["starting_at"] == "2026-08-02"
            else js({"data": [], "has_more": False, "next_page": None})
        ),
    )
    api.add("GET", "/v1/organizations/rate_limits", js({"data": [], "next_page": None}))
    reports = await run(store, api, planes=["usage"], since=date(2026, 8, 1), settings=SyncSettings(max_retries=0))
    assert not reports[0].ok and "Claude Code report of 2026-08-02 failed" in reports[0].message
    assert "rate limited" in reports[0].message and "kept" in reports[0].message
    assert store.billing.billed_summary().cost_usd == Decimal("0.435165")  # the cost report is stored
    assert {r["kind"] for r in dump(store)} == {"cost", "usage"}
    health = store.billing.account_health(acc)
    assert health.health == "error" and "Claude Code" in (health.last_error or "")
    assert health.usage_synced_through is None  # the days are read again next time


async def test_openrouter_ordinary_key_loses_no_spend_between_syncs(credentials, store: Store) -> None:
    """The shape of GET /key (providers.md 4.1): `usage` is a running total, `usage_daily` today's
    spend so far. Spend after a day's last sync is found from the next sync's running total."""
    credentials.set_secret("openrouter:default", "sk-or-v1-RUNNINGTOTALRUNNING")
    store.billing.add_account(Account(provider="openrouter", base_url="https://openrouter.test/api/v1"))
    key = {"label": "sk-or-v1-5d2...9af", "limit": None, "is_management_key": False}
    api = FakeAPI()

    async def sync_at(when: datetime, usage: str, daily: str) -> None:
        api.add("GET", "/api/v1/key", js({"data": {**key, "usage": float(usage), "usage_daily": float(daily)}}))
        settings = SyncSettings(backfill_days=4)
        async with api.client() as client:
            reports = await sync(store, client=client, planes=["usage"], settings=settings, now=lambda: when)
        assert all(r.ok for r in reports), reports

    def day_costs() -> dict:
        return store.billing.billed_by_day(date(2026, 7, 1), date(2026, 8, 31), "openrouter")

    # Aug 3, 10:00: $2 spent so far today, $100 in all. The days before are unknown, not $0.
    await sync_at(datetime(2026, 8, 3, 10, tzinfo=UTC), "100", "2")
    assert day_costs() == {date(2026, 7, 31): None, date(2026, 8, 1): None, date(2026, 8, 2): None, date(2026, 8, 3): 2}
    assert store.billing.billed_summary().unknown_days == 3
    # Aug 4, 09:00: $1 today, $110 in all → Aug 3 cost 109 - 98 = $11, not the $2 seen at 10:00.
    await sync_at(datetime(2026, 8, 4, 9, tzinfo=UTC), "110", "1")
    assert day_costs()[date(2026, 8, 3)] == Decimal(11) and day_costs()[date(2026, 8, 4)] == Decimal(1)
    # No sync on Aug 5 and 6; Aug 7: $4 today, $140 in all → Aug 4-6 share 136 - 109 = $27.
    await sync_at(datetime(2026, 8, 7, 12, tzinfo=UTC), "140", "4")
    days = day_costs()
    assert sum(days[date(2026, 8, d)] for d in (4, 5, 6)) == Decimal(27) and days[date(2026, 8, 4)] >= 1
    # Every dollar since the first reading is billed once: 140 - 98 = 42.
    assert store.billing.billed_summary().cost_usd == Decimal(42)
    rows = dump(store)
    await sync_at(datetime(2026, 8, 7, 13, tzinfo=UTC), "140", "4")
    assert [(r["day"], r["cost_nusd"]) for r in dump(store)] == [(r["day"], r["cost_nusd"]) for r in rows]
