"""Settings → Listener's tracking-token dialogs: name a new token, pick an existing one."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option

from costtui.ui.dialogs.style import DIALOG_CSS


class TokenNameScreen(ModalScreen[str | None]):
    """Ask for the app name of a new tracking token."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TokenNameScreen")
    BINDINGS: ClassVar[list[Any]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("New tracking token: the app name its events are attributed to")
            yield Input(placeholder="e.g. billing-bot", id="token-name", max_length=64)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create", variant="primary", id="create")
                yield Button("Cancel", id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create":
            self.dismiss(self.query_one(Input).value.strip() or None)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickTokenScreen(ModalScreen[str | None]):
    """Pick one tracking token (by app name)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PickTokenScreen")
    BINDINGS: ClassVar[list[Any]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, names: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.names = names

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text)
            yield OptionList(
                *(Option(Text(f"{name}  ({state})"), id=name) for name, state in self.names), id="token-pick"
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
