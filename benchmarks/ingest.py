"""Ingest benchmark: single-event POSTs at 64 connections, and batches of 1,000 events.

Targets a running ``costtui serve`` (``--url``, key from ``--key`` or ``COSTTUI_INGEST_KEY``), or,
by default, starts one itself on a free loopback port with a temporary database. Bounded in both
request count and time. Loopback only.

    .venv/bin/python benchmarks/ingest.py
    .venv/bin/python benchmarks/ingest.py --url http://127.0.0.1:8787 --requests 20000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aiohttp
from serving import pct, start_serve

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def event(i: int, run: str) -> dict[str, Any]:
    return {
        "event_id": f"bench-{run}-{i}",
        "model": "gpt-4o-mini",
        "prompt_tokens": 1000 + i % 500,
        "completion_tokens": 200 + i % 100,
        "timestamp": "2026-03-01T10:00:00Z",
    }


def cpu_seconds(pid: int | None) -> float | None:
    """CPU time (user + system) a process has used so far, from /proc (Linux); None elsewhere.

    On a shared machine wall-clock rates depend on the neighbours; CPU time per event does not
    (much), so it is reported beside them.
    """
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_phase(
    session: aiohttp.ClientSession,
    url: str,
    key: str,
    *,
    connections: int,
    requests: int,
    per_request: int,
    max_seconds: float,
    run: str,
    server_pid: int | None = None,
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    headers = {"X-Ingest-Key": key, "Content-Type": "application/json"}
    # Bodies are made before the clock starts: the client shares the machine with the server.
    if per_request == 1:
        bodies = [json.dumps(event(n, run)).encode() for n in range(requests)]
    else:
        bodies = [
            json.dumps([event(n * per_request + i, run) for i in range(per_request)]).encode() for n in range(requests)
        ]
    counter = iter(bodies)
    deadline = time.perf_counter() + max_seconds

    async def worker() -> None:
        nonlocal errors
        for body in counter:
            if time.perf_counter() > deadline:
                return
            t0 = time.perf_counter()
            async with session.post(url + "/ingest", data=body, headers=headers) as resp:
                await resp.read()
                if resp.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - t0)

    server_cpu0, client_cpu0 = cpu_seconds(server_pid), time.process_time()
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - start
    server_cpu1, client_cpu = cpu_seconds(server_pid), time.process_time() - client_cpu0
    done = len(latencies)
    events = max(1, done * per_request)
    server_us = None if server_cpu0 is None or server_cpu1 is None else (server_cpu1 - server_cpu0) / events * 1e6
    return {
        "server_cpu_us": server_us,
        "client_cpu_us": client_cpu / events * 1e6,
        "requests": done,
        "events": done * per_request,
        "errors": errors,
        "seconds": elapsed,
        "req_per_s": done / elapsed,
        "events_per_s": done * per_request / elapsed,
        "p50_ms": pct(latencies, 50) * 1000,
        "p99_ms": pct(latencies, 99) * 1000,
    }


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="A running costtui serve on loopback (default: start one).")
    ap.add_argument("--key", default=os.environ.get("COSTTUI_INGEST_KEY"), help="Ingest key (env COSTTUI_INGEST_KEY).")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--requests", type=int, default=30_000, help="Single-event requests (bounded).")
    ap.add_argument("--batches", type=int, default=300, help="Batches of --batch-size events (bounded).")
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--batch-connections", type=int, default=4)
    ap.add_argument("--max-seconds", type=float, default=30.0, help="Time cap per phase.")
    ap.add_argument("--no-warmup", action="store_true", help="Skip the 2,000-request warm-up.")
    args = ap.parse_args()

    proc = None
    tmp = None
    if args.url:
        host = urlparse(args.url).hostname or ""
        if host not in LOOPBACK and not host.startswith("127."):
            raise SystemExit("this benchmark only targets loopback addresses")
        if not args.key:
            raise SystemExit("give --key or set COSTTUI_INGEST_KEY")
        url, key = args.url.rstrip("/"), args.key
    else:
        tmp = tempfile.TemporaryDirectory(prefix="costtui-bench-")
        key = "cti_bench-" + uuid.uuid4().hex
        proc, url = await start_serve(Path(tmp.name) / "bench.db", {"COSTTUI_INGEST_KEY": key})
    run = uuid.uuid4().hex[:8]
    try:
        connector = aiohttp.TCPConnector(limit=max(args.connections, args.batch_connections))
        async with aiohttp.ClientSession(connector=connector) as session:
            if not args.no_warmup:  # connections, pricing caches
                await run_phase(
                    session,
                    url,
                    key,
                    connections=args.connections,
                    requests=2000,
                    per_request=1,
                    max_seconds=10,
                    run=run + "w",
                )
            single = await run_phase(
                session,
                url,
                key,
                connections=args.connections,
                requests=args.requests,
                per_request=1,
                max_seconds=args.max_seconds,
                run=run + "s",
                server_pid=proc.pid if proc else None,
            )
            batch = await run_phase(
                session,
                url,
                key,
                connections=args.batch_connections,
                requests=args.batches,
                per_request=args.batch_size,
                max_seconds=args.max_seconds,
                run=run + "b",
                server_pid=proc.pid if proc else None,
            )
    finally:
        if proc is not None:
            proc.terminate()
            await proc.wait()
        if tmp is not None:
            tmp.cleanup()

    print(f"costtui ingest benchmark against {url} ({os.cpu_count()} CPUs; client and server on this machine)")
    print(
        f"  single events, {args.connections} connections: {single['requests']:,} requests in {single['seconds']:.2f}s"
        f" = {single['req_per_s']:,.0f} req/s  p50 {single['p50_ms']:.2f} ms  p99 {single['p99_ms']:.2f} ms"
        f"  errors {single['errors']}  (target >= 5,000 req/s)"
    )
    print(
        f"  batches of {args.batch_size:,}, {args.batch_connections} connections: {batch['requests']:,} batches in {batch['seconds']:.2f}s"
        f" = {batch['events_per_s']:,.0f} events/s  p50 {batch['p50_ms']:.1f} ms  p99 {batch['p99_ms']:.1f} ms"
        f"  errors {batch['errors']}  (target >= 100,000 events/s)"
    )
    for name, phase in (("single events", single), ("batches", batch)):
        server = f"server {phase['server_cpu_us']:.1f}" if phase["server_cpu_us"] is not None else "server ?"
        print(f"  CPU per event, {name}: {server} µs, client {phase['client_cpu_us']:.1f} µs")


if __name__ == "__main__":
    asyncio.run(main())
