"""Add a provider account or edit one: provider, account name, key kind, optional base URL / team
id, and the key (typed in a password field).

Keys go straight from the password field to ``costtui.secrets`` in a thread worker (keyring calls
block); they are never shown, logged or put in a message — only their fingerprint is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from costtui.ui.dialogs.passphrase import PassphraseModal

if TYPE_CHECKING:
    from costtui.models import Account
    from costtui.services.accounts import AccountsService


class AddAccountModal(ModalScreen[bool]):
    """Provider, account name, key kind, optional base URL / team id, and the key (password field)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="account_form.cancel")]
    DEFAULT_CSS = """
    #account-grid { grid-size: 2; grid-columns: 14 1fr; grid-rows: 3; grid-gutter: 0 1; height: auto; }
    #account-grid Label { padding-top: 1; }
    #account-error { height: auto; color: $error; text-style: bold; }
    #account-hint { height: auto; color: $text-muted; }
    """

    def __init__(self, account: Account | None = None) -> None:
        super().__init__()
        self.editing = account
        """The account being edited (provider and name stay; an empty key keeps the stored one)."""

    def compose(self) -> ComposeResult:
        from costtui.providers import REGISTRY

        a = self.editing
        options = [(f"{p.title}{'' if p.has_api else ' (no billing API)'}", p.id) for p in REGISTRY.values()]
        with Vertical(classes="dialog", id="account-dialog"):
            yield Label(f"Edit {a.label}" if a else "Add a provider account", classes="dialog-title")
            with Grid(id="account-grid"):
                yield Label("provider")
                yield Select(
                    options,
                    value=a.provider if a else "openai",
                    allow_blank=False,
                    id="provider",
                    disabled=a is not None,
                )
                yield Label("name")
                yield Input(value=a.name if a else "default", id="name", disabled=a is not None)
                yield Label("key kind")
                yield Select(
                    [
                        ("admin / billing", "admin"),
                        ("inference (ordinary API key)", "inference"),
                        ("management", "management"),
                    ],
                    value=a.key_kind if a else "admin",
                    allow_blank=False,
                    id="kind",
                )
                yield Label("base URL")
                yield Input(
                    value=(a.base_url or "") if a else "",
                    placeholder="optional: a gateway or test server",
                    id="base-url",
                )
                yield Label("xAI team id")
                yield Input(value=a.options.get("team_id", "") if a else "", placeholder="only for xAI", id="team-id")
                yield Label("key")
                yield Input(
                    password=True,
                    id="key",
                    placeholder="leave empty to keep the stored key" if a else "paste the key (hidden)",
                )
            yield Static("", id="account-hint")
            yield Static("", id="account-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Save and test", id="save-test")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._hint(self.editing.provider if self.editing else "openai")
        self.query_one("#kind" if self.editing else "#provider", Select).focus()

    @on(Select.Changed, "#provider")
    def _provider_changed(self, event: Select.Changed) -> None:
        from costtui.providers import get_info

        info = get_info(str(event.value))
        if self.editing is not None:
            return
        self.query_one("#kind", Select).value = info.key_kinds[0]
        self._hint(info.id)

    def _hint(self, provider: str) -> None:
        from costtui.providers import get_info, no_api_message

        info = get_info(provider)
        text = info.key_hint or ""
        if info.what:
            text += f"\nSync brings: {info.what}"
        if not info.has_api:
            text = (text + "\n" if text else "") + no_api_message(provider)
        self.query_one("#account-hint", Static).update(text)

    def _error(self, message: str) -> None:
        self.query_one("#account-error", Static).update(message)

    @on(Button.Pressed, "#save")
    @on(Button.Pressed, "#save-test")
    @on(Input.Submitted, "#key")
    def _save(self, event: Any) -> None:
        provider = str(self.query_one("#provider", Select).value)
        name = self.query_one("#name", Input).value.strip() or "default"
        kind = str(self.query_one("#kind", Select).value)
        base_url = self.query_one("#base-url", Input).value.strip() or None
        team = self.query_one("#team-id", Input).value.strip()
        key = self.query_one("#key", Input).value.strip()
        if not key and self.editing is None:
            self._error("Paste the key first.")
            return
        from costtui.services.accounts import AccountError, AccountsService

        try:
            # The same checks as `costtui keys add`: a kind the provider's sync can use, a URL.
            if self.editing is None or kind != self.editing.key_kind:
                AccountsService.check_kind(provider, kind)
            AccountsService.check_base_url(base_url)
        except AccountError as exc:
            self._error(str(exc)[:1].upper() + str(exc)[1:] + ".")
            return
        test = isinstance(event, Button.Pressed) and event.button.id == "save-test"
        if key and self.app.credentials.is_locked():  # type: ignore[attr-defined]

            def unlocked(ok: bool | None) -> None:
                if ok:
                    self._store_account(provider, name, kind, base_url, team, key, test)

            self.app.push_screen(PassphraseModal(), unlocked)
            return
        self._store_account(provider, name, kind, base_url, team, key, test)

    @work(thread=True, group="accounts", exclusive=True, exit_on_error=False)
    def _store_account(
        self, provider: str, name: str, kind: str, base_url: str | None, team: str, key: str, test: bool
    ) -> None:
        from costtui.services.accounts import AccountError, KeyNotSaved

        service = accounts_service(self.app)
        try:
            if self.editing is not None:
                saved = service.update(
                    self.editing, key=key or None, kind=kind, base_url=base_url, team_id=team or None
                )
            else:
                saved = service.add(provider, name=name, kind=kind, key=key, base_url=base_url, team_id=team or None)
        except KeyNotSaved as exc:
            self.app.call_from_thread(
                self._error, f"The key was not saved: {str(exc).removeprefix('the key was not saved: ')}"
            )
            return
        except AccountError as exc:
            self.app.call_from_thread(self._error, str(exc))
            return
        if saved.warning:
            self.app.call_from_thread(self.app.notify, f"Warning: {saved.warning}.", severity="warning", timeout=10)
        self.app.call_from_thread(self._saved, saved.account, test)

    def _saved(self, account: Account, test: bool) -> None:
        verb = "Updated" if self.editing is not None else "Added"
        self.app.notify(f"{verb} {account.label} ({account.key_fp}).")
        if test:
            self.app.run_worker(
                check_key_and_notify(self.app, account), group=f"fetch:{account.provider}", exit_on_error=False
            )
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


async def check_key_and_notify(app: Any, account: Account) -> None:
    """Run ``keys test`` for one account and say the result (a worker in group fetch:<provider>)."""
    from costtui.services.sync import test_account

    result = await test_account(account, timeout=app.settings.sync.timeout_seconds, credentials=app.credentials)
    severity = {"ok": "information", "failed": "error"}.get(result.status, "warning")
    app.notify(f"{result.mark} {account.label}: {result.message}", title="key test", severity=severity, timeout=8)


def accounts_service(app: Any, store: Any = None) -> AccountsService:
    """The accounts workflows with this app's store, credentials and sync settings (call it in a worker)."""
    from costtui.services.accounts import AccountsService

    return AccountsService(store if store is not None else app.get_store(), app.credentials, app.settings.sync)
