"""Snapshots of every dialog at 80×24 and 120×40, over the seeded demo database with a frozen clock
(as in test_snapshots.py). Update with ``pytest tests/ui/test_dialog_snapshots.py --snapshot-update``
and look at the report before committing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from textual.pilot import Pilot
from textual.widgets import Select

from .conftest import build_app, settle
from .dialog_cases import CASES, Case, key_file_credentials

SIZES = [(80, 24), (120, 40)]
size_ids = [f"{w}x{h}" for w, h in SIZES]


@pytest.fixture
def snapshot_db(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Relative paths, so the passphrase dialog names the same key file on every machine.
    monkeypatch.chdir(demo_db.parent)
    monkeypatch.setenv("COSTTUI_CONFIG", "config.toml")
    return Path(demo_db.name)


def app_for(case: Case, db: Path) -> Any:
    if case.name == "passphrase":
        # No system keyring (the conftest's isolated_env puts the real one back afterwards).
        keyring.set_keyring(fail.Keyring())
        return build_app(db, demo=True, credentials=key_file_credentials(Path("keys")))
    return build_app(db, demo=True)


def open_dialog(case: Case) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        pilot.app.push_screen(case.build(pilot.app))
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=size_ids)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_dialog(snap_compare: Any, snapshot_db: Path, case: Case, size: tuple[int, int]) -> None:
    assert snap_compare(app_for(case, snapshot_db), terminal_size=size, run_before=open_dialog(case))


@pytest.mark.parametrize("size", SIZES, ids=size_ids)
def test_account_dialog_with_an_error(snap_compare: Any, snapshot_db: Path, size: tuple[int, int]) -> None:
    """The error sits above the buttons; the form gives way, the buttons stay."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_dialog(CASES[0])(pilot)
        pilot.app.screen.query_one("#kind", Select).value = "management"
        await CASES[0].fill(pilot.app.screen, pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(build_app(snapshot_db, demo=True), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=size_ids)
def test_event_detail_dialog(snap_compare: Any, snapshot_db: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in ("2", "enter"):
            await pilot.press(key)
            await settle(pilot)

    assert snap_compare(build_app(snapshot_db, demo=True), terminal_size=size, run_before=run_before)
