"""Which keys do what, read from the bindings themselves: help, the footer and the command palette
all come through here, so none of them can disagree with what a key really does.

Keys that Textual's own widgets bring (cursor keys in a table, editing keys in an input) are
left out: help names them in one line instead of forty.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen


@dataclass(frozen=True)
class KeyEntry:
    """One binding as a user sees it: the key after the keymap, and what it does."""

    key: str
    description: str
    tooltip: str
    binding: Binding
    node: DOMNode
    """Where the binding lives (the action runs there)."""


@dataclass(frozen=True)
class KeySection:
    title: str
    entries: list[KeyEntry]


def words(class_name: str) -> str:
    """``AddAccountModal`` -> ``Add account``: a readable name for a class without a TITLE."""
    name = re.sub(r"(Modal|Screen|Panel|Section)$", "", class_name) or class_name
    parts = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", name)
    return " ".join([parts[0], *(p.lower() for p in parts[1:])]) if parts else class_name


def title_of(node: DOMNode) -> str:
    title = getattr(type(node), "TITLE", None) or getattr(node, "border_title", None)
    return str(title) if title else words(type(node).__name__)


def own_bindings(node: DOMNode) -> list[Binding]:
    """The bindings with a description that this app gives ``node`` (the app and its screens keep
    Textual's own too: tab, ctrl+q, the palette)."""
    if isinstance(node, App | Screen):
        found = [binding for _, binding in node._bindings]
    else:
        found = []
        for cls in reversed(type(node).__mro__):
            if cls.__module__.startswith("costtui.") and "BINDINGS" in cls.__dict__:
                found += [b if isinstance(b, Binding) else Binding(*b) for b in cls.__dict__["BINDINGS"]]
    seen: set[tuple[str, str]] = set()
    out = []
    for binding in found:
        if binding.description and not binding.system and (binding.key, binding.action) not in seen:
            seen.add((binding.key, binding.action))
            out.append(binding)
    return out


def entry(app: Any, node: DOMNode, binding: Binding) -> KeyEntry:
    key = app.key_display(binding.id, binding.key) if hasattr(app, "key_display") else binding.key
    return KeyEntry(key, binding.description, binding.tooltip or binding.description, binding, node)


def screen_sections(app: App[Any], screen: Screen[Any]) -> list[KeySection]:
    """The keys of ``screen`` itself, then one section per widget of it that has keys of its own
    (those work while that widget has focus: tab moves there)."""
    title = title_of(screen)
    sections = []
    mine = [entry(app, screen, b) for b in own_bindings(screen) if b.action not in _SCREEN_BASE_ACTIONS]
    if mine:
        sections.append(KeySection(title, mine))
    for widget in screen.walk_children(with_self=False):
        bindings = own_bindings(widget)
        if bindings:
            sections.append(KeySection(f"{title} → {title_of(widget)}", [entry(app, widget, b) for b in bindings]))
    return sections


_SCREEN_BASE_ACTIONS = {b.action for _, b in Screen._merge_bindings()}
"""Textual's keys of every screen (tab, shift+tab, copy): listed once, under "Everywhere"."""


def everywhere(app: App[Any]) -> KeySection:
    entries = [entry(app, app, b) for b in own_bindings(app)]
    entries += [entry(app, app, b) for _, b in Screen._merge_bindings() if b.description]
    return KeySection("Everywhere", entries)


def dialog_classes() -> list[type[ModalScreen[Any]]]:
    """Every dialog of the app (each module of ``costtui.ui.dialogs``): a new one is listed by
    existing, with nothing to register."""
    import costtui.ui.dialogs as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    found: list[type[ModalScreen[Any]]] = []

    def walk(cls: type[Any]) -> Iterator[type[Any]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    for cls in walk(ModalScreen):
        if cls.__module__.startswith(package.__name__ + ".") and cls not in found:
            found.append(cls)
    return found


def dialog_section(app: App[Any], cls: type[ModalScreen[Any]], title: str | None = None) -> KeySection:
    bindings = [b for b in own_bindings_of_class(cls) if b.action not in _SCREEN_BASE_ACTIONS]
    return KeySection(title or f"Dialog: {words(cls.__name__)}", [entry(app, app, b) for b in bindings])


def own_bindings_of_class(cls: type[DOMNode]) -> list[Binding]:
    merged = cls._merge_bindings()
    out, seen = [], set()
    for _, binding in merged:
        if binding.description and not binding.system and (binding.key, binding.action) not in seen:
            seen.add((binding.key, binding.action))
            out.append(binding)
    return out


def active_entries(screen: Screen[Any]) -> list[KeyEntry]:
    """The keys that work right now on ``screen`` (focused widget first, app last), as the footer
    shows them: only the ones meant for the footer, and only the enabled ones."""
    app = screen.app
    out = []
    for active in screen.active_bindings.values():
        if active.binding.show and active.enabled:
            out.append(entry(app, active.node, active.binding))
    return out
