"""The command palette: every command named ``category: action`` in the footer's words, listed in
the order the app gives them (Textual's provider sorts them by title, which put "range: 30 days"
before "range: 7 days")."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from textual.app import App, SystemCommand
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from costtui.ui.keys import screen_sections

TEXTUAL_COMMANDS = {
    "Theme": "theme: choose…",
    "Quit": "app: quit",
    "Keys": "help: key panel (esc closes)",
    "Screenshot": "app: screenshot (SVG)",
    "Maximize": "view: maximize panel",
    "Minimize": "view: restore panel",
}
"""Textual's own commands, renamed into the one scheme (others become "app: <title>")."""


def screen_commands(app: App[Any], screen: Screen[Any]) -> Iterator[SystemCommand]:
    """A command for each key of ``screen`` and its panels that works now, titled with the binding's
    namespace and its footer label ("quotas: sync now", "accounts: test key")."""
    for section in screen_sections(app, screen):
        for entry in section.entries:
            binding = entry.binding
            if app._check_action_state(binding.action, entry.node) is False:
                continue
            category = (binding.id or "").split(".")[0] or section.title.lower()
            yield SystemCommand(
                f"{category}: {binding.description.lower()}",
                f"{entry.tooltip} (key {entry.key})",
                partial(app.run_action, binding.action, entry.node),
            )


def screen_key_actions(app: App[Any], screen: Screen[Any]) -> set[str]:
    """The actions the keys of ``screen`` and its panels run (their commands come from the keys)."""
    return {e.binding.action for section in screen_sections(app, screen) for e in section.entries}


def action_of(callback: Any) -> str | None:
    """``screen.action_sync_now`` -> ``sync_now``: which key a hand-written command duplicates."""
    name = getattr(callback, "__name__", "")
    return name.removeprefix("action_") if name.startswith("action_") else None


class PaletteCommands(Provider):
    async def discover(self) -> Hits:
        for title, help_text, callback, discover in self.app.get_system_commands(self.screen):
            if discover:
                yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback, *_ in self.app.get_system_commands(self.screen):
            if (score := matcher.match(title)) > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
