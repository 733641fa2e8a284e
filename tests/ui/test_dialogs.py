"""Every dialog: labelled buttons, ctrl+s runs its primary action, esc cancels, a hint line naming
the keys, and the whole dialog (buttons included) on screen at 80×24."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from textual.pilot import Pilot
from textual.widgets import Button, Select

from costtui.ui.dialogs.account import AddAccountModal
from costtui.ui.dialogs.base import Dialog
from costtui.ui.dialogs.event_detail import EventDetailScreen

from .conftest import build_app, settle, text_of, wait_until
from .dialog_cases import CASES, Case, key_file_credentials

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def case_app(demo_db: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    case: Case = request.param
    if case.name == "passphrase":
        # A headless machine: no system keyring (isolated_env puts the real one back afterwards).
        keyring.set_keyring(fail.Keyring())
        return case, build_app(demo_db, credentials=key_file_credentials(tmp_path / "keys"))
    return case, build_app(demo_db)


async def open_dialog(pilot: Pilot[Any], case: Case, results: list[Any]) -> Dialog[Any]:
    await settle(pilot)
    dialog = case.build(pilot.app)
    pilot.app.push_screen(dialog, results.append)
    await settle(pilot)
    assert pilot.app.screen is dialog
    return dialog


def drawn_text(widget: Any) -> str:
    """What the terminal shows in a widget's region (children included), as plain text."""
    strips = widget.screen._compositor.render_strips()
    region = widget.region
    return "\n".join(strip.crop(region.x, region.right).text.rstrip() for strip in strips[region.y : region.bottom])


def assert_on_screen(dialog: Dialog[Any]) -> None:
    """The frame fits the terminal, and every button is drawn where a click lands on it."""
    screen = dialog.region
    frame = dialog.query_one(".dialog").region
    assert screen.contains_region(frame), f"{type(dialog).__name__}: {frame} is outside {screen}"
    for button in dialog.query(".dialog-buttons Button").results(Button):
        assert button.region.area, f"{button.label} is not drawn"
        assert frame.contains_region(button.region), f"{button.label} at {button.region} is outside {frame}"
        x, y = button.region.center
        assert dialog.get_widget_at(x, y)[0] is button, f"{button.label} is covered"
    hint = dialog.query_one(".dialog-hint")
    assert frame.contains_region(hint.region) and "esc" in text_of(hint)


@pytest.mark.parametrize("case_app", CASES, ids=[c.name for c in CASES], indirect=True)
async def test_ctrl_s_runs_the_primary_action(case_app: Any) -> None:
    case, app = case_app
    results: list[Any] = []
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(pilot, case, results)
        await case.fill(dialog, pilot)
        await pilot.press("ctrl+s")
        assert await wait_until(pilot, lambda: app.screen is not dialog), text_of(dialog.query_one(".dialog-error"))
        assert len(results) == 1 and case.saved(results[0]), results


@pytest.mark.parametrize("case_app", CASES, ids=[c.name for c in CASES], indirect=True)
async def test_escape_cancels(case_app: Any) -> None:
    case, app = case_app
    results: list[Any] = []
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(pilot, case, results)
        await case.fill(dialog, pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not dialog
        assert results == [case.cancelled]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("case_app", CASES, ids=[c.name for c in CASES], indirect=True)
async def test_buttons_show_their_labels_and_the_dialog_fits(case_app: Any, size: tuple[int, int]) -> None:
    case, app = case_app
    async with app.run_test(size=size) as pilot:
        dialog = await open_dialog(pilot, case, [])
        bar = drawn_text(dialog.query_one(".dialog-buttons"))
        for label in case.labels:
            assert label in bar, f"{label!r} not in the button bar {bar!r}"
        assert_on_screen(dialog)
        hint = text_of(dialog.query_one(".dialog-hint"))
        assert f"ctrl+s {case.labels[0].lower()}" in hint and "esc cancel" in hint


async def test_the_focused_button_looks_different(demo_db: Path) -> None:
    """A keyboard user sees where tab went: the focused button is drawn unlike the other."""
    app = build_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(pilot, CASES[6], [])  # confirm: Cancel has the focus
        remove, cancel = dialog.query(".dialog-buttons Button").results(Button)
        assert app.focused is cancel

        def style(button: Button) -> Any:
            return [segment.style for segment in button.render_lines(button.region.reset_offset)[0]]

        focused = style(cancel)
        await pilot.press("shift+tab")
        assert app.focused is remove
        assert style(cancel) != focused


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_save_stays_clickable_after_a_validation_error(
    demo_db: Path, memory_keyring: Any, size: tuple[int, int]
) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=size) as pilot:
        dialog = await open_dialog(pilot, CASES[0], [])
        assert isinstance(dialog, AddAccountModal)
        dialog.query_one("#kind", Select).value = "management"  # OpenAI sync needs an Admin key
        await CASES[0].fill(dialog, pilot)
        await pilot.click("#save")
        await settle(pilot)
        assert app.screen is dialog
        assert "not management" in text_of(dialog.query_one("#account-error"))
        assert_on_screen(dialog)
        dialog.query_one("#kind", Select).value = "admin"
        save = dialog.query_one("#save", Button)
        # A button ignores clicks while it shows its pressed effect; wait that out.
        assert await wait_until(pilot, lambda: not save.has_class("-active"))
        assert await pilot.click("#save")
        assert await wait_until(pilot, lambda: app.screen is not dialog)
        assert memory_keyring.store[("costtui", "openai:default")] == "sk-admin-TESTKEY-0000000001"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_event_detail_closes_with_its_button_and_fits(demo_db: Path, size: tuple[int, int]) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, EventDetailScreen)
        assert "Close" in drawn_text(dialog.query_one(".dialog-buttons"))
        assert_on_screen(dialog)
        await pilot.press("ctrl+s")  # nothing to save: the dialog stays
        assert app.screen is dialog
        assert await pilot.click("#detail-close")
        await settle(pilot)
        assert app.screen is not dialog


def test_dialog_keys_have_ids_and_descriptions() -> None:
    """The help screen lists dialog keys from their bindings: each needs an id and a description."""
    from costtui.ui.dialogs.filters import FilterScreen

    for owner in {type(case.build(None)) for case in CASES} | {
        Dialog,
        EventDetailScreen,
        FilterScreen,
    }:
        ours = [c for c in owner.__mro__ if isinstance(c, type) and issubclass(c, Dialog)]
        for cls in ours:
            for binding in cls.__dict__.get("BINDINGS", []):
                assert binding.id and binding.description, f"{cls.__name__}: {binding.key}"
        merged = owner._merge_bindings()
        keys = {b.id: b.key for bs in merged.key_to_bindings.values() for b in bs}
        assert keys.get("dialog.cancel") == "escape", owner.__name__
        assert owner is EventDetailScreen or keys.get("dialog.save") == "ctrl+s", owner.__name__
