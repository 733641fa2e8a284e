"""Proxy benchmark: the latency the proxy adds, and its throughput with every call recorded.

Starts three things on loopback: the stand-in upstream (tests/listener/proxy_standin.py) in its own
process, ``costtui serve`` (the proxy on the listener, a temporary database) in another, and the
client here. Then:

1. added latency: the same non-streaming chat call sent directly to the stand-in and through the
   proxy, interleaved (direct, proxy, proxy, direct...), one at a time; p50/p99 of each and of the
   difference (targets: +1.0 ms p50, +3 ms p99);
2. throughput: 32 connections through the proxy for a fixed number of calls (target: 2,000
   calls/s), then the number of recorded proxy events is checked against the calls made.

    .venv/bin/python benchmarks/proxy.py
    .venv/bin/python benchmarks/proxy.py --sequential 1000 --requests 10000

Figures on a shared machine are pessimistic: CPU time per call is printed beside the rates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from serving import pct, start_serve

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-proj-bench0123456789abcdefWXYZ"
BODY = json.dumps({"model": "gpt-5-mini", "messages": [{"role": "user", "content": "hello"}]}).encode()
HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}

STANDIN = """
import asyncio, sys
sys.path.insert(0, {path!r})
from proxy_standin import StandIn

async def main():
    s = StandIn(keep_requests=False)
    await s.start()
    print(s.port, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


BARE_RELAY = """
import asyncio, aiohttp
from aiohttp import web

UP = {upstream!r}

async def main():
    session = aiohttp.ClientSession()

    async def relay(request):
        body = await request.read()
        headers = {{k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}}
        async with session.post(UP + request.path, data=body, headers=headers) as resp:
            data = await resp.read()
            return web.Response(body=data, status=resp.status, content_type=resp.content_type)

    app = web.Application()
    app.router.add_post("/v1/chat/completions", relay)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def cpu_seconds(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


async def start_standin(code: str | None = None) -> tuple[asyncio.subprocess.Process, str]:
    code = code or STANDIN.format(path=str(ROOT / "tests" / "listener"))
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    port = int((await asyncio.wait_for(proc.stdout.readline(), 30)).decode())
    return proc, f"http://127.0.0.1:{port}"


async def one(session: aiohttp.ClientSession, url: str) -> float:
    t0 = time.perf_counter()
    async with session.post(url, data=BODY, headers=HEADERS) as resp:
        await resp.read()
        if resp.status != 200:
            raise SystemExit(f"{url} answered {resp.status}")
    return (time.perf_counter() - t0) * 1000


async def sequential(session: aiohttp.ClientSession, direct: str, proxied: str, n: int) -> dict[str, Any]:
    for _ in range(50):  # warm both connections
        await one(session, direct)
        await one(session, proxied)
    d: list[float] = []
    p: list[float] = []
    for i in range(n):
        if i % 2:
            d.append(await one(session, direct))
            p.append(await one(session, proxied))
        else:
            p.append(await one(session, proxied))
            d.append(await one(session, direct))
    return {"direct": d, "proxy": p, "diff": [b - a for a, b in zip(d, p, strict=True)], "calls": n + 50}


async def throughput(url: str, connections: int, requests: int, server_pid: int | None) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=connections)
    counter = iter(range(requests))
    errors = 0
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal errors
            for _ in counter:
                async with session.post(url, data=BODY, headers=HEADERS) as resp:
                    await resp.read()
                    if resp.status != 200:
                        errors += 1

        cpu0 = cpu_seconds(server_pid)
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        wall = time.perf_counter() - t0
        cpu1 = cpu_seconds(server_pid)
    cpu = None if cpu0 is None or cpu1 is None else cpu1 - cpu0
    return {"wall": wall, "rate": requests / wall, "errors": errors, "cpu_per_call_ms": cpu and cpu / requests * 1000}


def proxy_events(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM events WHERE source = 'proxy'").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sequential", type=int, default=2000, help="interleaved direct/proxy pairs")
    ap.add_argument("--requests", type=int, default=20000, help="calls in the throughput phase")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--no-bare", dest="bare", action="store_false", help="skip the bare-relay baseline")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        standin, upstream = await start_standin()
        bare, bare_url = await start_standin(BARE_RELAY.format(upstream=upstream))
        serve, base = await start_serve(
            db,
            {"COSTTUI_INGEST_KEY": "cti_bench-key-0123456789abcdef", "COSTTUI_UPSTREAM_OPENAI": upstream + "/v1"},
            "--no-sync",
            timeout=60,
        )
        try:
            async with aiohttp.ClientSession() as session:
                seq = await sequential(
                    session, upstream + "/v1/chat/completions", base + "/v1/chat/completions", args.sequential
                )
                if args.bare:
                    floor = await sequential(
                        session, upstream + "/v1/chat/completions", bare_url + "/v1/chat/completions", args.sequential
                    )
            print(f"sequential, {args.sequential} interleaved pairs (ms):")
            for name in ("direct", "proxy", "diff"):
                vals = seq[name]
                print(f"  {name:7} p50 {pct(vals, 50):6.3f}  p99 {pct(vals, 99):6.3f}")
            added50 = pct(seq["proxy"], 50) - pct(seq["direct"], 50)
            added99 = pct(seq["proxy"], 99) - pct(seq["direct"], 99)
            print(f"  added   p50 {added50:+.3f} ms (target ≤ +1.0)   p99 {added99:+.3f} ms (target ≤ +3.0)")
            if args.bare:
                # The same hop through a relay doing nothing else (aiohttp in, aiohttp out): what
                # the extra process hop itself costs on this machine, costtui's work aside.
                bare50 = pct(floor["proxy"], 50) - pct(floor["direct"], 50)
                bare99 = pct(floor["proxy"], 99) - pct(floor["direct"], 99)
                print(f"  a bare aiohttp relay adds p50 {bare50:+.3f} ms, p99 {bare99:+.3f} ms on this machine")

            tp = await throughput(base + "/v1/chat/completions", args.connections, args.requests, serve.pid)
            cpu = f", proxy CPU {tp['cpu_per_call_ms']:.3f} ms/call" if tp["cpu_per_call_ms"] else ""
            print(
                f"throughput, {args.connections} connections: {args.requests} calls in {tp['wall']:.2f} s = "
                f"{tp['rate']:,.0f} calls/s (target ≥ 2,000), {tp['errors']} errors{cpu}"
            )
            if args.bare:
                floor_tp = await throughput(
                    bare_url + "/v1/chat/completions", args.connections, args.requests, bare.pid
                )
                cpu = f", relay CPU {floor_tp['cpu_per_call_ms']:.3f} ms/call" if floor_tp["cpu_per_call_ms"] else ""
                print(f"  a bare aiohttp relay, same load: {floor_tp['rate']:,.0f} calls/s{cpu}")
            expected = seq["calls"] * 1 + args.requests
            deadline = time.monotonic() + 60
            got = proxy_events(db)
            while got < expected and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                got = proxy_events(db)
            status = "all recorded" if got == expected else "MISSING"
            print(f"recorded proxy events: {got} of {expected} calls ({status})")
        finally:
            for proc in (serve, bare, standin):
                proc.terminate()
                await proc.wait()


if __name__ == "__main__":
    asyncio.run(main())
