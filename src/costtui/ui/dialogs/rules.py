"""Edit the proxy's rules (the ``[rules]`` table of the config file) from the Settings screen.

The dialog returns the new :class:`~costtui.config.RulesSettings`; the screen writes them to the
config file (``config.save_rules``) in a worker.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Input, Label, Select, Static

from costtui.config import RulesSettings
from costtui.ui.dialogs.base import Dialog, DialogButton

_ACTIONS = [("off", "off"), ("flag (the call goes on, marked)", "flag"), ("block (refused with 400)", "block")]

_LIST_FIELDS = ("allow_models", "block_models", "blocklist")
_NUMBER_FIELDS = ("rpm_per_key", "tpm_per_key", "rpm_per_app", "tpm_per_app", "rpm_per_user", "tpm_per_user")
_SELECT_FIELDS = ("blocklist_action", "detect_email", "detect_phone", "detect_card", "detect_api_key")

LABELS = {
    "allow_models": "Allowed models",
    "block_models": "Blocked models",
    "max_cost_per_call_usd": "Max $ per call",
    "rpm_per_key": "RPM per key",
    "tpm_per_key": "TPM per key",
    "rpm_per_app": "RPM per app",
    "tpm_per_app": "TPM per app",
    "rpm_per_user": "RPM per user",
    "tpm_per_user": "TPM per user",
    "blocklist": "Blocked words",
    "blocklist_action": "Blocked words do",
    "detect_email": "Emails",
    "detect_phone": "Phone numbers",
    "detect_card": "Card numbers",
    "detect_api_key": "API keys",
}
"""The form's label of each setting (errors name the field the user sees)."""

_PLACEHOLDERS = {
    "allow_models": "any model; e.g. gpt-4o*, anthropic:claude-*",
    "block_models": "none; e.g. *-preview, openai:o1*",
    "max_cost_per_call_usd": "no limit; USD, e.g. 0.50",
    "blocklist": "none; comma-separated words or phrases",
}


def _field_id(name: str) -> str:
    return "rules-" + name.replace("_", "-")


class RulesDialog(Dialog[RulesSettings | None]):
    """Returns the edited rules, or None when cancelled."""

    DIALOG_ID = "rules-dialog"
    TITLE_TEXT = "Proxy rules ([rules] in the config file)"
    ERROR_ID = "rules-error"
    BUTTONS: ClassVar[tuple[DialogButton, ...]] = (
        DialogButton("Save", "submit", "rules-save", "primary"),
        DialogButton("Cancel", "cancel", "rules-cancel"),
    )

    def __init__(self, rules: RulesSettings, *, note: str = "") -> None:
        super().__init__()
        self.rules = rules
        self.note = note

    def compose_body(self) -> ComposeResult:
        r = self.rules
        with Grid(classes="dialog-grid"):
            for name in ("allow_models", "block_models", "max_cost_per_call_usd", *_NUMBER_FIELDS, "blocklist"):
                value = getattr(r, name)
                if isinstance(value, list):
                    text = ", ".join(value)
                elif value is None:
                    text = ""
                else:
                    text = format(value, "f") if name == "max_cost_per_call_usd" else str(value)
                yield Label(LABELS[name])
                yield Input(
                    text,
                    placeholder=_PLACEHOLDERS.get(name, "no limit"),
                    id=_field_id(name),
                    compact=True,
                )
            for name in _SELECT_FIELDS:
                options = _ACTIONS[1:] if name == "blocklist_action" else _ACTIONS
                yield Label(LABELS[name])
                yield Select(options, value=getattr(r, name), allow_blank=False, id=_field_id(name), compact=True)
        notes = [
            "Patterns are globs; provider:pattern limits one to a provider. RPM/TPM: requests and tokens"
            " per minute (sliding window); empty is no limit. Budgets marked enforce are enforced too."
        ]
        if self.note:
            notes.append(self.note)
        yield Static("\n".join(notes), classes="dialog-note")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(f"#{_field_id('allow_models')}", Input).focus()

    def _text(self, name: str) -> str:
        return self.query_one(f"#{_field_id(name)}", Input).value.strip()

    def build_rules(self) -> RulesSettings:
        """The rules the form describes; raises ValueError naming the field that is wrong."""
        values: dict[str, Any] = {}
        for name in _LIST_FIELDS:
            text = self._text(name)
            values[name] = [part.strip() for part in text.split(",") if part.strip()]
        values["max_cost_per_call_usd"] = self._text("max_cost_per_call_usd").lstrip("$") or None
        for name in _NUMBER_FIELDS:
            text = self._text(name).replace(",", "").replace("_", "")
            if not text:
                values[name] = None
            elif not text.isdigit():
                raise ValueError(f"{LABELS[name]}: {text!r} is not a whole number (leave it empty for no limit)")
            else:
                values[name] = int(text)
        for name in _SELECT_FIELDS:
            values[name] = str(self.query_one(f"#{_field_id(name)}", Select).value)
        try:
            return RulesSettings(**values)
        except ValidationError as exc:
            error = exc.errors()[0]
            name = str(error["loc"][0]) if error["loc"] else ""
            message = error["msg"].removeprefix("Value error, ")
            raise ValueError(f"{LABELS.get(name, name)}: {message}") from None

    def action_submit(self) -> None:
        try:
            rules = self.build_rules()
        except ValueError as exc:
            self.show_error(f"error: {exc}")
            return
        self.dismiss(rules)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_submit()
