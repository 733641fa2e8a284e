"""What the benchmarks that drive a real ``costtui serve`` share: starting it, and percentiles."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


async def start_serve(
    db: Path, env: dict[str, str], *args: str, timeout: float = 30
) -> tuple[asyncio.subprocess.Process, str]:
    """``costtui serve`` on a free port with ``env`` added to this environment; returns it and its URL."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "costtui",
        "--db",
        str(db),
        "serve",
        "--port",
        "0",
        "--log-interval",
        "3600",
        *args,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None

    async def url() -> str:
        while True:
            line = (await proc.stderr.readline()).decode()  # type: ignore[union-attr]
            if not line:
                raise SystemExit("costtui serve exited before listening")
            m = re.search(r"costtui listening on (http://\S+)", line)
            if m:
                return m.group(1)

    found = await asyncio.wait_for(url(), timeout)

    async def drain() -> None:  # keep stderr flowing so the server never blocks on it
        while await proc.stderr.read(65536):  # type: ignore[union-attr]
            pass

    asyncio.get_running_loop().create_task(drain())
    return proc, found
