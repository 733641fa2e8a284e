"""Settings → Accounts: provider accounts and their keys, and where keys are stored. Its dialogs
(add or edit an account, unlock the encrypted key file, confirm a removal) are in
``costtui.ui.dialogs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.binding import Binding

from costtui.formatting import TimeZoneRule, safe
from costtui.ui.dialogs.account import AddAccountModal, accounts_service, check_key_and_notify
from costtui.ui.dialogs.confirm import ConfirmModal
from costtui.ui.dialogs.passphrase import PassphraseModal
from costtui.ui.sections import SettingsSection

if TYPE_CHECKING:
    from costtui.models import Account, AccountHealth
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
        Binding(
            "e", "toggle_enabled", "Enable/disable", tooltip="Stop or resume syncing this account", id="accounts.toggle"
        ),
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
        times = TimeZoneRule.from_setting(self.app.settings.ui.timezone)  # type: ignore[attr-defined]
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
                    # Text cells: a str cell of a rich Table is read as markup.
                    Text(safe(a.label)),
                    a.key_kind,
                    Text(safe(a.key_fp) or "—"),
                    Text(safe(data.key_sources.get(a.id, ""))),  # type: ignore[arg-type]
                    state,
                    times.stamp(h.last_success_at) if h else "—",
                    style=style,
                )
            parts.append(table)
            current = data.accounts[self.selected]
            h = data.health.get(current.id)  # type: ignore[arg-type]
            if h and h.last_error:
                parts.append(Text(f"{safe(current.label)} last error: {safe(h.last_error)}", style="red"))
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

    def action_toggle_enabled(self) -> None:
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
            self.notify(f"Testing {safe(account.label)}…", timeout=2, markup=False)
            self.app.run_worker(
                check_key_and_notify(self.app, account), group=f"fetch:{account.provider}", exit_on_error=False
            )
