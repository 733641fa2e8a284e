"""Coding-agent import benchmark: a generated Claude Code tree (500,000 lines by default).

Prints:
  - first import: lines/s and events/s through the real path (parse, dedup, Store.record);
  - re-scan of the unchanged tree (target <= 50 ms);
  - re-scan after appending 1,000 lines to one session (target <= 100 ms);
  - peak memory of the process (the tree is streamed, never held at once);
  - if ccusage is installed (`npm install ccusage` or on PATH), its time on the same tree
    (target: costtui's first import within 3x of it).

Run by hand:  python benchmarks/import.py [--lines 500000] [--files 500] [--keep]
Figures taken while other processes load the CPU are pessimistic.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from costtui.agents.paths import roots_for
from costtui.agents.scan import Scanner
from costtui.store import Store

START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
MODELS = ["claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101", "claude-haiku-4-5-20251001"]
TEXT = "Let me look at the failing test and the function it calls. " * 5


def assistant(rng: random.Random, ts: datetime, session: str, cwd: str, msg: str, req: str) -> str:
    usage = {
        "input_tokens": rng.randint(1, 50),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": rng.randint(10_000, 120_000),
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": rng.randint(0, 4000)},
        "output_tokens": rng.randint(10, 2000),
        "service_tier": "standard",
    }
    usage["cache_creation_input_tokens"] = usage["cache_creation"]["ephemeral_1h_input_tokens"]  # type: ignore[index]
    return json.dumps(
        {
            "parentUuid": "6f0c2d1a-8b3e-4c55-9e61-0d7f4a2b9c10",
            "isSidechain": False,
            "userType": "external",
            "cwd": cwd,
            "sessionId": session,
            "version": "2.1.40",
            "gitBranch": "main",
            "requestId": req,
            "type": "assistant",
            "uuid": "b81f3e0c-2d7a-4f16-8c4b-7a9e5d0c1f22",
            "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z",
            "message": {
                "id": msg,
                "type": "message",
                "role": "assistant",
                "model": rng.choice(MODELS),
                "content": [{"type": "text", "text": TEXT}],
                "stop_reason": "end_turn",
                "usage": usage,
            },
        }
    )


def user(ts: datetime, session: str, cwd: str) -> str:
    return json.dumps(
        {
            "type": "user",
            "sessionId": session,
            "cwd": cwd,
            "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "message": {"role": "user", "content": [{"type": "tool_result", "content": TEXT}]},
        }
    )


def session_lines(rng: random.Random, n: int, session: str, cwd: str, t: datetime, prefix: str) -> list[str]:
    """A session: user and assistant lines; about a third of responses written twice (streaming)."""
    lines: list[str] = []
    i = 0
    while len(lines) < n:
        t += timedelta(seconds=rng.randint(5, 90))
        if rng.random() < 0.4:
            lines.append(user(t, session, cwd))
            continue
        msg, req = f"msg_{prefix}_{i}", f"req_{prefix}_{i}"
        i += 1
        line = assistant(rng, t, session, cwd, msg, req)
        lines.append(line)
        if rng.random() < 0.33 and len(lines) < n:
            lines.append(line)
    return lines[:n]


def generate(root: Path, lines: int, files: int) -> Path:
    rng = random.Random(7)
    per_file = lines // files
    projects = root / "projects"
    for f in range(files):
        cwd = f"/home/dev/src/project{f % 20}"
        folder = projects / cwd.replace("/", "-")
        folder.mkdir(parents=True, exist_ok=True)
        session = f"00000000-0000-4000-8000-{f:012d}"
        start = START + timedelta(hours=6 * f)
        (folder / f"{session}.jsonl").write_text(
            "\n".join(session_lines(rng, per_file, session, cwd, start, f"{f}")) + "\n"
        )
    return root


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ccusage_time(root: Path) -> float | None:
    exe = shutil.which("ccusage")
    local = Path("node_modules/.bin/ccusage")
    cmd = [exe] if exe else [str(local)] if local.exists() else None
    if cmd is None:
        return None
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(root)}
    t0 = time.perf_counter()
    done = subprocess.run([*cmd, "daily", "--json", "--offline"], env=env, capture_output=True, check=False)
    if done.returncode != 0:
        return None
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=500_000)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="Keep the generated tree and database.")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="costtui-import-bench-"))
    try:
        t0 = time.perf_counter()
        root = generate(tmp / "claude", args.lines, args.files)
        size = sum(p.stat().st_size for p in root.rglob("*.jsonl"))
        print(
            f"generated {args.lines:,} lines in {args.files} files ({size / 2**20:.0f} MiB) in "
            f"{time.perf_counter() - t0:.1f}s"
        )
        rss_before = peak_mib()

        with Store(tmp / "bench.db") as store:
            roots = roots_for("claude-code", root)
            cpu = time.process_time()
            first = Scanner(store).scan("claude-code", roots)
            cpu = time.process_time() - cpu
            print(
                f"first import:      {first.seconds:7.2f} s  {first.lines / first.seconds:,.0f} lines/s,"
                f" {first.events_added:,} events, {first.duplicates:,} duplicates"
                f" (CPU {cpu:.2f} s: {first.lines / cpu:,.0f} lines/s of CPU)"
            )
            print(f"peak memory:       {peak_mib():7.0f} MiB (process peak; {rss_before:.0f} MiB before the import)")

            runs = []
            for _ in range(5):
                cpu = time.process_time()
                wall = Scanner(store).scan("claude-code", roots).seconds
                runs.append((wall, time.process_time() - cpu))
            wall, cpu = min(runs)
            print(f"re-scan unchanged: {wall * 1000:7.1f} ms  (best of 5, CPU {cpu * 1000:.1f} ms; target <= 50 ms)")

            # The session still being written: the newest one, continuing where it stopped.
            target = max(root.rglob("*.jsonl"), key=lambda p: p.name)
            rng = random.Random(99)
            last = START + timedelta(hours=6 * (args.files - 1), minutes=30)
            extra = session_lines(rng, 1000, target.stem, "/home/dev/src/project0", last, "x")
            with target.open("a") as fh:
                fh.write("\n".join(extra) + "\n")
            cpu = time.process_time()
            appended = Scanner(store).scan("claude-code", roots)
            cpu = time.process_time() - cpu
            print(
                f"after +1,000 lines:{appended.seconds * 1000:7.1f} ms  ({appended.events_added} events added,"
                f" CPU {cpu * 1000:.1f} ms; target <= 100 ms)"
            )

        cc = ccusage_time(root)
        if cc is not None:
            print(f"ccusage daily:     {cc:7.2f} s  (costtui first import = {first.seconds / cc:.1f}x ccusage)")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
