"""``?``: the keys that work here, read from the bindings that are really active (the screen, its
panels, the app; a dialog's own), then every dialog's keys. Built from the bindings themselves and
the user's keymap, so it cannot disagree with what the keys do."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from costtui.ui.keys import KeySection, dialog_classes, dialog_section, everywhere, screen_sections

if TYPE_CHECKING:
    from costtui.ui.app import CostApp

MOVING = "↑↓ ←→ PgUp PgDn Home End move in tables and lists · enter opens · tab / shift+tab next / previous panel"


class HelpScreen(ModalScreen[None]):
    TITLE = "Keys"
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("question_mark", "dismiss", "Close", show=False, id="help.close-question"),
    ]

    def __init__(self, target: Screen[Any] | None = None) -> None:
        super().__init__()
        self.target = target
        """The screen or dialog help was asked from: its keys come first."""

    def sections(self) -> list[KeySection]:
        app = self.app
        target = self.target if self.target is not None else app.screen
        sections = screen_sections(app, target)
        if not isinstance(target, ModalScreen):
            sections.append(everywhere(app))
        shown = {type(target)}
        for cls in dialog_classes():
            if cls not in shown and cls is not HelpScreen:
                sections.append(dialog_section(app, cls))
        return sections

    def compose(self) -> ComposeResult:
        app: CostApp = self.app  # type: ignore[assignment]
        parts: list[Text | Table] = []
        for section in self.sections():
            if not section.entries:
                continue
            table = Table.grid(padding=(0, 2), expand=True)
            table.add_column(no_wrap=True, style="bold", min_width=6)
            table.add_column(ratio=1)
            table.add_column(style="dim", no_wrap=True)
            for entry in section.entries:
                text = entry.description
                if entry.tooltip and entry.tooltip != entry.description:
                    text = f"{entry.description} — {entry.tooltip}"
                table.add_row(Text(entry.key), Text(text), Text(entry.binding.id or ""))
            parts += [Text(section.title, style="bold underline"), table, Text("")]
        parts.append(Text(MOVING, style="dim"))
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(
                Text(
                    f"Keys  (third column: the id to rebind it in [ui.keymap]; palette: {app.key_display('app.palette', 'ctrl+p')})"
                ),
                classes="dialog-title",
            )
            with VerticalScroll(id="help-body"):
                yield Static(Group(*parts), id="help-keys")
            yield Static("esc close · ↑↓ scroll", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()
