"""Edit the proxy's rules (the ``[rules]`` table of the config file) from the Settings screen.

The dialog returns the new :class:`~costtui.config.RulesSettings`; the screen writes them to the
config file (``config.save_rules``) in a worker.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal
from textual.widgets import Input, Label, Select, Static

from costtui.config import RulesSettings
from costtui.ui.dialogs.base import Dialog, DialogButton

_ACTIONS = [("off", "off"), ("flag", "flag"), ("block", "block")]

_LIST_FIELDS = ("allow_models", "block_models", "blocklist")
_NUMBER_FIELDS = ("rpm_per_key", "tpm_per_key", "rpm_per_app", "tpm_per_app", "rpm_per_user", "tpm_per_user")
_SELECT_FIELDS = ("blocklist_action", "detect_email", "detect_phone", "detect_card", "detect_api_key")

LABELS = {
    "allow_models": "Allowed models",
    "block_models": "Blocked models",
    "max_cost_per_call_usd": "Max $ per call",
    "rpm_per_key": "Requests per minute per key",
    "tpm_per_key": "Tokens per minute per key",
    "rpm_per_app": "Requests per minute per app",
    "tpm_per_app": "Tokens per minute per app",
    "rpm_per_user": "Requests per minute per user",
    "tpm_per_user": "Tokens per minute per user",
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

    DEFAULT_CSS = """
    .rules-pair { height: 1; width: 1fr; }
    .rules-pair Input, .rules-pair Select, .rules-head { width: 1fr; }
    .rules-pair Input { margin-right: 1; }
    .rules-head { color: $text-muted; }
    .rules-inner-label { width: 16; padding: 0 1; }
    """
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

        def field(name: str) -> Input:
            value = getattr(r, name)
            if isinstance(value, list):
                text = ", ".join(value)
            elif value is None:
                text = ""
            else:
                text = format(value, "f") if name == "max_cost_per_call_usd" else str(value)
            return Input(text, placeholder=_PLACEHOLDERS.get(name, "no limit"), id=_field_id(name), compact=True)

        def choice(name: str) -> Select[str]:
            options = _ACTIONS[1:] if name == "blocklist_action" else _ACTIONS
            return Select(options, value=getattr(r, name), allow_blank=False, id=_field_id(name), compact=True)

        with Grid(classes="dialog-grid"):
            for name in ("allow_models", "block_models", "max_cost_per_call_usd"):
                yield Label(LABELS[name])
                yield field(name)
            yield Label("Per minute")
            with Horizontal(classes="rules-pair"):
                yield Static("requests", classes="rules-head")
                yield Static("tokens", classes="rules-head")
            for who in ("key", "app", "user"):
                yield Label(f"  per {who}")
                with Horizontal(classes="rules-pair"):
                    yield field(f"rpm_per_{who}")
                    yield field(f"tpm_per_{who}")
            yield Label(LABELS["blocklist"])
            yield field("blocklist")
            yield Label(LABELS["blocklist_action"])
            yield choice("blocklist_action")
            for left, right in (("detect_email", "detect_phone"), ("detect_card", "detect_api_key")):
                yield Label(LABELS[left])
                with Horizontal(classes="rules-pair"):
                    yield choice(left)
                    yield Label(LABELS[right], classes="rules-inner-label")
                    yield choice(right)
        notes = [
            "Globs; provider:pattern for one provider (openai:o1*). Empty: no limit.",
            "flag: the call goes on, marked · block: refused. Enforced budgets apply too.",
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
