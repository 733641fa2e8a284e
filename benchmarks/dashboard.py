"""Dashboard benchmark: a database of N events (1,000,000 by default), then the figures that matter.

Prints:
  - build rate through the real write path (Store.record: validate, price, insert, roll up);
  - each store call the Dashboard, ``status --json`` and a ``/metrics`` scrape make, with its
    time, first in a freshly opened database (cold: the OS cache dropped when run as root) and
    then warm, so that a regression points at its query;
  - time to compute everything the Dashboard shows (target <= 100 ms);
  - time to load the first Activity page, and a page deep in history (target <= 100 ms);
  - bytes per stored event (target <= 300);
  - TUI cold start to first paint, in a fresh process (target <= 1.0 s).

Run by hand:  python benchmarks/dashboard.py [--events 1000000] [--db PATH] [--keep]
              python benchmarks/dashboard.py --events 10000000 --compare 1000000

Without --db the database is cached under the system temp folder, keyed on the event count
(costtui-bench-<N>.db), and reused by the next run: the first million events go through the real
write path; past that, the stored events are copied in SQL under new ids (same days and mix, N/1M
times as dense) and the derived tables rebuilt, which takes minutes instead of an hour.
``--compare M`` also measures the cached database of M events and prints the ratio.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from costtui.analytics.summary import status_report
from costtui.demo import demo_events
from costtui.listener.metrics import StoreCollector
from costtui.models import EventFilter, EventSort
from costtui.store import Store
from costtui.store.event_rows import EVENT_COLUMNS
from costtui.ui.screens.dashboard import load_dashboard

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
DAYS = 365
BASE = 1_000_000
"""Events built through the real write path; a larger database copies them."""


def build(store: Store, events: int) -> float:
    # demo_events' weekday/weekend rhythm averages ~0.8 of per_day: ask for more, stop at `events`.
    per_day = int(events / DAYS / 0.7) + 1
    t0 = time.perf_counter()
    batch = []
    n = 0
    for e in demo_events(DAYS, now=NOW, seed=1 + store.count_events(), per_day=per_day):
        batch.append(e)
        if len(batch) == 20_000:
            n += store.record(batch[: events - n]).accepted
            batch = []
            if n >= events:
                break
            if n % 200_000 < 20_000:
                print(f"  … {n:,} events", file=sys.stderr)
    if batch and n < events:
        n += store.record(batch[: events - n]).accepted
    elapsed = time.perf_counter() - t0
    return n / elapsed


def multiply(store: Store, target: int) -> float:
    """Copy the stored events under new ids (``<id>~k``) until ``target`` are stored; then
    rebuild everything derived from the events. Returns events/s."""
    have = store.count_events()
    t0 = time.perf_counter()
    cols = [c for c in EVENT_COLUMNS if c != "event_id"]
    top = int(store.scalar("SELECT MAX(id) FROM events"))
    copy = 1
    while have < target:
        n = min(top, target - have)
        sql = (
            f"INSERT INTO events (event_id, {', '.join(cols)}) "
            f"SELECT event_id || '~{copy}', {', '.join(cols)} FROM events WHERE id <= ? ORDER BY id LIMIT ?"
        )
        # Slices of 500k rows per transaction keep the WAL small.
        for lo in range(0, n, 500_000):
            with store.transaction() as conn:
                conn.execute(sql.replace("WHERE id <= ?", "WHERE id > ? AND id <= ?"), (lo, top, min(500_000, n - lo)))
            have += min(500_000, n - lo)
            print(f"  … {have:,} events", file=sys.stderr)
        copy += 1
    with store.transaction() as conn:
        rebuild_derived(conn)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return (target - BASE) / (time.perf_counter() - t0)


def rebuild_derived(conn: Any) -> None:
    from costtui.store import rollup

    rebuild = getattr(rollup, "rebuild_derived", None)
    if rebuild is not None:
        rebuild(conn)
    else:  # before the search index and the unpriced rollup existed
        rollup.rebuild_daily(conn, None)


def cached_db(events: int) -> Path:
    """The benchmark database of ``events`` events, built (or derived from a smaller one) once."""
    path = Path(tempfile.gettempdir()) / f"costtui-bench-{events}.db"
    if path.exists():
        return path
    tmp = path.with_suffix(".building")
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    if events > BASE:
        base = cached_db(BASE)
        with Store(base) as s:
            s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(base, tmp)
        with Store(tmp) as store:
            print(f"copying to {events:,} events in {tmp} …", file=sys.stderr)
            rate = multiply(store, events)
            print(f"bulk copy in SQL (not the write path): {rate:,.0f} events/s")
    else:
        with Store(tmp) as store:
            print(f"building {events:,} events in {tmp} …", file=sys.stderr)
            rate = build(store, events)
            print(f"write path (Store.record, batches of 20,000): {rate:,.0f} events/s")
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    tmp.rename(path)
    return path


def timed(fn, repeat: int = 5) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(first run, median of the following runs) in milliseconds."""
    times = []
    for _ in range(repeat + 1):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times[0], statistics.median(times[1:])


