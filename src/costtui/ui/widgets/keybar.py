"""The footer: the keys that work right now, fitted to one line at any width.

Textual's Footer lists every key and lets the row scroll off the right edge, so at 80 columns
``? Help`` and ``q Quit`` were the first to go; and under a dialog it kept advertising the screen's
keys, which do nothing there. This bar shows the keys of the topmost screen (a dialog's own keys
while one is open), keeps help and quit always, and makes room by priority: first the palette
hint goes, then the screen keys fold into one group ("1230 Screens"), then the screen's own keys
drop from the least important (declared last) up.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

from costtui.ui.keys import KeyEntry, active_entries

PINNED_ACTIONS = ("help", "quit")
"""Always shown on a screen: the way to learn every key, and the way out."""
PALETTE_ACTION = "command_palette"


@dataclass
class _Item:
    entries: list[KeyEntry]
    label: str
    kind: str  # "key" | "group" | "pinned" | "palette"
    current: str = ""
    """In a group: the key of the screen being shown (highlighted)."""


class KeyBar(Widget):
    """One row of ``key Label`` pairs for the topmost screen."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-description-foreground;
    }
    KeyBar > .keybar--key { color: $footer-key-foreground; text-style: bold; }
    KeyBar > .keybar--current { color: $footer-key-foreground; text-style: bold reverse; }
    """
    COMPONENT_CLASSES = {"keybar--key", "keybar--current"}
    ALLOW_SELECT = False

    def on_mount(self) -> None:
        self._watched: Screen[object] | None = None
        self.app.screen_change_signal.subscribe(self, self._screen_changed)
        self._screen_changed(self.app.screen)

    def on_unmount(self) -> None:
        self.app.screen_change_signal.unsubscribe(self)
        if self._watched is not None:
            self._watched.bindings_updated_signal.unsubscribe(self)

    def _screen_changed(self, screen: Screen[object]) -> None:
        if self._watched is not None and self._watched is not screen:
            self._watched.bindings_updated_signal.unsubscribe(self)
        self._watched = screen
        screen.bindings_updated_signal.subscribe(self, lambda _screen: self.refresh())
        self.refresh()

    # ------------------------------------------------------------------ what to show

    def items(self) -> list[_Item]:
        top = self.app.screen
        entries = active_entries(top)
        items: list[_Item] = []
        groups: dict[Binding.Group, _Item] = {}
        current_mode = getattr(self.app, "current_mode", "")
        for entry in entries:
            action = entry.binding.action
            group = entry.binding.group
            if action in PINNED_ACTIONS:
                items.append(_Item([entry], entry.description, "pinned"))
            elif action == PALETTE_ACTION:
                items.append(_Item([entry], entry.description, "palette"))
            elif group is not None:
                if group not in groups:
                    groups[group] = _Item([], group.description, "group")
                    items.append(groups[group])
                groups[group].entries.append(entry)
                if action == f"switch_mode('{current_mode}')":
                    groups[group].current = entry.key
            else:
                items.append(_Item([entry], entry.description, "key"))
        # Pinned keys last (right of the screen keys), the palette hint at the very end.
        order = {"key": 0, "group": 1, "pinned": 2, "palette": 3}
        return sorted(items, key=lambda item: order[item.kind])

    def layouts(self, items: list[_Item]) -> Iterator[tuple[list[_Item], bool]]:
        """Candidate rows, longest first: (items, groups folded)."""
        yield items, False
        items = [i for i in items if i.kind != "palette"]
        yield items, False
        yield items, True
        keys = [i for i in items if i.kind == "key"]
        while keys:
            dropped = keys.pop()
            items = [i for i in items if i is not dropped]
            yield items, True

    def _render_item(self, item: _Item, folded: bool) -> Text:
        key_style = self.get_component_rich_style("keybar--key", partial=True)
        current_style = self.get_component_rich_style("keybar--current", partial=True)
        text = Text()

        if item.kind == "group" and folded:
            for entry in item.entries:
                style = current_style if entry.key == item.current else key_style
                text.append(entry.key, style)
            text.append(f" {item.label}")
            return text
        for n, entry in enumerate(item.entries):
            if n:
                text.append("  ")
            style = current_style if item.kind == "group" and entry.key == item.current else key_style
            text.append(entry.key, style)
            text.append(f" {entry.description}")
        return text

    def line(self, width: int) -> Text:
        """The row that fits ``width`` cells (help and quit are never dropped)."""
        items = self.items()
        best = Text()
        for candidate, folded in self.layouts(items):
            row = Text(" ")
            for n, item in enumerate(candidate):
                if n:
                    row.append("  ")
                row.append_text(self._render_item(item, folded))
            best = row
            if row.cell_len <= width:
                return row
        best.truncate(width)
        return best

    def render(self) -> Text:
        return self.line(self.size.width)
