"""Save screenshots of the real app on a demo database with a frozen clock.

    .venv/bin/python scripts/screenshots.py [--out screenshots]

Writes one picture per screen (dashboard.svg, activity.svg, quotas.svg, proxy.svg, agents.svg,
budgets.svg, reports.svg, settings.svg) and the add-account dialog (account-dialog.svg) at 160x48, and each again at 80x24 (*-80x24.svg). Convert to PNG
with ``rsvg-convert -o x.png x.svg`` to look at them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

FROZEN_NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
SCREENS = (
    ("1", "dashboard"),
    ("2", "activity"),
    ("3", "quotas"),
    ("4", "proxy"),
    ("5", "agents"),
    ("6", "budgets"),
    ("7", "reports"),
    ("0", "settings"),
)
DAYS = 30
SEED = 7


def build_db(path: Path) -> None:
    from costtui.services.demo import fill_demo
    from costtui.store import Store

    with Store(path) as store:
        fill_demo(store, days=DAYS, seed=SEED, now=FROZEN_NOW)


async def shoot(db: Path, out: Path, size: tuple[int, int], suffix: str) -> list[Path]:
    from costtui.config import Settings
    from costtui.ui.app import make_app

    app = make_app(Settings(), db, demo=True, listener=False, now=FROZEN_NOW)
    saved = []
    async with app.run_test(size=size) as pilot:
        for key, name in SCREENS:
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            path = out / f"{name}{suffix}.svg"
            app.save_screenshot(filename=path.name, path=str(out))
            saved.append(path)
        # One dialog: adding a provider account, from the Quotas screen.
        await pilot.press("3", "a")
        await app.workers.wait_for_complete()
        await pilot.pause()
        path = out / f"account-dialog{suffix}.svg"
        app.save_screenshot(filename=path.name, path=str(out))
        saved.append(path)
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="screenshots", type=Path)
    args = parser.parse_args()
    # Times are shown in the local zone: pin it so the pictures do not depend on the machine.
    os.environ["TZ"] = "UTC"
    time.tzset()
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    home = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        # Relative paths inside the temp folder: Settings shows "demo.db", not a random folder.
        os.chdir(tmp)
        os.environ["COSTTUI_CONFIG"] = "config.toml"
        try:
            db = Path("demo.db")
            build_db(db)
            saved = asyncio.run(shoot(db, args.out, (160, 48), ""))
            saved += asyncio.run(shoot(db, args.out, (80, 24), "-80x24"))
        finally:
            os.chdir(home)
    for path in saved:
        print(path)


if __name__ == "__main__":
    main()
