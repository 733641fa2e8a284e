"""Add or edit a budget: the TUI face of ``costtui budgets add|edit``. Mistakes are said in words
above the buttons (the same words as the CLI's: ``services.budgets.make_budget``)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Checkbox, Input, Label, Select, Static

from costtui.models import BUDGET_PERIODS, Budget
from costtui.ui.dialogs.base import Dialog, DialogButton

SCOPE_CHOICES = [
    ("everything", "all"),
    ("a provider", "provider"),
    ("an account (provider/name)", "account"),
    ("an app (tracking token)", "app"),
    ("a model", "model"),
    ("a user", "user"),
    ("a team", "team"),
    ("a project", "project"),
    ("an API key (fingerprint)", "key"),
]
VALUE_HINTS = {
    "all": "not needed",
    "provider": "e.g. openai",
    "account": "e.g. openai/default",
    "app": "the app's name",
    "model": "e.g. gpt-4o",
    "user": "the user",
    "team": "the team",
    "project": "the project",
    "key": "e.g. sk-…abcd",
}


class BudgetFormModal(Dialog[bool]):
    """Name, limit, period, scope and its value, thresholds, enforce; dismissed with True once saved."""

    DEFAULT_CSS = """
    #budget-grid { grid-columns: 12 1fr; }
    #budget-grid Checkbox { border: none; padding: 0; height: 1; }
    """
    DIALOG_ID = "budget-dialog"
    ERROR_ID = "budget-error"
    BUTTONS = (DialogButton("Save", "submit", "b-save", "primary"), DialogButton("Cancel", "cancel", "b-cancel"))
    CANCEL_RESULT = False

    def __init__(self, editing: Budget | None = None) -> None:
        super().__init__()
        self.editing = editing

    def dialog_title(self) -> str:
        return f"Edit the budget {self.editing.name}" if self.editing else "Add a budget"

    def compose_body(self) -> ComposeResult:
        b = self.editing
        with Grid(id="budget-grid", classes="dialog-grid"):
            yield Label("name")
            yield Input(value=b.name if b else "", placeholder="e.g. monthly total", id="b-name", compact=True)
            yield Label("limit USD")
            yield Input(value=f"{b.limit_usd:f}" if b else "", placeholder="100", id="b-limit", compact=True)
            yield Label("period")
            yield Select(
                [(f"a {p} (UTC)", p) for p in BUDGET_PERIODS],
                value=b.period if b else "month",
                allow_blank=False,
                id="b-period",
                compact=True,
            )
            yield Label("counts")
            yield Select(SCOPE_CHOICES, value=b.scope if b else "all", allow_blank=False, id="b-scope", compact=True)
            yield Label("which")
            yield Input(
                value=(b.scope_value or "") if b else "",
                placeholder=VALUE_HINTS[b.scope if b else "all"],
                id="b-value",
                disabled=(b.scope if b else "all") == "all",
                compact=True,
            )
            yield Label("alerts at %")
            yield Input(
                value=",".join(str(t) for t in b.thresholds) if b else "50,80,100",
                placeholder="50,80,100",
                id="b-thresholds",
                compact=True,
            )
            yield Label("enforce")
            yield Checkbox("the proxy refuses calls past the limit", value=b.enforce if b else False, id="b-enforce")
        yield Static(
            Text("Each threshold alerts once per period: a toast here, and any webhook or email set in [alerts]."),
            classes="dialog-note",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#b-limit" if self.editing else "#b-name", Input).focus()

    @on(Select.Changed, "#b-scope")
    def _scope_changed(self, event: Select.Changed) -> None:
        value = self.query_one("#b-value", Input)
        scope = str(event.value)
        value.disabled = scope == "all"
        value.placeholder = VALUE_HINTS.get(scope, "")
        if scope == "all":
            value.value = ""

    def _text(self, wid: str) -> str:
        return self.query_one(f"#{wid}", Input).value.strip()

    def form_budget(self) -> Budget | None:
        """The budget the fields describe, or None after saying what is wrong."""
        from decimal import Decimal, InvalidOperation

        from costtui.services.budgets import make_budget
        from costtui.store import BudgetError

        raw_limit = self._text("b-limit").lstrip("$").replace(",", "")
        if not raw_limit:
            self.show_error("Give the limit in dollars, e.g. 100.")
            return None
        try:
            limit = Decimal(raw_limit)
        except InvalidOperation:
            self.show_error(f"The limit {raw_limit!r} is not a number of dollars, e.g. 100 or 12.50.")
            return None
        scope = str(self.query_one("#b-scope", Select).value)
        fields: dict[str, Any] = {
            "name": self._text("b-name") or None,
            "limit_usd": limit,
            "period": str(self.query_one("#b-period", Select).value),
            "scope": scope,
            "scope_value": None if scope == "all" else (self._text("b-value") or None),
            "thresholds": self._text("b-thresholds") or None,
            "enforce": self.query_one("#b-enforce", Checkbox).value,
        }
        if not fields["name"]:
            self.show_error("Name the budget.")
            return None
        if self.editing is not None:
            # Every field comes from the form: an emptied one is empty, not "unchanged".
            fields |= {"id": self.editing.id, "created_at": self.editing.created_at}
        try:
            return make_budget(**fields)
        except BudgetError as exc:
            self.show_error(str(exc))
            return None

    @on(Input.Submitted)
    def action_submit(self) -> None:
        budget = self.form_budget()
        if budget is not None:
            self._save(budget)

    @work(thread=True, group="budget-form", exclusive=True, exit_on_error=False)
    def _save(self, budget: Budget) -> None:
        from costtui.store import BudgetError

        store = self.app.get_store()  # type: ignore[attr-defined]
        try:
            saved = store.budgets.update(budget) if self.editing is not None else store.budgets.add(budget)
        except BudgetError as exc:
            self.app.call_from_thread(self.show_error, str(exc))
            return
        self.app.call_from_thread(self._saved, saved)

    def _saved(self, budget: Budget) -> None:
        from costtui.formatting import money, safe

        verb = "saved" if self.editing else "added"
        self.app.notify(
            f"Budget {safe(budget.name)} {verb}: {money(budget.limit_usd)} per {budget.period}.", markup=False
        )
        self.dismiss(True)
