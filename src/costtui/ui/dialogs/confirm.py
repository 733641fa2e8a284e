"""Yes/no before something that cannot be undone. Cancel has the focus; ``y`` or ``ctrl+s`` says yes.

One dialog for every such question (removing an account, deleting a tracking token…): the caller
names the confirming button ("Remove", "Delete").
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Button, Static

from costtui.ui.dialogs.base import Dialog, DialogButton, cancel_binding, submit_binding


class ConfirmModal(Dialog[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        submit_binding("Confirm", "Dialogs: confirm (remove, delete…)"),
        cancel_binding(),
        Binding("y", "submit", "Yes", show=False, id="dialog.yes", tooltip="Confirm dialogs: yes"),
    ]
    DIALOG_ID = "confirm-dialog"
    TITLE_TEXT = "Please confirm"
    CANCEL_RESULT = False
    HINT_EXTRA = "y yes · tab next button"

    def __init__(self, question: str, confirm_label: str = "Remove") -> None:
        super().__init__()
        self.question = question
        self.confirm_label = confirm_label

    def compose_body(self) -> ComposeResult:
        yield Static(Text(self.question))

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#no", Button).focus()

    def buttons(self) -> tuple[DialogButton, ...]:
        return (DialogButton(self.confirm_label, "submit", "yes", "error"), DialogButton("Cancel", "cancel", "no"))

    def action_submit(self) -> None:
        self.dismiss(True)
