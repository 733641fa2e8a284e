"""`costtui serve` as a real process checks budgets after new events and sends each threshold's
alert once to a webhook the test runs."""

from __future__ import annotations

import asyncio
import signal
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from listener_helpers import AUTH, good_event, wait_for
from test_serve_process import start_serve

from costtui.models import Budget
from costtui.store import Store


async def test_serve_sends_a_budget_alert_once_after_events_arrive(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        bodies.append(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[alerts]\ncheck_seconds = 3600\n[[alerts.webhooks]]\nurl = "http://127.0.0.1:{server.port}/hook"\n'
    )
    with Store(db_path) as store:
        store.budgets.add(Budget(name="tiny", period="day", limit_usd=Decimal("0.0001"), thresholds=(100,)))
    monkeypatch.setenv("COSTTUI_CONFIG", str(config))
    proc, url, _ = await start_serve(db_path)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(url + "/ingest", json=[good_event(event_id="a1")], headers=AUTH) as resp:
                assert resp.status == 200
            # The hourly check is far away: the new event is what triggers this one.
            await wait_for(lambda: len(bodies) >= 1, timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)
        await server.close()
    assert len(bodies) == 1 and bodies[0]["budget"] == "tiny" and bodies[0]["threshold"] == 100
    with Store(db_path) as store:
        (alert,) = store.budgets.alerts()
        assert [d.status for d in store.budgets.deliveries()[alert.id]] == ["sent"]  # type: ignore[index]
