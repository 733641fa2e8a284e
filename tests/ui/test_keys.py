"""Keys that tell the truth: help lists every key, no key means two things, footers and the
header keep what matters at 80 and 100 columns, the palette speaks the footer's words."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.command import CommandList
from textual.fuzzy import Matcher
from textual.screen import ModalScreen, Screen
from textual.widgets import Header
from textual.widgets._header import HeaderTitle

from costtui.ui.app import CostApp
from costtui.ui.dialogs.help import HelpScreen
from costtui.ui.screens.activity import ActivityScreen
from costtui.ui.widgets.accounts_panel import AccountsPanel
from costtui.ui.widgets.keybar import KeyBar

from .conftest import build_app, settle, text_of, wait_until

SCREEN_KEYS = ("1", "2", "3", "0")


def described_bindings(node: Any) -> list[Binding]:
    """What a user must find in help for ``node``: the app's and the screens' keys, and the keys
    this project gives its widgets (not Textual's own cursor and editing keys)."""
    if isinstance(node, App | Screen):
        bindings = [b for _, b in node._bindings]
    else:
        bindings = [
            b if isinstance(b, Binding) else Binding(*b)
            for cls in type(node).__mro__
            if cls.__module__.startswith("costtui.") and "BINDINGS" in cls.__dict__
            for b in cls.__dict__["BINDINGS"]
        ]
    return [b for b in bindings if b.description and not b.system]


def all_dialogs() -> list[type[ModalScreen[Any]]]:
    import costtui.ui.dialogs as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"costtui.ui.dialogs.{info.name}")
    out: list[type[ModalScreen[Any]]] = []
    todo: list[type[Any]] = [ModalScreen]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.startswith("costtui.ui.dialogs.") and cls is not HelpScreen:
            out.append(cls)
    return out


def help_lines(app: CostApp) -> list[str]:
    return text_of(app.screen.query_one("#help-keys")).splitlines()


def listed(app: CostApp, lines: list[str], binding: Binding) -> bool:
    key = app.key_display(binding.id, binding.key)
    return any(line.split()[:1] == [key] and binding.description in line for line in lines)


