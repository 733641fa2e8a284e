"""Add a provider account or edit one: provider, account name, key kind, optional base URL / team
id, and the key (typed in a password field).

Keys go straight from the password field to ``costtui.secrets`` in a thread worker (keyring calls
block); they are never shown, logged or put in a message — only their fingerprint is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Input, Label, Select, Static

from costtui.formatting import safe
from costtui.ui.dialogs.base import Dialog, DialogButton
from costtui.ui.dialogs.passphrase import PassphraseModal

if TYPE_CHECKING:
    from costtui.models import Account
    from costtui.services.accounts import AccountsService


class AddAccountModal(Dialog[bool]):
    """Provider, account name, key kind, optional base URL / team id, and the key (password field)."""

    DEFAULT_CSS = """
    #account-hint { height: auto; color: $text-muted; margin-top: 1; }
    """
    DIALOG_ID = "account-dialog"
    ERROR_ID = "account-error"
    BUTTONS = (
        DialogButton("Save", "submit", "save", "primary"),
        DialogButton("Save and test", "save_and_test", "save-test"),
        DialogButton("Cancel", "cancel", "cancel"),
    )
    CANCEL_RESULT = False

    def __init__(self, account: Account | None = None) -> None:
        super().__init__()
        self.editing = account
        """The account being edited (provider and name stay; an empty key keeps the stored one)."""

    def dialog_title(self) -> str:
        return f"Edit {self.editing.label}" if self.editing else "Add a provider account"

    def compose_body(self) -> ComposeResult:
        from costtui.providers import REGISTRY

        a = self.editing
        options = [(f"{p.title}{'' if p.has_api else ' (no billing API)'}", p.id) for p in REGISTRY.values()]
        with Grid(id="account-grid", classes="dialog-grid"):
            yield Label("provider")
            yield Select(
                options,
                value=a.provider if a else "openai",
                allow_blank=False,
                id="provider",
                disabled=a is not None,
                compact=True,
            )
            yield Label("name")
            yield Input(value=a.name if a else "default", id="name", disabled=a is not None, compact=True)
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
                compact=True,
            )
            yield Label("base URL")
            yield Input(
                value=(a.base_url or "") if a else "",
                placeholder="optional: a gateway or test server",
                id="base-url",
                compact=True,
            )
            yield Label("xAI team id")
            yield Input(
                value=a.options.get("team_id", "") if a else "", placeholder="only for xAI", id="team-id", compact=True
            )
            yield Label("key")
            yield Input(
                password=True,
                id="key",
                placeholder="leave empty to keep the stored key" if a else "paste the key (hidden)",
                compact=True,
            )
        yield Static("", id="account-hint")

    def on_mount(self) -> None:
        super().on_mount()
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
        if info.needs_cli:
            text = cli_only_message(info)
        if info.what:
            text += f"\nSync brings: {info.what}"
        if not info.has_api:
            text = (text + "\n" if text else "") + no_api_message(provider)
        self.query_one("#account-hint", Static).update(text)

    def _error(self, message: str) -> None:
        self.show_error(message)

    @on(Input.Submitted)
    def action_submit(self) -> None:
        self._save(test=False)

    def action_save_and_test(self) -> None:
        self._save(test=True)

    def _save(self, *, test: bool) -> None:
        provider = str(self.query_one("#provider", Select).value)
        name = self.query_one("#name", Input).value.strip() or "default"
        kind = str(self.query_one("#kind", Select).value)
        base_url = self.query_one("#base-url", Input).value.strip() or None
        team = self.query_one("#team-id", Input).value.strip()
        key = self.query_one("#key", Input).value.strip()
        from costtui.providers import get_info

        if get_info(provider).needs_cli and (self.editing is None or key):
            # Several credential fields (a tenant, a client id and a secret, or an AWS profile):
            # the CLI asks for each, secrets at a hidden prompt.
            self._error(cli_only_message(get_info(provider)))
            return
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
        self.app.notify(f"{verb} {safe(account.label)} ({safe(account.key_fp)}).", markup=False)
        if test:
            self.app.run_worker(
                check_key_and_notify(self.app, account), group=f"fetch:{account.provider}", exit_on_error=False
            )
        self.dismiss(True)


def cli_only_message(info: Any) -> str:
    """What to run to add an account whose credentials have several fields."""
    return f"Add this account with `costtui keys add {info.id}` (it asks for each credential field)."


async def check_key_and_notify(app: Any, account: Account) -> None:
    """Run ``keys test`` for one account and say the result (a worker in group fetch:<provider>)."""
    from costtui.services.sync import test_account

    result = await test_account(account, timeout=app.settings.sync.timeout_seconds, credentials=app.credentials)
    severity = {"ok": "information", "failed": "error"}.get(result.status, "warning")
    # The provider's own words: never markup, control characters made visible.
    app.notify(
        f"{result.mark} {safe(account.label)}: {safe(result.message)}",
        title="key test",
        severity=severity,
        timeout=8,
        markup=False,
    )


def accounts_service(app: Any, store: Any = None) -> AccountsService:
    """The accounts workflows with this app's store, credentials and sync settings (call it in a worker)."""
    from costtui.services.accounts import AccountsService

    return AccountsService(store if store is not None else app.get_store(), app.credentials, app.settings.sync)
