"""Settings → Accounts: provider accounts and their keys, where keys are stored, and the dialogs
to add an account (the key typed in a password field), unlock the encrypted key file, and confirm
a removal.

Keys go straight from the password field to ``costtui.secrets`` in a thread worker (keyring calls
block); they are never shown, logged or put in a message — only their fingerprint is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from costtui.formatting import local_time
from costtui.ui.screens.settings import SettingsSection

if TYPE_CHECKING:
    from costtui.models import Account, AccountHealth
    from costtui.services.accounts import AccountsService
    from costtui.store import Store
    from costtui.ui.app import CostApp


@dataclass(frozen=True)
class AccountsData:
    accounts: list[Account]
    health: dict[int, AccountHealth]
    key_sources: dict[int, str]
    backend: dict[str, Any]
    no_api: list[str] = field(default_factory=list)


class AccountsPanel(SettingsSection):
    """The Accounts section of Settings: a keyboard-driven list with add/test/disable/remove."""

    TITLE = "Accounts and keys"
    can_focus = True
    BINDINGS: ClassVar[list[Any]] = [
        Binding("up", "move(-1)", "Previous", show=False, id="accounts.previous"),
        Binding("down", "move(1)", "Next", show=False, id="accounts.next"),
        Binding("a", "add", "Add account", tooltip="Add a provider key", id="accounts.add"),
        Binding("t", "test", "Test key", tooltip="One cheap authenticated call", id="accounts.test"),
        Binding("k", "edit", "Edit", tooltip="Change the key, its kind or the base URL", id="accounts.edit"),
        Binding("e", "toggle", "Enable/disable", tooltip="Stop or resume syncing this account", id="accounts.toggle"),
        Binding("x", "remove", "Remove", tooltip="Remove the account and its key", id="accounts.remove"),
        Binding("u", "unlock", "Unlock keys", tooltip="Passphrase of the encrypted key file", id="accounts.unlock"),
    ]
    DEFAULT_CSS = """
    AccountsPanel:focus { border: round $accent; }
    """

    selected = 0
    data: AccountsData | None = None

    @classmethod
    def load(cls, app: CostApp, store: Store) -> AccountsData:
        from costtui.providers import REGISTRY

        listing = accounts_service(app, store).list(now=app.now())
        rows = [r for r in listing.rows if r.account.id is not None]
        no_api = [p.title for p in REGISTRY.values() if not p.has_api]
        return AccountsData(
            [r.account for r in listing.rows],
            {r.account.id: r.health for r in rows},  # type: ignore[misc]
            {r.account.id: r.key_source.label for r in rows},  # type: ignore[misc]
            listing.backend,
            no_api,
        )

    def show(self, data: AccountsData) -> None:
        self.data = data
        self.selected = min(self.selected, max(0, len(data.accounts) - 1))
        super().show(data)

    def render_data(self, data: AccountsData) -> RenderableType:
        b = data.backend
        where = Text()
        where.append("keys stored in ", style="dim")
        where.append(str(b["name"]) + (f" at {b['path']}" if b.get("path") else ""), style="bold")
        if b.get("locked"):
            where.append("  — locked: press u to type the passphrase", style="bold yellow")
        if b.get("reason"):
            where.append(f"  ({b['reason']})", style="dim")
        parts: list[RenderableType] = [where]
        if not data.accounts:
            parts.append(
                Text(
                    "\nNo accounts. Press a to add a provider key (or: costtui keys add openai --admin).\n"
                    "Keys go to the keyring, never to the database."
                )
            )
        else:
            table = Table(box=None, padding=(0, 1), header_style="bold", expand=False)
            for col in ("", "account", "key", "fingerprint", "from", "status", "last success"):
                table.add_column(col, no_wrap=True)
            for i, a in enumerate(data.accounts):
                h = data.health.get(a.id)  # type: ignore[arg-type]
                state = "disabled" if not a.enabled else (h.health if h else "never")
                marker = "▶" if i == self.selected else " "
                style = "reverse" if i == self.selected and self.has_focus else ""
                table.add_row(
                    marker,
                    a.label,
                    a.key_kind,
                    a.key_fp or "—",
                    data.key_sources.get(a.id, ""),  # type: ignore[arg-type]
                    state,
                    local_time(h.last_success_at, "%Y-%m-%d %H:%M") if h else "—",
                    style=style,
                )
            parts.append(table)
            current = data.accounts[self.selected]
            h = data.health.get(current.id)  # type: ignore[arg-type]
            if h and h.last_error:
                parts.append(Text(f"{current.label} last error: {h.last_error}", style="red"))
        parts.append(
            Text(f"No billing API (manual entry with costtui add-cost): {', '.join(data.no_api)}", style="dim")
        )
        parts.append(
            Text("a add · k edit · t test · e enable/disable · x remove · u unlock (focus this box: tab)", style="dim")
        )
        return Group(*parts)

    def on_focus(self) -> None:
        if self.data:
            self.update(self.render_data(self.data))

    def on_blur(self) -> None:
        if self.data:
            self.update(self.render_data(self.data))

    # ------------------------------------------------------------------ actions

    def _current(self) -> Account | None:
        if not self.data or not self.data.accounts:
            self.notify("No account selected; press a to add one.", severity="warning")
            return None
        return self.data.accounts[self.selected]

    def action_move(self, delta: int) -> None:
        if self.data and self.data.accounts:
            self.selected = (self.selected + delta) % len(self.data.accounts)
            self.update(self.render_data(self.data))

    def _changed(self, _: Any = None) -> None:
        self.app.data_changed()  # type: ignore[attr-defined]

    def action_add(self) -> None:
        self.app.push_screen(AddAccountModal(), lambda ok: self._changed() if ok else None)

    def action_unlock(self) -> None:
        self.app.push_screen(PassphraseModal(), lambda ok: self._changed() if ok else None)

    def action_edit(self) -> None:
        account = self._current()
        if account is not None:
            self.app.push_screen(AddAccountModal(account), lambda ok: self._changed() if ok else None)

    def action_toggle(self) -> None:
        account = self._current()
        if account is not None:
            self._set_enabled(account, not account.enabled)

    @work(thread=True, group="accounts", exit_on_error=False)
    def _set_enabled(self, account: Account, enabled: bool) -> None:
        accounts_service(self.app).set_enabled(account, enabled)
        self.app.call_from_thread(self.notify, f"{account.label} {'enabled' if enabled else 'disabled'}.")
        self.app.call_from_thread(self._changed)

    def action_remove(self) -> None:
        account = self._current()
        if account is None:
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._remove(account)

        self.app.push_screen(
            ConfirmModal(
                f"Remove {account.label} and delete its key from the keyring?\n"
                "Its billed history stays (costtui keys remove --purge deletes it)."
            ),
            confirmed,
        )

    @work(thread=True, group="accounts", exit_on_error=False)
    def _remove(self, account: Account) -> None:
        problem = accounts_service(self.app).remove(account)
        warning = f" ({problem})" if problem else ""
        self.app.call_from_thread(
            self.notify, f"Removed {account.label}{warning}.", severity="warning" if warning else "information"
        )
        self.app.call_from_thread(self._changed)

    def action_test(self) -> None:
        account = self._current()
        if account is not None:
            self.notify(f"Testing {account.label}…", timeout=2)
            self.app.run_worker(
                check_key_and_notify(self.app, account), group=f"fetch:{account.provider}", exit_on_error=False
            )


# --------------------------------------------------------------------------- dialogs


class ConfirmModal(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
        Binding("y", "yes", "Yes", show=False, id="confirm.yes"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Label("Please confirm", classes="dialog-title")
            yield Static(self.question)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Remove", variant="error", id="yes")
                yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed, "#yes")
    def action_yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_cancel(self) -> None:
        self.dismiss(False)


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
