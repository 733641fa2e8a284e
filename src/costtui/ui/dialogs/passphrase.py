"""Unlock (or create) the encrypted key file that keeps provider keys when no system keyring works.

The passphrase goes from the password field to ``costtui.secrets`` in a thread worker (Argon2 is
slow); it is never shown, logged or put in a message.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Input, Static

from costtui.ui.dialogs.base import Dialog, DialogButton, cancel_binding, submit_binding


class PassphraseModal(Dialog[bool]):
    """Unlock (or create) the encrypted key file; a wrong passphrase is said, the dialog stays."""

    BINDINGS: ClassVar[list[BindingType]] = [submit_binding("Unlock", "Dialogs: unlock the key file"), cancel_binding()]
    DIALOG_ID = "passphrase-dialog"
    ERROR_ID = "passphrase-error"
    BUTTONS = (DialogButton("Unlock", "submit", "unlock", "primary"), DialogButton("Cancel", "cancel", "cancel"))
    CANCEL_RESULT = False

    def dialog_title(self) -> str:
        return "Unlock the encrypted key file" if not self._is_new() else "Choose a passphrase for the key file"

    def _is_new(self) -> bool:
        info = self.app.credentials.backend_info()  # type: ignore[attr-defined]
        return info.path is not None and not info.path.exists()

    def compose_body(self) -> ComposeResult:
        info = self.app.credentials.backend_info()  # type: ignore[attr-defined]
        yield Static(
            Text(
                f"No usable system keyring here: keys are kept encrypted in {info.path}.\n"
                "The passphrase stays in memory until costtui exits "
                "(COSTTUI_KEYRING_PASSPHRASE does the same for scripts)."
            )
        )
        yield Input(password=True, placeholder="passphrase", id="passphrase", compact=True, classes="dialog-field")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#passphrase", Input).focus()

    @on(Input.Submitted, "#passphrase")
    def action_submit(self) -> None:
        value = self.query_one("#passphrase", Input).value
        if not value:
            self.show_error("Type the passphrase first.")
            return
        self.show_error(Text("Checking…", style="not bold"))
        self._unlock(value)

    @work(thread=True, group="unlock", exclusive=True, exit_on_error=False)
    def _unlock(self, value: str) -> None:
        from costtui import secrets

        try:
            self.app.credentials.unlock(value)  # type: ignore[attr-defined]  # Argon2: ~0.3 s, off the UI thread
        except secrets.SecretsError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self.dismiss, True)

    def _failed(self, message: str) -> None:
        self.show_error(message)
        field_ = self.query_one("#passphrase", Input)
        field_.value = ""
        field_.focus()
