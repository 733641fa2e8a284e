"""Dashboard benchmark: a database of N events (1,000,000 by default), then the figures that matter.

Prints:
  - build rate through the real write path (Store.record: validate, price, insert, roll up);
  - time to compute everything the Dashboard shows (target <= 100 ms);
  - time to load the first Activity page, and a page deep in history (target <= 100 ms);
  - bytes per stored event (target <= 300);
  - TUI cold start to first paint, in a fresh process (target <= 1.0 s).

Run by hand:  python benchmarks/dashboard.py [--events 1000000] [--db PATH] [--keep]
A --db that already holds the events is reused (building 1M events takes a minute or two).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from costtui.analytics.summary import dashboard
from costtui.demo import demo_events
from costtui.models import EventFilter
from costtui.store import Store

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
DAYS = 365


def build(store: Store, events: int) -> float:
    # demo_events' weekday/weekend rhythm averages ~0.8 of per_day: ask for more, stop at `events`.
    per_day = int(events / DAYS / 0.7) + 1
    t0 = time.perf_counter()
    batch = []
    n = 0
    for e in demo_events(DAYS, now=NOW, seed=1 + store.count_events(), per_day=per_day):
        batch.append(e)
        if len(batch) == 5000:
            n += store.record(batch[: events - n]).accepted
            batch = []
            if n >= events:
                break
            if n % 100_000 < 5000:
                print(f"  … {n:,} events", file=sys.stderr)
    if batch and n < events:
        n += store.record(batch[: events - n]).accepted
    elapsed = time.perf_counter() - t0
    return n / elapsed


def timed(fn, repeat: int = 5) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(first run, median of the following runs) in milliseconds."""
    times = []
    for _ in range(repeat + 1):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times[0], statistics.median(times[1:])


COLD_START = """
import asyncio, sys, time
t0 = float(sys.argv[2])
from costtui.config import Settings
from costtui.ui.app import make_app
app = make_app(Settings(), sys.argv[1], listener=False)
async def main():
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        print(time.time() - t0)
asyncio.run(main())
"""


def cold_start(db: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", COLD_START, str(db), repr(time.time())],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()
    tmp = None
    if args.db is None:
        tmp = tempfile.mkdtemp(prefix="costtui-bench-")
        args.db = Path(tmp) / "bench.db"
    store = Store(args.db)
    have = store.count_events()
    if have < args.events:
        print(f"building {args.events - have:,} events in {args.db} …", file=sys.stderr)
        rate = build(store, args.events - have)
        print(f"write path (Store.record, batches of 5,000): {rate:,.0f} events/s")
    n = store.count_events()
    print(f"events: {n:,}")

    first, median = timed(lambda: dashboard(store, now=NOW))
    print(f"dashboard (all panels, charts, tables): first {first:.1f} ms, median {median:.1f} ms  [target <= 100 ms]")

    def first_page() -> None:
        store.events_page(EventFilter(), limit=100)
        store.count_events()

    first, median = timed(first_page)
    print(f"activity first page (100 rows + count):  first {first:.1f} ms, median {median:.1f} ms  [target <= 100 ms]")
    page = store.events_page(EventFilter(), limit=100)
    cursor = page[-1]
    for _ in range(100):  # walk 100 pages deep
        page = store.events_page(EventFilter(), before=cursor, limit=100)
        cursor = page[-1]
    _, deep = timed(lambda: store.events_page(EventFilter(), before=cursor, limit=100))
    print(f"activity page 101 (keyset cursor):       median {deep:.1f} ms")
    _, filt = timed(lambda: store.events_page(EventFilter(provider="groq"), limit=100))
    print(f"activity filtered by provider:           median {filt:.1f} ms")

    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = store.file_size()
    print(f"database size: {size / 1e6:,.1f} MB → {size / max(n, 1):,.0f} bytes/event  [target <= 300]")

    try:
        starts = [cold_start(args.db) for _ in range(3)]
        print(f"TUI cold start to first paint: {min(starts):.2f} s best, {max(starts):.2f} s worst  [target <= 1.0 s]")
    except (subprocess.CalledProcessError, ValueError) as exc:
        print(f"TUI cold start: could not measure ({exc})")
    store.close()
    if tmp and not args.keep:
        for p in Path(tmp).iterdir():
            p.unlink()
        Path(tmp).rmdir()
    elif tmp:
        print(f"kept {args.db}")


if __name__ == "__main__":
    main()
