"""Set a price override from the TUI (the same as ``costtui prices set``), optionally re-pricing
stored events at once. Opened with ``p`` on the Dashboard (for the top unpriced model) and on
Settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Checkbox, Input, Label

from costtui.models import PriceOverride
from costtui.ui.dialogs.base import Dialog, DialogButton


@dataclass(frozen=True)
class PriceRequest:
    """What the dialog returns: the override to save and whether to re-price history."""

    override: PriceOverride
    recost: bool


def _money(text: str, label: str, *, required: bool) -> Decimal | None:
    text = text.strip().lstrip("$")
    if not text:
        if required:
            raise ValueError(f"{label}: required (USD per million tokens)")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{label}: {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{label}: must be a non-negative number")
    return value


class PriceFormScreen(Dialog[PriceRequest | None]):
    """Returns a :class:`PriceRequest`, or None when cancelled."""

    DIALOG_ID = "price-dialog"
    TITLE_TEXT = "Set a price (USD per 1M tokens)"
    ERROR_ID = "price-error"
    BUTTONS = (
        DialogButton("Save", "submit", "price-save", "primary"),
        DialogButton("Cancel", "cancel", "price-cancel"),
    )

    def __init__(self, model: str = "", provider: str = "") -> None:
        super().__init__()
        self.model = model
        self.provider = provider

    def compose_body(self) -> ComposeResult:
        with Grid(classes="dialog-grid"):
            fields = [
                ("Model", "price-model", self.model, "model name as recorded"),
                ("Provider", "price-provider", self.provider, "any provider"),
                ("Input", "price-input", "", "e.g. 0.40"),
                ("Output", "price-output", "", "e.g. 1.60"),
                ("Cache read", "price-cache-read", "", "default: input price"),
                ("Cache write", "price-cache-write", "", "default: input price"),
                ("From (day)", "price-from", "", "YYYY-MM-DD, default: always"),
            ]
            for label, widget_id, value, placeholder in fields:
                yield Label(label)
                yield Input(value, placeholder=placeholder, id=widget_id, compact=True)
        yield Checkbox("Re-price stored events now (costtui recost)", True, id="price-recost", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#price-input" if self.model else "#price-model", Input).focus()

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def build_request(self) -> PriceRequest:
        """The request the dialog describes; raises ValueError with a readable message."""
        model = self._value("price-model")
        if not model:
            raise ValueError("Model: required")
        start_text = self._value("price-from")
        try:
            start = date.fromisoformat(start_text) if start_text else None
        except ValueError:
            raise ValueError("From: not a date, use YYYY-MM-DD") from None
        override = PriceOverride(
            model=model,
            provider=self._value("price-provider") or None,
            input_per_mtok=_money(self._value("price-input"), "Input", required=True) or Decimal(0),
            output_per_mtok=_money(self._value("price-output"), "Output", required=True) or Decimal(0),
            cache_read_per_mtok=_money(self._value("price-cache-read"), "Cache read", required=False),
            cache_write_per_mtok=_money(self._value("price-cache-write"), "Cache write", required=False),
            effective_from=start,
        )
        return PriceRequest(override, self.query_one("#price-recost", Checkbox).value)

    def action_submit(self) -> None:
        try:
            request = self.build_request()
        except ValueError as exc:
            self.show_error(f"error: {exc}")
            return
        self.dismiss(request)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_submit()
