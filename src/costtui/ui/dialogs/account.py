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
    from costtui.billing import Account


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
        from costtui import secrets

        provider = str(self.query_one("#provider", Select).value)
        name = self.query_one("#name", Input).value.strip() or "default"
        kind = str(self.query_one("#kind", Select).value)
        base_url = self.query_one("#base-url", Input).value.strip() or None
        team = self.query_one("#team-id", Input).value.strip()
        key = self.query_one("#key", Input).value.strip()
        if not key and self.editing is None:
            self._error("Paste the key first.")
            return
        if base_url and not base_url.startswith(("http://", "https://")):
            self._error("The base URL must start with https:// (or http:// for a local test server).")
            return
        test = isinstance(event, Button.Pressed) and event.button.id == "save-test"
        if secrets.is_locked():

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
        from costtui import secrets
        from costtui.billing import Account
        from costtui.formatting import fingerprint
        from costtui.store import StoreError
        from costtui.store.billing import add_account, remove_account

        store = self.app.get_store()  # type: ignore[attr-defined]
        if self.editing is not None:
            self._update_existing(store, self.editing, kind, base_url, team, key, test)
            return
        account = Account(
            provider=provider,
            name=name,
            key_kind=kind,
            base_url=base_url,  # type: ignore[arg-type]
            options={"team_id": team} if team else {},
            key_fp=fingerprint(key),
        )
        try:
            saved = add_account(store, account)
        except StoreError as exc:
            self.app.call_from_thread(self._error, str(exc))
            return
        try:
            secrets.set_secret(saved.secret_name, key)
        except secrets.SecretsError as exc:
            remove_account(store, saved.id)  # type: ignore[arg-type]
            self.app.call_from_thread(self._error, f"The key was not saved: {exc}")
            return
        self.app.call_from_thread(self._saved, saved, test)

    def _update_existing(
        self, store: Any, account: Account, kind: str, base_url: str | None, team: str, key: str, test: bool
    ) -> None:
        """Runs in the ``_store_account`` thread worker."""
        from costtui import secrets
        from costtui.formatting import fingerprint
        from costtui.store.billing import update_account

        if key:
            try:
                secrets.set_secret(account.secret_name, key)
            except secrets.SecretsError as exc:
                self.app.call_from_thread(self._error, f"The key was not saved: {exc}")
                return
        options = dict(account.options)
        if team:
            options["team_id"] = team
        else:
            options.pop("team_id", None)
        changes: dict[str, Any] = {"key_kind": kind, "base_url": base_url, "options": options}
        if key:
            changes["key_fp"] = fingerprint(key)
        saved = update_account(store, account.id, **changes)  # type: ignore[arg-type]
        self.app.call_from_thread(self._saved, saved, test)

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
    from costtui.sync import test_account

    ok, message = await test_account(account, timeout=app.settings.sync.timeout_seconds)
    app.notify(f"{account.label}: {message}", title="key test", severity="information" if ok else "error", timeout=8)
