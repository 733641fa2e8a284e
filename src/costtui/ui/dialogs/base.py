"""The one shape every dialog has: a title, a body that scrolls when the terminal is short, an error
line, a bar of labelled buttons and a hint line naming the keys. ``ctrl+s`` runs the dialog's
primary action (save, unlock, apply, remove…) and ``esc`` cancels, in every dialog.

The look lives in the dialog section of ``costtui.tcss`` (one copy for all dialogs); a dialog adds
only what is its own (the columns of its form grid) in its ``DEFAULT_CSS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

ResultT = TypeVar("ResultT")

ButtonVariant = Literal["default", "primary", "success", "warning", "error"]


@dataclass(frozen=True)
class DialogButton:
    """One button of a dialog's button bar: pressing it runs ``action`` on the dialog."""

    label: str
    action: str
    """An action of the dialog (``submit``, ``cancel``, ``reset``…), run as ``action_<name>``."""
    id: str
    variant: ButtonVariant = "default"


SUBMIT_ID = "dialog.save"
CANCEL_ID = "dialog.cancel"


def submit_binding(description: str = "Save", tooltip: str = "") -> Binding:
    """``ctrl+s``: the dialog's primary action; a dialog names it (Unlock, Apply, Remove…)."""
    return Binding("ctrl+s", "submit", description, id=SUBMIT_ID, tooltip=tooltip or f"Dialogs: {description.lower()}")


def cancel_binding(description: str = "Cancel") -> Binding:
    return Binding("escape", "cancel", description, id=CANCEL_ID, tooltip=f"Dialogs: {description.lower()}")


def key_label(key: str) -> str:
    """``ctrl+s`` and ``esc`` as a reader types them (hint lines spell keys out, unlike the footer's ^s)."""
    names = {"escape": "esc", "question_mark": "?", "enter": "enter", "space": "space"}
    return "+".join(names.get(part, part) for part in key.split("+"))


class DialogBody(VerticalScroll):
    """The part of a dialog that scrolls. A tab stop only while it has something to scroll: a form's
    fields bring themselves into view when focused, and a body that fits needs no extra stop."""

    def __init__(self, *, reading: bool = False, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.reading = reading
        """A body to read rather than a form: it always takes the focus (and the arrow keys)."""

    def allow_focus(self) -> bool:
        return self.reading or self.max_scroll_y > 0


class Dialog(ModalScreen[ResultT], Generic[ResultT]):
    """Base of every dialog. Subclasses fill :meth:`compose_body`, name their buttons in
    ``BUTTONS`` and implement ``action_submit``; ``esc`` dismisses with ``CANCEL_RESULT``."""

    BINDINGS: ClassVar[list[BindingType]] = [submit_binding(), cancel_binding()]

    DIALOG_ID: ClassVar[str] = ""
    """The id of the dialog frame (``#price-dialog``…), for the dialog's own size rules."""
    TITLE_TEXT: ClassVar[str] = ""
    BUTTONS: ClassVar[tuple[DialogButton, ...]] = (
        DialogButton("Save", "submit", "save", "primary"),
        DialogButton("Cancel", "cancel", "cancel"),
    )
    ERROR_ID: ClassVar[str] = "dialog-error"
    HINT_EXTRA: ClassVar[str] = ""
    """Appended to the key hint (``ctrl+r reset``, ``↑↓ scroll``…)."""
    READING: ClassVar[bool] = False
    """True for a dialog that shows something to read (no fields): its body takes the focus."""
    CANCEL_RESULT: ClassVar[Any] = None
    """What ``esc`` and the Cancel button return."""

    def dialog_title(self) -> str:
        return self.TITLE_TEXT

    def buttons(self) -> tuple[DialogButton, ...]:
        """The button bar, left to right (``BUTTONS`` unless a dialog builds it per instance)."""
        return self.BUTTONS

    def compose_body(self) -> ComposeResult:
        yield from ()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id=self.DIALOG_ID or None):
            yield Static(Text(self.dialog_title()), classes="dialog-title")
            with DialogBody(reading=self.READING, classes="dialog-body"):
                yield from self.compose_body()
            yield Static("", id=self.ERROR_ID, classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                for spec in self.buttons():
                    yield Button(spec.label, variant=spec.variant, id=spec.id, compact=True, classes="dialog-button")
            yield Static("", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(".dialog-hint", Static).update(Text(self.hint_text()))
        self.query_one(f"#{self.ERROR_ID}", Static).display = False

    def on_resize(self) -> None:
        self.call_after_refresh(self.fit_body)

    def fit_body(self) -> None:
        """Give the body what the screen has left after the title, error, buttons and hint.

        CSS cannot say "as tall as its content, but no taller than what is left" for a child of an
        auto-height frame, so the body's max-height is set here: on a short terminal the form
        scrolls and the buttons stay on screen.
        """
        frame = self.query_one(".dialog", Vertical)
        body = self.query_one(".dialog-body", DialogBody)
        chrome = 0
        previous_margin = 0
        for child in frame.children:
            if not child.display:
                continue
            margin = child.styles.margin
            # Vertical layouts collapse adjacent margins to the larger of the two.
            chrome += max(previous_margin, margin.top) + (0 if child is body else child.outer_size.height)
            previous_margin = margin.bottom
        chrome += previous_margin
        room = self.size.height - self.styles.gutter.height - frame.styles.gutter.height - chrome
        body.styles.max_height = max(room, 1)

    def hint_text(self) -> str:
        """The keys this dialog answers to, from its own bindings (and the user's keymap)."""
        keymap: dict[str, str] = getattr(self.app, "_keymap", {}) or {}
        parts = []
        seen: set[str] = set()
        labels = {spec.action: spec.label for spec in self.buttons() if spec.action == "submit"}
        for bindings in self._bindings.key_to_bindings.values():
            for binding in bindings:
                if not binding.show or binding.action in seen:
                    continue
                if not self.check_action(binding.action, ()):
                    continue
                seen.add(binding.action)
                key = keymap.get(binding.id or "", binding.key).split(",")[0].strip()
                # The primary key is named after its button ("ctrl+s remove"), which says more.
                what = labels.get(binding.action, binding.description).lower()
                parts.append((binding.action, f"{key_label(key)} {what}"))
        # The primary action first, cancel next, the rest after: the same order in every dialog.
        order = {"submit": 0, "cancel": 1}
        text = [label for _action, label in sorted(parts, key=lambda p: order.get(p[0], 2))]
        if self.query("Input, Select"):
            text.append("tab next field")
        if self.HINT_EXTRA:
            text.append(self.HINT_EXTRA)
        return " · ".join(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            return any(spec.action == "submit" for spec in self.buttons())
        return True

    def show_error(self, message: str | Text) -> None:
        """Say what is wrong above the buttons (they stay where they are, visible and clickable)."""
        error = self.query_one(f"#{self.ERROR_ID}", Static)
        error.update(message if isinstance(message, Text) else Text(message))
        error.display = bool(str(message))
        self.call_after_refresh(self.fit_body)

    @on(Button.Pressed, ".dialog-button")
    async def _button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        for spec in self.buttons():
            if spec.id == event.button.id:
                await self.run_action(spec.action)
                return

    def action_submit(self) -> None:
        """The primary action; dialogs with a Save/Unlock/Apply button override it."""

    def action_cancel(self) -> None:
        self.dismiss(self.CANCEL_RESULT)
