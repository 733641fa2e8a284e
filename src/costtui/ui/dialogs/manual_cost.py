"""The "add a manual cost" dialog (providers with no billing API); the TUI face of ``costtui add-cost``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ManualCostModal(ModalScreen[bool]):
    """Date or range, provider, account, amount, optional tokens and note; saved as ``manual``."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="manual_cost.cancel")]
    DEFAULT_CSS = """
    #manual-grid { grid-size: 4; grid-columns: 14 1fr 14 1fr; grid-rows: 3; grid-gutter: 0 1; height: auto; }
    #manual-grid Label { padding-top: 1; }
    #manual-error { height: auto; color: $error; text-style: bold; }
    """

    def __init__(self, today: date, provider: str = "") -> None:
        super().__init__()
        self.today = today
        self.provider = provider

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="manual-dialog"):
            yield Label("Add a manual cost", classes="dialog-title")
            with Grid(id="manual-grid"):
                yield Label("provider")
                yield Input(value=self.provider, placeholder="e.g. groq, mistral, gemini", id="m-provider")
                yield Label("account")
                yield Input(value="default", id="m-account")
                yield Label("from (UTC)")
                yield Input(value=self.today.isoformat(), placeholder="YYYY-MM-DD", id="m-from")
                yield Label("to (inclusive)")
                yield Input(placeholder="same day if empty", id="m-to")
                yield Label("amount USD")
                yield Input(placeholder="12.50", id="m-amount")
                yield Label("input tokens")
                yield Input(placeholder="optional", id="m-in", type="integer")
                yield Label("output tokens")
                yield Input(placeholder="optional", id="m-out", type="integer")
                yield Label("note")
                yield Input(placeholder="invoice number, what it was for", id="m-note")
            yield Static(
                "A range is spread evenly over its days. Edit or delete later: costtui costs list/edit/delete.",
                classes="dialog-hint",
            )
            yield Static("", id="manual-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="m-save")
                yield Button("Cancel", id="m-cancel")

    def on_mount(self) -> None:
        self.query_one("#m-provider" if not self.provider else "#m-amount", Input).focus()

    def _value(self, wid: str) -> str:
        return self.query_one(f"#{wid}", Input).value.strip()

    @on(Button.Pressed, "#m-save")
    @on(Input.Submitted)
    def _save(self) -> None:
        from costtui.models import ManualCost

        error = self.query_one("#manual-error", Static)
        try:
            start = date.fromisoformat(self._value("m-from"))
            end = date.fromisoformat(self._value("m-to")) if self._value("m-to") else start
        except ValueError:
            error.update("Dates are YYYY-MM-DD.")
            return
        try:
            amount = Decimal(self._value("m-amount").lstrip("$").replace(",", ""))
        except InvalidOperation:
            error.update("The amount is a number of dollars, e.g. 12.50.")
            return
        if not self._value("m-provider"):
            error.update("Name the provider.")
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
            error.update(str(exc).splitlines()[-1] if str(exc) else "invalid value")
            return
        if end < start:
            error.update("The end date is before the start date.")
            return
        self._store(entry)

    @work(thread=True, group="manual-cost", exclusive=True, exit_on_error=False)
    def _store(self, entry: Any) -> None:
        try:
            saved = self.app.get_store().billing.add_manual_cost(entry)  # type: ignore[attr-defined]
        except ValueError as exc:
            self.app.call_from_thread(self.query_one("#manual-error", Static).update, str(exc))
            return
        self.app.call_from_thread(self._saved, saved)

    def _saved(self, entry: Any) -> None:
        from costtui.formatting import money

        self.app.notify(f"Manual cost #{entry.id}: {money(entry.amount_usd)} for {entry.provider}/{entry.account}.")
        self.dismiss(True)

    @on(Button.Pressed, "#m-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