class CallTimer:
    """Times every call of the store's public read methods (the outermost call only)."""

    METHODS = (
        "totals",
        "by_day",
        "by_dimension",
        "totals_by_model",
        "unpriced_models",
        "last_event_time",
        "first_day",
        "distinct",
        "count_events",
        "event_totals",
        "events_page",
    )
    BILLING = ("billed_summary", "billed_by_day", "list_accounts", "latest_quotas", "plane_sync")

    def __init__(self, store: Store) -> None:
        self.calls: list[tuple[str, float]] = []
        self._depth = 0
        for name in self.METHODS:
            setattr(store, name, self._wrap(name, getattr(store, name)))
        for name in self.BILLING:
            setattr(store.billing, name, self._wrap(f"billing.{name}", getattr(store.billing, name)))

    def _wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            self._depth += 1
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    shown = ", ".join([*(str(a) for a in args), *(f"{k}={v}" for k, v in kwargs.items())])
                    self.calls.append((f"{name}({shown})", (time.perf_counter() - t0) * 1000))

        return timed_call

    @contextmanager
    def section(self) -> Iterator[list[tuple[str, float]]]:
        self.calls = []
        out: list[tuple[str, float]] = []
        yield out
        out.extend(self.calls)


def drop_os_cache() -> bool:
    """Drop the OS page cache (root only); True when it was dropped."""
    try:
        subprocess.run(["sync"], check=False)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def disk_reads() -> int:
    """Bytes this process has read from the disk so far (Linux; 0 elsewhere): a cold view's
    reads say what it costs independently of how busy the disk is."""
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("read_bytes:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def metrics_scrape(store: Store) -> None:
    list(StoreCollector(lambda: store, now=lambda: NOW).collect())


VIEWS: dict[str, Callable[[Store], Any]] = {
    "dashboard": lambda s: load_dashboard(s, NOW),
    "status --json": lambda s: status_report(s, now=NOW),
    "/metrics": metrics_scrape,
}


def measure_views(path: Path, *, show_calls: bool = True) -> dict[str, float]:
    """Per view: cold (fresh process cache state and connection) and warm times; per call inside."""
    dropped = drop_os_cache()
    results: dict[str, float] = {}
    with Store(path) as store:
        timer = CallTimer(store)
        print(
            f"\nviews at {store.count_events():,} events (cold = first run on a fresh connection,"
            f" OS cache {'dropped' if dropped else 'NOT dropped (not root)'}):"
        )
        for name, view in VIEWS.items():
            with timer.section() as cold_calls:
                read0 = disk_reads()
                t0 = time.perf_counter()
                view(store)
                cold = (time.perf_counter() - t0) * 1000
                read = disk_reads() - read0
            warm_runs = []
            per_call: dict[str, list[float]] = {}
            for _ in range(5):
                with timer.section() as calls:
                    t0 = time.perf_counter()
                    view(store)
                    warm_runs.append((time.perf_counter() - t0) * 1000)
                for label, ms in calls:
                    per_call.setdefault(label, []).append(ms)
            warm = statistics.median(warm_runs)
            results[name] = warm
            results[f"{name} cold"] = cold
            target = "  [target <= 100 ms warm, <= 1 s cold]" if name == "dashboard" else ""
            print(
                f"  {name}: cold {cold:.1f} ms ({read / 1e6:,.1f} MB read from disk), warm median {warm:.1f} ms{target}"
            )
            if show_calls:
                cold_by_label: dict[str, float] = {}
                for label, ms in cold_calls:
                    cold_by_label[label] = cold_by_label.get(label, 0.0) + ms
                for label, times in per_call.items():
                    print(
                        f"      {statistics.median(times):8.2f} ms warm {cold_by_label.get(label, 0.0):8.1f} ms cold  {label}"
                    )
    return results


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


def activity(store: Store) -> None:
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
    # The week before the newest event (the build stops at N events, before NOW).
    last = store.last_event_time() or NOW
    week = EventFilter(start=last - timedelta(days=7), end=last)
    filters = {
        "provider=groq": EventFilter(provider="groq"),
        "model=claude-opus-4-1": EventFilter(model="claude-opus-4-1"),
        "status=error": EventFilter(status="error"),
        "provider+model+status+7 days": week.model_copy(
            update={"provider": "anthropic", "model": "claude-opus-4-1", "status": "error"}
        ),
        'search "no-such-text" (no match)': EventFilter(search="no-such-text"),
        'search "overloaded" (~0.4%)': EventFilter(search="overloaded"),
        'search "opus" (~1%)': EventFilter(search="opus"),
        'search "gpt" (~40%)': EventFilter(search="gpt"),
        f'search an event id "{page[0].event_id}"': EventFilter(search=page[0].event_id),
        'search "zq" (2 chars: a scan)': EventFilter(search="zq"),
        'search "opus" + provider + 7 days': week.model_copy(update={"provider": "anthropic", "search": "opus"}),
    }
    print("activity, first page (100 rows) / count / totals of the matches (medians of 3):")
    for name, flt in filters.items():
        _, pg = timed(lambda flt=flt: store.events_page(flt, limit=100), repeat=3)
        _, cnt = timed(lambda flt=flt: store.count_events(flt), repeat=1)
        _, tot = timed(lambda flt=flt: store.event_totals(flt), repeat=1)
        target = "  [target <= 100 ms]" if name.startswith("search") else ""
        print(f"  {name:40} page {pg:8.1f} ms   count {cnt:8.1f} ms   totals {tot:8.1f} ms{target}")
    _, by_cost = timed(lambda: store.events_page(EventFilter(), limit=100, sort=EventSort(column="cost")), repeat=1)
    _, by_cost_f = timed(
        lambda: store.events_page(EventFilter(provider="groq"), limit=100, sort=EventSort(column="cost")), repeat=1
    )
    print(f"  sorted by cost (no index: a top-N scan): all {by_cost:.1f} ms, provider=groq {by_cost_f:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=BASE)
    parser.add_argument("--db", type=Path, help="build into (or reuse) this database instead of the cached one")
    parser.add_argument(
        "--compare", type=int, metavar="M", help="also measure the cached M-event database; print the ratio"
    )
    parser.add_argument("--no-cold-start", action="store_true", help="skip the TUI cold start (three fresh processes)")
    parser.add_argument("--views-only", action="store_true", help="only the Dashboard, status and /metrics views")
    args = parser.parse_args()
    if args.db is None:
        args.db = cached_db(args.events)
    else:
        with Store(args.db) as store:
            have = store.count_events()
            if have < args.events:
                print(f"building {args.events - have:,} events in {args.db} …", file=sys.stderr)
                rate = build(store, args.events - have)
                print(f"write path (Store.record, batches of 20,000): {rate:,.0f} events/s")
    # Opening runs any pending migration (a backfill, say): timed apart from the views.
    t0 = time.perf_counter()
    Store(args.db).close()
    print(f"open (and migrate): {time.perf_counter() - t0:.2f} s")
    views = measure_views(args.db)
    if args.compare:
        small = measure_views(cached_db(args.compare), show_calls=False)
        for name in VIEWS:
            ratio = views[name] / max(small[name], 1e-9)
            target = "  [target <= 1.5]" if name == "dashboard" else ""
            print(f"{name}: {args.events:,} / {args.compare:,} events, warm: {ratio:.2f}x{target}")
    if args.views_only:
        return

    with Store(args.db) as store:
        n = store.count_events()
        print(f"\nevents: {n:,}")
        activity(store)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = store.file_size()
        print(f"database size: {size / 1e6:,.1f} MB → {size / max(n, 1):,.0f} bytes/event  [target <= 300]")

    if not args.no_cold_start:
        try:
            drop_os_cache()
            starts = [cold_start(args.db) for _ in range(3)]
            # The same start on an empty database: what the process start costs before any data.
            with tempfile.TemporaryDirectory() as tmp:
                empty = Path(tmp) / "empty.db"
                Store(empty).close()
                drop_os_cache()
                bare = [cold_start(empty) for _ in range(3)]
            print(
                f"TUI cold start to first paint: {starts[0]:.2f} s first (OS cache dropped when root), "
                f"{min(starts):.2f} s best, {max(starts):.2f} s worst  [target <= 1.0 s]; "
                f"on an empty database {bare[0]:.2f} s first, {min(bare):.2f} s best"
            )
        except (subprocess.CalledProcessError, ValueError) as exc:
            print(f"TUI cold start: could not measure ({exc})")


if __name__ == "__main__":
    main()