async def test_help_lists_every_key_of_every_screen_and_dialog(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        for key in SCREEN_KEYS:
            await pilot.press(key)
            await settle(pilot)
            screen = app.screen
            nodes = [app, screen, *screen.walk_children()]
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            lines = help_lines(app)
            for node in nodes:
                for binding in described_bindings(node):
                    assert listed(app, lines, binding), f"{type(screen).__name__}: {binding} not in help"
            for dialog in all_dialogs():
                for _, binding in dialog._merge_bindings():
                    if binding.description and not binding.system:
                        assert listed(app, lines, binding), f"{dialog.__name__}: {binding} not in help"
            await pilot.press("escape")
            assert not isinstance(app.screen, HelpScreen)


async def test_f1_in_a_dialog_shows_its_keys_first(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("f")
        dialog = app.screen
        assert isinstance(dialog, ModalScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        first = app.screen.sections()[0]
        assert {e.binding.id for e in first.entries} >= {"dialog.save", "dialog.cancel", "filters.reset"}
        await pilot.press("escape")
        assert app.screen is dialog


async def test_no_key_means_two_things(demo_db: Path) -> None:
    """Wherever the focus is, on every screen, a key the app defines runs one action."""
    app = build_app(demo_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for key in SCREEN_KEYS:
            await pilot.press(key)
            await settle(pilot)
            screen = app.screen
            for focus in [None, *(w for w in screen.walk_children() if w.focusable)]:
                screen.set_focus(focus)
                await pilot.pause()
                actions: dict[str, set[str]] = {}
                for node, bindings in screen._modal_binding_chain:
                    mine = {(b.key, b.action) for b in described_bindings(node)}
                    for bound_key, binding in bindings:
                        if (binding.key, binding.action) not in mine:
                            continue
                        if app._check_action_state(binding.action, node) is False:
                            continue  # off here (escape closes the key panel only while it is open)
                        actions.setdefault(bound_key, set()).add(binding.action)
                clashes = {k: a for k, a in actions.items() if len(a) > 1}
                assert not clashes, f"{type(screen).__name__}, focus {focus}: {clashes}"


async def footer_and_header(app: CostApp) -> tuple[str, str]:
    return text_of(app.screen.query_one(KeyBar)), text_of(app.screen.query_one(Header).query_one(HeaderTitle))


async def check_bars(demo_db: Path, size: tuple[int, int]) -> None:
    app = build_app(demo_db, demo=True)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.listener_status = "listening 127.0.0.1:8787 · 12 events/min · last 15:01:02"
        for key in SCREEN_KEYS:
            await pilot.press(key)
            await settle(pilot)
            footer, header = await footer_and_header(app)
            assert footer.endswith(("? Help  q Quit", "^p Palette")), footer
            assert "? Help" in footer and "q Quit" in footer, footer
            assert "listening 127.0.0.1:8787" in header, header
            assert len(footer) <= size[0]


async def test_footer_and_header_at_80x24(demo_db: Path) -> None:
    await check_bars(demo_db, (80, 24))


async def test_footer_and_header_at_100x30(demo_db: Path) -> None:
    await check_bars(demo_db, (100, 30))


async def test_footer_drops_screen_keys_by_priority_at_80(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("0")
        await settle(pilot)
        app.screen.query_one(AccountsPanel).focus()  # seven keys of its own
        await pilot.pause()
        footer = text_of(app.screen.query_one(KeyBar))
        assert footer.startswith(" a Add account  t Test key"), footer  # first declared, first kept
        assert "12345670 Screens" in footer and footer.endswith("? Help  q Quit")


async def test_footer_under_a_dialog_shows_only_its_keys(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        await pilot.press("f")
        dialog = app.screen
        assert isinstance(dialog, ModalScreen)
        await pilot.pause()
        footer = text_of(screen.query_one(KeyBar))  # the bar of the screen under the dialog
        working = {app.key_display(a.binding.id, a.binding.key) for a in dialog.active_bindings.values()}
        shown = re.findall(r"(\S+) [A-Z]", footer)
        assert shown and set(shown) <= working, (footer, working)
        assert "esc Cancel" in footer and "Help" not in footer and "Dashboard" not in footer
        await pilot.press("escape")
        await pilot.pause()
        assert "? Help" in text_of(screen.query_one(KeyBar))


async def test_palette_speaks_the_footers_words(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert all(re.fullmatch(r"[a-z]+: \S.*", t) for t in titles), titles
        assert len(titles) == len(set(titles))
        sync = [t for t in titles if Matcher("sync").match(t) > 0]
        assert "quotas: sync now" in sync, sync
        await pilot.press("ctrl+p")
        assert await wait_until(
            pilot, lambda: app.screen.query(CommandList) and app.screen.query_one(CommandList).option_count
        )
        shown = [
            str(app.screen.query_one(CommandList).get_option_at_index(i).prompt).split("\n")[0]
            for i in range(app.screen.query_one(CommandList).option_count)
        ]
        ranges = [t for t in shown if t.startswith("range: ")]
        assert ranges == ["range: 7 days", "range: 30 days", "range: 90 days"], shown
        await pilot.press("escape")


async def test_textual_key_panel_closes_on_escape(demo_db: Path) -> None:
    app = build_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, ActivityScreen)
        command = next(c for c in app.get_system_commands(app.screen) if c.title.startswith("help: key panel"))
        command.callback()
        await pilot.pause()
        assert app.screen.query("HelpPanel")
        await pilot.press("escape")
        await pilot.pause()
        assert not app.screen.query("HelpPanel")
        assert isinstance(app.screen, ActivityScreen)
