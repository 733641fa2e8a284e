"""Listener lifecycle and the read routes: binding errors, health, metrics, status, CORS, limits."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from listener_helpers import AUTH, INGEST_KEY, count_rows, good_event
from prometheus_client.parser import text_string_to_metric_families

from costtui import __version__
from costtui.config import ListenerSettings
from costtui.listener import InsecureBind, Listener, PortHeldByCosttui, PortInUse
from costtui.listener.app import ListenerState, build_app
from costtui.listener.metrics import ListenerMetrics
from costtui.listener.writer import BatchWriter
from costtui.store import Store


async def test_health_and_version(client: aiohttp.ClientSession) -> None:
    async with client.get("/health") as resp:
        doc = await resp.json()
    assert resp.status == 200
    assert doc["service"] == "costtui" and doc["version"] == __version__ and doc["database"]["reachable"] is True
    assert doc["uptime_seconds"] >= 0 and doc["last_event_at"] is None
    async with client.post("/ingest", json=good_event(), headers=AUTH):
        pass
    async with client.get("/health") as resp:
        assert (await resp.json())["last_event_at"] is not None
    async with client.get("/version") as resp:
        assert await resp.json() == {"service": "costtui", "version": __version__}


async def test_status_is_the_cli_json(client: aiohttp.ClientSession, db_path: Path) -> None:
    from costtui.analytics.summary import status_report

    async with client.post("/ingest", json=good_event(), headers=AUTH):
        pass
    async with client.get("/api/status") as resp:
        doc = await resp.json()
    with Store(db_path) as store:
        expected = status_report(store)
    assert set(doc) == set(expected)
    assert doc["totals"] == expected["totals"] and doc["totals"]["events"] == 1


async def test_metrics_parse(client: aiohttp.ClientSession) -> None:
    async with client.post(
        "/ingest", json=[good_event(event_id="m1"), good_event(event_id="m1"), {"model": 3}], headers=AUTH
    ):
        pass
    async with client.post("/ingest", json=good_event(), headers={"X-Ingest-Key": "bad"}):
        pass
    async with client.get("/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await resp.text()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    assert samples[("costtui_ingest_accepted_total", (("route", "ingest"),))] == 1
    assert samples[("costtui_ingest_duplicate_total", (("route", "ingest"),))] == 1
    assert samples[("costtui_ingest_rejected_total", (("route", "ingest"),))] == 1
    assert samples[("costtui_ingest_bad_auth_total", (("route", "ingest"),))] == 1
    cost = samples[("costtui_cost_usd", (("model", "gpt-4o-mini"), ("provider", "openai")))]
    assert cost > 0
    assert samples[("costtui_tokens", (("model", "gpt-4o-mini"), ("provider", "openai"), ("type", "output")))] == 200
    assert ("costtui_month_to_date_cost_usd", ()) in samples


async def test_rate_limit_per_address_and_per_token(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, tokens: dict[str, str]
) -> None:
    monkeypatch.setenv("COSTTUI_INGEST_KEY", INGEST_KEY)
    settings = ListenerSettings(
        port=0,
        rate_limit_loopback=True,
        rate_limit_address_per_second=0.5,
        rate_limit_address_burst=3,
        rate_limit_token_per_second=0.5,
        rate_limit_token_burst=1,
    )
    async with Listener(db_path, settings) as lst, aiohttp.ClientSession(base_url=lst.url) as c:
        async with c.post(
            "/ingest", json=good_event(tracking_token=tokens["good"], event_id="r0"), headers=AUTH
        ) as resp:
            assert resp.status == 200
        async with c.post(
            "/ingest", json=good_event(tracking_token=tokens["good"], event_id="r1"), headers=AUTH
        ) as resp:
            assert resp.status == 429
            assert int(resp.headers["Retry-After"]) >= 1
            assert "tracking token of app 'billing-bot'" in (await resp.json())["error"]
        async with c.post("/ingest", json=good_event(event_id="r2"), headers=AUTH) as resp:
            assert resp.status == 200
        async with c.post("/ingest", json=good_event(event_id="r3"), headers=AUTH) as resp:
            assert resp.status == 429
            assert resp.headers["Retry-After"] == "2"
            assert "client address 127.0.0.1" in (await resp.json())["error"]
    assert count_rows(db_path) == 2


async def test_cors_only_for_allowed_origins(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, tokens: dict[str, str]
) -> None:
    monkeypatch.setenv("COSTTUI_INGEST_KEY", INGEST_KEY)
    settings = ListenerSettings(port=0, cors_origins=["https://dash.example.com"])
    async with Listener(db_path, settings) as lst, aiohttp.ClientSession(base_url=lst.url) as c:
        pre = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "X-Read-Key"}
        async with c.options("/api/status", headers={"Origin": "https://dash.example.com", **pre}) as resp:
            assert resp.status == 204
            assert resp.headers["Access-Control-Allow-Origin"] == "https://dash.example.com"
        async with c.options("/api/status", headers={"Origin": "https://evil.example", **pre}) as resp:
            assert resp.status == 403
            assert "not on the listener's CORS allow-list" in (await resp.json())["error"]
        async with c.get("/api/status", headers={"Origin": "https://dash.example.com"}) as resp:
            assert resp.headers["Access-Control-Allow-Origin"] == "https://dash.example.com"
        async with c.get("/api/status", headers={"Origin": "https://evil.example"}) as resp:
            assert "Access-Control-Allow-Origin" not in resp.headers


async def test_read_routes_need_the_read_key_when_public(db_path: Path) -> None:
    """State says the listener is bound to a public address (the test server itself is loopback)."""
    writer = BatchWriter(db_path)
    await writer.start()
    store = Store(db_path)
    state = ListenerState(
        settings=ListenerSettings(),
        host="192.0.2.10",
        writer=writer,
        read_store=store,
        ingest_key=INGEST_KEY,
        read_key="ctr_read-key-123456789",
        metrics=ListenerMetrics(lambda: store),
    )
    server = TestServer(build_app(state), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession(base_url=str(server.make_url(""))) as c:
            for path in ("/api/status", "/metrics"):
                async with c.get(path) as resp:
                    assert resp.status == 401 and "missing read key" in (await resp.json())["error"]
                async with c.get(path, headers={"X-Read-Key": "nope"}) as resp:
                    assert resp.status == 401 and "wrong read key" in (await resp.json())["error"]
                async with c.get(path, headers={"Authorization": "Bearer ctr_read-key-123456789"}) as resp:
                    assert resp.status == 200
                # Only space and tab are trimmed; a right key beside a wrong one is refused.
                async with c.get(path, headers={"X-Read-Key": "ctr_read-key-123456789\u2028"}) as resp:
                    assert resp.status == 401 and "wrong read key" in (await resp.json())["error"]
                both = {"X-Read-Key": "ctr_read-key-123456789", "Authorization": "Bearer nope"}
                async with c.get(path, headers=both) as resp:
                    assert resp.status == 400 and "carry different keys" in (await resp.json())["error"]
            async with c.get("/api/status", headers={"X-Read-Key": "ctr_read-key-123456789"}) as resp:
                assert "database" not in await resp.json()  # no file paths to the network
            # Public bind: the ingest key is required even from loopback.
            async with c.post("/ingest", json=good_event()) as resp:
                assert resp.status == 401
    finally:
        await server.close()
        await writer.stop()
        store.close()


async def test_port_held_by_another_costtui(listener: Listener, db_path: Path) -> None:
    second = Listener(db_path, ListenerSettings(), port=listener.port)
    with pytest.raises(PortHeldByCosttui) as info:
        await second.start()
    assert info.value.url == listener.url and info.value.version == __version__
    assert info.value.same_database is True
    other_db = Listener(db_path.with_name("other.db"), ListenerSettings(), port=listener.port)
    with pytest.raises(PortHeldByCosttui, match="with another database file") as info:
        await other_db.start()
    assert info.value.same_database is False
    assert not second.running
    # The first one is unaffected.
    async with aiohttp.ClientSession() as c, c.get(listener.url + "/health") as resp:
        assert resp.status == 200


async def test_port_held_by_something_else(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COSTTUI_INGEST_KEY", INGEST_KEY)

    async def not_costtui(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"service":"x"}')
        await writer.drain()
        writer.close()

    other = await asyncio.start_server(not_costtui, "127.0.0.1", 0)
    port = other.sockets[0].getsockname()[1]
    try:
        with pytest.raises(PortInUse, match="used by another program"):
            await Listener(db_path, ListenerSettings(), port=port).start()
    finally:
        other.close()
        await other.wait_closed()


async def test_port_held_by_a_silent_socket(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COSTTUI_INGEST_KEY", INGEST_KEY)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    try:
        with pytest.raises(PortInUse):
            await Listener(db_path, ListenerSettings(), port=sock.getsockname()[1]).start()
    finally:
        sock.close()


def _no_key_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """A locked system keyring and a data dir where no key file can be written."""
    from costtui import secrets as cred
    from costtui.listener.keys import KeyUnavailable, ListenerKeys

    def locked(self: object, name: str) -> str:
        raise cred.KeyringUnavailable("the test keyring is locked")

    def read_only(self: object, name: str, value: str, *, replace: bool) -> str:
        raise KeyUnavailable("read-only data dir")

    monkeypatch.setattr(cred.Credentials, "get_secret", locked)
    monkeypatch.setattr(cred.Credentials, "set_secret", locked)
    monkeypatch.setattr(ListenerKeys, "_write_file", read_only)


async def test_public_bind_without_key_is_refused(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_key_anywhere(monkeypatch)
    with pytest.raises(InsecureBind, match="COSTTUI_INGEST_KEY"):
        await Listener(db_path, ListenerSettings(), host="0.0.0.0", port=0).start()


async def test_loopback_without_any_key_store_still_starts(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_key_anywhere(monkeypatch)
    async with Listener(db_path, ListenerSettings(port=0)) as lst:
        assert lst.ingest_key is None


async def test_locked_system_keyring_falls_back_to_the_key_file(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from costtui import secrets as cred

    def locked(self: object, name: str) -> str:
        raise cred.KeyringUnavailable("the test keyring is locked")

    monkeypatch.setattr(cred.Credentials, "get_secret", locked)
    async with Listener(db_path, ListenerSettings(port=0)) as lst:
        assert lst.ingest_key is not None and lst.ingest_key.source.startswith("key file")


async def test_key_generated_once_and_kept_in_keyring(db_path: Path, memory_keyring) -> None:
    async with Listener(db_path, ListenerSettings(port=0)) as first:
        key = first.ingest_key
        assert key is not None and key.generated and key.value.startswith("cti_")
        assert key.value not in repr(key)
    async with Listener(db_path, ListenerSettings(port=0)) as second:
        assert (
            second.ingest_key is not None and second.ingest_key.value == key.value and not second.ingest_key.generated
        )
    # Never in SQLite.
    import sqlite3

    conn = sqlite3.connect(str(db_path))
    dump = "\n".join(conn.iterdump())
    conn.close()
    assert key.value not in dump


async def test_stop_commits_in_flight_and_is_idempotent(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, tokens: dict[str, str]
) -> None:
    monkeypatch.setenv("COSTTUI_INGEST_KEY", INGEST_KEY)
    lst = Listener(db_path, ListenerSettings(port=0))
    await lst.start()
    async with aiohttp.ClientSession(base_url=lst.url) as c:
        statuses = await asyncio.gather(
            *(c.post("/ingest", json=good_event(event_id=f"s{i}"), headers=AUTH) for i in range(50))
        )
        acked = sum(1 for r in statuses if r.status == 200)
        for r in statuses:
            r.release()
    await lst.stop()
    await lst.stop()
    assert count_rows(db_path) == acked == 50


@pytest.mark.parametrize(
    ("host", "status"),
    [("localhost:8787", 200), ("127.0.0.1", 200), ("[::1]:8787", 200), ("my-box.lan:8787", 200), ("evil.example", 403)],
)
async def test_host_guard_on_loopback(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, tokens: dict[str, str], host: str, status: int
) -> None:
    monkeypatch.setenv("COSTTUI_INGEST_KEY", INGEST_KEY)
    async with Listener(db_path, ListenerSettings(port=0, allowed_hosts=["my-box.lan"])) as lst:
        async with aiohttp.ClientSession(base_url=lst.url) as c, c.get("/health", headers={"Host": host}) as resp:
            assert resp.status == status


async def test_month_to_date_gauge_counts_this_month(client: aiohttp.ClientSession) -> None:
    async with client.post(
        "/ingest",
        json=[
            good_event(event_id="now", cost_usd="1.25"),
            good_event(event_id="old", cost_usd="7", timestamp="2020-01-05T00:00:00Z"),
        ],
        headers=AUTH,
    ) as resp:
        assert (await resp.json())["accepted"] == 2
    async with client.get("/metrics") as resp:
        text = await resp.text()
    values = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples if not s.labels}
    assert values["costtui_month_to_date_cost_usd"] == pytest.approx(1.25)
    total = sum(
        s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == "costtui_cost_usd"
    )
    assert total == pytest.approx(8.25)
