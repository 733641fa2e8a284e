"""`costtui serve` as a real process: crash safety (SIGKILL) and a clean SIGTERM exit."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest
from listener_helpers import AUTH, INGEST_KEY, good_event, rows, wait_for


async def start_serve(db: Path) -> tuple[asyncio.subprocess.Process, str, list[str]]:
    env = {**os.environ, "COSTTUI_INGEST_KEY": INGEST_KEY, "PYTHONUNBUFFERED": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "costtui",
        "--db",
        str(db),
        "serve",
        "--port",
        "0",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    lines: list[str] = []

    async def read_url() -> str:
        while True:
            raw = await proc.stderr.readline()  # type: ignore[union-attr]
            if not raw:
                raise AssertionError("serve exited early:\n" + "".join(lines))
            line = raw.decode()
            lines.append(line)
            m = re.search(r"costtui listening on (http://\S+)", line)
            if m:
                return m.group(1)

    url = await asyncio.wait_for(read_url(), timeout=30)
    return proc, url, lines


async def test_sigkill_loses_no_acknowledged_event(db_path: Path) -> None:
    proc, url, _ = await start_serve(db_path)
    acked: set[str] = set()
    stop = asyncio.Event()

    async def pusher(worker: int, session: aiohttp.ClientSession) -> None:
        n = 0
        while not stop.is_set():
            batch = [good_event(event_id=f"w{worker}-{n}-{i}") for i in range(20)]
            n += 1
            try:
                async with session.post(url + "/ingest", json=batch, headers=AUTH) as resp:
                    if resp.status == 200:
                        doc = await resp.json()
                        assert doc["accepted"] == 20
                        acked.update(e["event_id"] for e in batch)
            except (TimeoutError, aiohttp.ClientError):
                return  # the server died under us: this batch was not acknowledged

    try:
        async with aiohttp.ClientSession() as session:
            tasks = [asyncio.create_task(pusher(w, session)) for w in range(8)]
            # Kill once a good number of events were acknowledged, with requests in flight.
            await wait_for(lambda: len(acked) >= 2000, timeout=30)
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            stop.set()
            await asyncio.gather(*tasks)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert len(acked) >= 2000
    stored = {r["event_id"] for r in rows(db_path, "SELECT event_id FROM events")}
    assert acked <= stored, f"{len(acked - stored)} acknowledged events were lost"


async def test_sigterm_exits_cleanly(db_path: Path) -> None:
    proc, url, lines = await start_serve(db_path)
    async with (
        aiohttp.ClientSession() as session,
        session.post(url + "/ingest", json=good_event(), headers=AUTH) as resp,
    ):
        assert resp.status == 200
    proc.send_signal(signal.SIGTERM)
    assert proc.stderr is not None
    rest = await asyncio.wait_for(proc.stderr.read(), timeout=30)
    code = await asyncio.wait_for(proc.wait(), timeout=30)
    assert code == 0
    log = "".join(lines) + rest.decode()
    assert "stopped (1 events accepted this run)" in log
    assert INGEST_KEY not in log  # keys are never logged
    assert "Traceback" not in log


@pytest.mark.parametrize("sig", [signal.SIGINT])
async def test_sigint_exits_cleanly(db_path: Path, sig: int) -> None:
    proc, _, _ = await start_serve(db_path)
    proc.send_signal(sig)
    assert await asyncio.wait_for(proc.wait(), timeout=30) == 0


async def test_second_serve_on_the_same_port_says_who_holds_it(db_path: Path) -> None:
    proc, url, _ = await start_serve(db_path)
    try:
        port = url.rsplit(":", 1)[1]
        env = {**os.environ, "COSTTUI_INGEST_KEY": INGEST_KEY}
        second = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "costtui",
            "--db",
            str(db_path),
            "serve",
            "--port",
            port,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(second.communicate(), timeout=30)
        assert second.returncode == 1
        assert f"another costtui (0.1.0) already listens on 127.0.0.1:{port}" in err.decode()
        assert "Traceback" not in err.decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), timeout=30)
