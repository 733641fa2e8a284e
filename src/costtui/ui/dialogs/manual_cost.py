"""The "add a manual cost" dialog (providers with no billing API); the TUI face of ``costtui add-cost``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Input, Label, Static

from costtui.ui.dialogs.base import Dialog, DialogButton


class ManualCostModal(Dialog[bool]):
    """Date or range, provider, account, amount, optional tokens and note; saved as ``manual``."""

    DEFAULT_CSS = """
    #manual-grid { grid-size: 4; grid-columns: 14 1fr 14 1fr; }
    """
    DIALOG_ID = "manual-dialog"
    TITLE_TEXT = "Add a manual cost"
    ERROR_ID = "manual-error"
    BUTTONS = (DialogButton("Save", "submit", "m-save", "primary"), DialogButton("Cancel", "cancel", "m-cancel"))
    CANCEL_RESULT = False

    def __init__(self, today: date, provider: str = "") -> None:
        super().__init__()
        self.today = today
        self.provider = provider

    def compose_body(self) -> ComposeResult:
        with Grid(id="manual-grid", classes="dialog-grid"):
            yield Label("provider")
            yield Input(value=self.provider, placeholder="e.g. groq, mistral, gemini", id="m-provider", compact=True)
            yield Label("account")
            yield Input(value="default", id="m-account", compact=True)
            yield Label("from (UTC)")
            yield Input(value=self.today.isoformat(), placeholder="YYYY-MM-DD", id="m-from", compact=True)
            yield Label("to (inclusive)")
            yield Input(placeholder="same day if empty", id="m-to", compact=True)
            yield Label("amount USD")
            yield Input(placeholder="12.50", id="m-amount", compact=True)
            yield Label("input tokens")
            yield Input(placeholder="optional", id="m-in", type="integer", compact=True)
            yield Label("output tokens")
            yield Input(placeholder="optional", id="m-out", type="integer", compact=True)
            yield Label("note")
            yield Input(placeholder="invoice number, what it was for", id="m-note", compact=True)
        yield Static(
            "A range is spread evenly over its days. Edit or delete later: costtui costs list/edit/delete.",
            classes="dialog-note",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#m-provider" if not self.provider else "#m-amount", Input).focus()

    def _value(self, wid: str) -> str:
        return self.query_one(f"#{wid}", Input).value.strip()

    @on(Input.Submitted)
    def action_submit(self) -> None:
        from costtui.models import ManualCost

        try:
            start = date.fromisoformat(self._value("m-from"))
            end = date.fromisoformat(self._value("m-to")) if self._value("m-to") else start
        except ValueError:
            self.show_error("Dates are YYYY-MM-DD.")
            return
        try:
            amount = Decimal(self._value("m-amount").lstrip("$").replace(",", ""))
        except InvalidOperation:
            self.show_error("The amount is a number of dollars, e.g. 12.50.")
            return
        if not self._value("m-provider"):
            self.show_error("Name the provider.")
            return
        try:
            entry = ManualCost(
                provider=self._value("m-provider").lower(),
                account=self._value("m-account") or "default",
                start=start,
                end=end,
                amount_usd=amount,
                input_tokens=int(self._value("m-in") or 0),
                output_tokens=int(self._value("m-out") or 0),
                note=self._value("m-note") or None,
            )
        except ValueError as exc:
            self.show_error(str(exc).splitlines()[-1] if str(exc) else "invalid value")
            return
        if end < start:
            self.show_error("The end date is before the start date.")
            return
        self._store(entry)

    @work(thread=True, group="manual-cost", exclusive=True, exit_on_error=False)
    def _store(self, entry: Any) -> None:
        try:
            saved = self.app.get_store().billing.add_manual_cost(entry)  # type: ignore[attr-defined]
        except ValueError as exc:
            self.app.call_from_thread(self.show_error, str(exc))
            return
        self.app.call_from_thread(self._saved, saved)

    def _saved(self, entry: Any) -> None:
        from costtui.formatting import money

        self.app.notify(f"Manual cost #{entry.id}: {money(entry.amount_usd)} for {entry.provider}/{entry.account}.")
        self.dismiss(True)
