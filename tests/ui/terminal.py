"""What a real terminal would show: the screen updates the app writes, applied in order.

Textual's snapshots and ``export_screenshot`` render the DOM afresh, so they cannot see a region
the app forgot to repaint (a toast that is gone from the DOM but still on the user's screen).
This records the very updates a terminal would receive, even headless, and keeps the cells they
leave behind.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.strip import Strip


class Terminal:
    """A text-only terminal fed by ``app._display`` (the one place Textual writes a frame)."""

    def __init__(self, app: Any, width: int, height: int) -> None:
        self.cells = [[" "] * width for _ in range(height)]
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            self.apply(renderable)
            original(screen, renderable)

        app._display = display

    def _write(self, x: int, y: int, strip: Strip, x1: int = 0, x2: int | None = None) -> None:
        if not 0 <= y < len(self.cells):
            return
        row = self.cells[y]
        end = len(row) if x2 is None else min(x2, len(row))
        for char in strip.text:
            if x1 <= x < end:
                row[x] = char
            x += max(1, cell_len(char))

    def apply(self, update: Any) -> None:
        if isinstance(update, LayoutUpdate):
            for y, strips in enumerate(update.strips, update.region.y):
                x = update.region.x
                for strip in strips:
                    self._write(x, y, strip)
                    x += strip.cell_length
        elif isinstance(update, ChopsUpdate):
            for y, x1, x2 in update.spans:
                for x, strip in update.chops[y].items():
                    if strip is not None:
                        self._write(x, y, strip, x1, x2)

    @property
    def text(self) -> str:
        return "\n".join("".join(row).rstrip() for row in self.cells)
