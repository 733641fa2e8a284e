"""``?``: every key on every screen, built from the bindings themselves (and the user's keymap),
so it can never disagree with what the keys do."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

if TYPE_CHECKING:
    from costtui.ui.app import CostApp


def _bindings(items: Iterable[BindingType]) -> list[Binding]:
    out = []
    for item in items:
        if isinstance(item, Binding):
            out.append(item)
        elif isinstance(item, tuple) and len(item) >= 2:
            out.append(Binding(*item))
    return out


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("question_mark", "dismiss", "Close", show=False, id="help.close-question"),
    ]

    def sections(self) -> list[tuple[str, list[Binding]]]:
        from costtui.ui.app import MODE_TABLE, CostApp
        from costtui.ui.dialogs.event_detail import EventDetailScreen
        from costtui.ui.dialogs.filters import FilterScreen
        from costtui.ui.screens.activity import ActivityScreen, EventsTable

        app_bindings = _bindings(CostApp.BINDINGS)
        palette = Binding(self.app.COMMAND_PALETTE_BINDING, "command_palette", "Command palette: every action by name")
        sections: list[tuple[str, list[Binding]]] = [("Everywhere", [*app_bindings, palette])]
        for spec in MODE_TABLE:
            screen_cls = spec.screen
            bindings = _bindings(getattr(screen_cls, "BINDINGS", []))
            if screen_cls is ActivityScreen:
                bindings = _bindings(EventsTable.BINDINGS) + bindings
            if bindings:
                sections.append((spec.title, bindings))
        sections.append(("Activity: filter dialog", _bindings(FilterScreen.BINDINGS)))
        sections.append(("Activity: event details", _bindings(EventDetailScreen.BINDINGS)))
        return sections

    def compose(self) -> ComposeResult:
        app: CostApp = self.app  # type: ignore[assignment]
        parts: list[Text | Table] = []
        for title, bindings in self.sections():
            table = Table.grid(padding=(0, 2), expand=True)
            table.add_column(no_wrap=True, style="bold", min_width=6)
            table.add_column(ratio=1)
            table.add_column(style="dim", no_wrap=True)
            for b in bindings:
                table.add_row(app.key_display(b.id, b.key), b.tooltip or b.description, b.id or "")
            parts += [Text(title, style="bold underline"), table, Text("")]
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(Text("Keys  (third column: the id to rebind it in [ui.keymap])"), classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Static(Group(*parts), id="help-keys")
            yield Static("esc close · ↑↓ scroll", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()
