"""Settings → Listener's tracking-token dialogs: name a new token, pick an existing one."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from costtui.formatting import safe
from costtui.ui.dialogs.base import Dialog, DialogButton, cancel_binding, submit_binding


class TokenNameScreen(Dialog[str | None]):
    """Ask for the app name of a new tracking token."""

    BINDINGS: ClassVar[list[BindingType]] = [
        submit_binding("Create", "Dialogs: create the tracking token"),
        cancel_binding(),
    ]
    DIALOG_ID = "token-dialog"
    TITLE_TEXT = "New tracking token"
    BUTTONS = (DialogButton("Create", "submit", "create", "primary"), DialogButton("Cancel", "cancel", "cancel"))

    def compose_body(self) -> ComposeResult:
        yield Static("The app name its events are attributed to:")
        yield Input(placeholder="e.g. billing-bot", id="token-name", max_length=64, compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#token-name", Input).focus()

    @on(Input.Submitted, "#token-name")
    def action_submit(self) -> None:
        name = self.query_one("#token-name", Input).value.strip()
        if not name:
            self.show_error("Name the app first.")
            return
        self.dismiss(name)


class PickTokenScreen(Dialog[str | None]):
    """Pick one tracking token (by app name)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        submit_binding("Select", "Dialogs: choose the highlighted item"),
        cancel_binding(),
    ]
    DIALOG_ID = "token-dialog"
    BUTTONS = (DialogButton("Select", "submit", "select", "primary"), DialogButton("Cancel", "cancel", "cancel"))
    HINT_EXTRA = "↑↓ choose"

    def __init__(self, title: str, names: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.names = names

    def dialog_title(self) -> str:
        return self.title_text

    def compose_body(self) -> ComposeResult:
        yield OptionList(
            *(Option(Text(f"{safe(name)}  ({state})"), id=name) for name, state in self.names), id="token-pick"
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#token-pick", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_submit(self) -> None:
        picker = self.query_one("#token-pick", OptionList)
        if picker.highlighted is None:
            self.show_error("Choose a token first.")
            return
        self.dismiss(picker.get_option_at_index(picker.highlighted).id)
