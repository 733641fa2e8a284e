"""Set a price override from the TUI (the same as ``costtui prices set``), optionally re-pricing
stored events at once. Opened with ``p`` on the Dashboard (for the top unpriced model) and on
Settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from costtui.models import PriceOverride


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


class PriceFormScreen(ModalScreen[PriceRequest | None]):
    """Returns a :class:`PriceRequest`, or None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="price.cancel"),
        Binding("ctrl+s", "save", "Save", id="price.save"),
    ]

    def __init__(self, model: str = "", provider: str = "") -> None:
        super().__init__()
        self.model = model
        self.provider = provider

    def compose(self) -> ComposeResult:
        with Vertical(id="price-dialog", classes="dialog"):
            yield Static("Set a price (USD per 1M tokens)", classes="dialog-title")
            with Grid(id="price-grid"):
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
            yield Static("", id="price-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="price-save", variant="primary", compact=True)
                yield Button("Cancel", id="price-cancel", compact=True)
            yield Static("ctrl+s save · esc cancel · tab next field", classes="dialog-hint")

    def on_mount(self) -> None:
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

    def action_save(self) -> None:
        try:
            request = self.build_request()
        except ValueError as exc:
            self.query_one("#price-error", Static).update(Text(f"error: {exc}"))
            return
        self.dismiss(request)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#price-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#price-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()
