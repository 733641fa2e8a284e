"""Export benchmark: stream N events (1,000,000 by default) to a file and report rate and memory.

Prints, for csv and jsonl:
  - events per second through Store.reports.iter_events + export.events.write_events;
  - the process's peak resident memory after each export (flat: it does not grow with N);
and the time of a month's report, receipt and reconciliation.

Run by hand:  python benchmarks/export.py [--events 1000000] [--db PATH] [--keep]
Reuses benchmarks/dashboard.py's builder; a --db that already holds the events is reused.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from dashboard import NOW, build  # noqa: E402

from costtui.analytics.reconcile import reconcile  # noqa: E402
from costtui.analytics.reports import parse_period, period_receipt, period_report  # noqa: E402
from costtui.export.events import write_events  # noqa: E402
from costtui.store import Store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database and files")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="costtui-export-bench-")
    if args.db is None:
        args.db = Path(tmp) / "bench.db"
    store = Store(args.db)
    have = store.count_events()
    if have < args.events:
        print(f"building {args.events - have:,} events in {args.db} …", file=sys.stderr)
        build(store, args.events - have)
    print(f"events: {store.count_events():,}")
    print(f"peak RSS before exporting: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    for fmt in ("csv", "jsonl"):
        target = Path(tmp) / f"out.{fmt}"
        t0 = time.perf_counter()
        with target.open("w", encoding="utf-8", newline="") as out:
            n = write_events(store.reports.iter_events(), out, fmt)
        elapsed = time.perf_counter() - t0
        size = target.stat().st_size
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        print(
            f"export {fmt:<5}: {n:,} events in {elapsed:.1f} s = {n / elapsed:,.0f} events/s,"
            f" {size / 1e6:,.0f} MB written, peak RSS so far {peak:.0f} MiB"
        )
        if not args.keep:
            target.unlink()
    # The last whole month the builder reached (it stops at --events, not at NOW).
    last = store.last_event_time()
    last_day = last.date() if last else NOW.date()
    month = parse_period("last-month", last_day)
    t0 = time.perf_counter()
    report = period_report(store, month, "model")
    t1 = time.perf_counter()
    receipt = period_receipt(store, month)
    t2 = time.perf_counter()
    rec = reconcile(store, month.start, month.end)
    t3 = time.perf_counter()
    print(f"{month}: report by model {(t1 - t0) * 1000:.1f} ms ({len(report.rows)} rows)")
    print(f"{month}: receipt {(t2 - t1) * 1000:.1f} ms ({len(receipt.lines)} lines)")
    print(f"{month}: reconcile {(t3 - t2) * 1000:.1f} ms ({len(rec.days)} provider-days)")
    if not args.keep and args.db.parent == Path(tmp):
        args.db.unlink()


if __name__ == "__main__":
    main()
