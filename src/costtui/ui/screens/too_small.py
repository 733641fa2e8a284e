"""A terminal smaller than costtui's minimum gets a message, not a broken layout.

Every screen and dialog is laid out for at least :data:`MIN_WIDTH` × :data:`MIN_HEIGHT`. Below
that, the app covers everything with :class:`TooSmallScreen`, which says what size is needed and
what the terminal has now, and goes away by itself when the terminal is large enough again
(whatever was open underneath, a dialog included, is still there).
"""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widgets import Static

MIN_WIDTH, MIN_HEIGHT = 80, 24
"""The smallest terminal every screen and dialog is made to fit (the classic SSH window)."""


def too_small_message(size: Size) -> str:
    return (
        f"costtui needs at least {MIN_WIDTH}×{MIN_HEIGHT};\n"
        f"this terminal is {size.width}×{size.height}.\n\n"
        "Make the window larger\n(or the font smaller), or press q to quit."
    )


def is_too_small(size: Size) -> bool:
    return size.width < MIN_WIDTH or size.height < MIN_HEIGHT


class TooSmallScreen(ModalScreen[None]):
    """Covers the app while the terminal is too small; only quitting works meanwhile."""

    DEFAULT_CSS = """
    TooSmallScreen { background: $background; align: center middle; }
    TooSmallScreen #too-small { width: auto; height: auto; text-align: center; color: $warning; }
    """
    BINDINGS = [
        Binding("q", "quit_app", "Quit", id="too_small.quit"),
        Binding("escape", "ignore", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(too_small_message(self.app.size), id="too-small", markup=False)

    def show_size(self, size: Size) -> None:
        self.query_one("#too-small", Static).update(too_small_message(size))

    def action_quit_app(self) -> None:
        self.app.exit()

    def action_ignore(self) -> None:
        """Escape must not close the message while the terminal is still too small."""


def check_terminal_size(app: App[Any], size: Size | None = None) -> None:
    """Show, update or remove the too-small message for the terminal's ``size`` (call on mount
    and on every resize)."""
    size = size or app.size
    showing = isinstance(app.screen, TooSmallScreen)
    if is_too_small(size):
        if showing:
            app.screen.show_size(size)  # type: ignore[attr-defined]
        else:
            app.push_screen(TooSmallScreen())
    elif showing:
        app.pop_screen()
