"""Unlock (or create) the encrypted key file that keeps provider keys when no system keyring works.

The passphrase goes from the password field to ``costtui.secrets`` in a thread worker (Argon2 is
slow); it is never shown, logged or put in a message.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class PassphraseModal(ModalScreen[bool]):
    """Unlock (or create) the encrypted key file; a wrong passphrase is said, the dialog stays."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="passphrase.cancel")]

    def compose(self) -> ComposeResult:
        info = self.app.credentials.backend_info()  # type: ignore[attr-defined]
        new = info.path is not None and not info.path.exists()
        with Vertical(classes="dialog", id="passphrase-dialog"):
            yield Label(
                "Unlock the encrypted key file" if not new else "Choose a passphrase for the key file",
                classes="dialog-title",
            )
            yield Static(
                f"No usable system keyring here: keys are kept encrypted in {info.path}.\n"
                "The passphrase stays in memory until costtui exits "
                "(COSTTUI_KEYRING_PASSPHRASE does the same for scripts)."
            )
            yield Input(password=True, placeholder="passphrase", id="passphrase")
            yield Static("", id="passphrase-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Unlock", variant="primary", id="unlock")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    @on(Input.Submitted, "#passphrase")
    @on(Button.Pressed, "#unlock")
    def _submit(self) -> None:
        value = self.query_one("#passphrase", Input).value
        if not value:
            self.query_one("#passphrase-error", Static).update("Type the passphrase first.")
            return
        self.query_one("#passphrase-error", Static).update("Checking…")
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
        self.query_one("#passphrase-error", Static).update(Text(message, style="bold red"))
        field_ = self.query_one("#passphrase", Input)
        field_.value = ""
        field_.focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
