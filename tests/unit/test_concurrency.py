"""Two processes (the TUI and `costtui serve`, say) write one database at once without losing rows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from costtui.store import Store

WRITER = """
import sys
from datetime import UTC, datetime, timedelta
from costtui.models import UsageEvent
from costtui.store import Store
store = Store(sys.argv[1])
name = sys.argv[2]
t0 = datetime(2026, 11, 20, tzinfo=UTC)
for batch in range(40):
    store.record([
        UsageEvent(event_id=f"{name}-{batch}-{i}", ts=t0 + timedelta(seconds=batch * 50 + i),
                   provider="openai", model="gpt-4o-mini", input_tokens=100, output_tokens=10, app=name)
        for i in range(50)
    ])
    # Read-then-write in the same process, as the TUI does while a listener writes.
    store.totals()
print("done")
"""


def test_two_writer_processes_lose_nothing(db_path: Path) -> None:
    Store(db_path).close()  # migrate once up front
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db_path), name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("tui", "serve")
    ]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert out.strip() == "done"
    store = Store(db_path)
    assert store.count_events() == 4000
    assert {g.name: g.events for g in store.by_dimension("app")} == {"tui": 2000, "serve": 2000}
    assert store.totals().input_tokens == 400_000
