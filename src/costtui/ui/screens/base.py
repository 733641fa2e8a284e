"""What every top-level data screen shares: reload when shown, stale when hidden."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.app import SystemCommand
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from costtui.ui.errors import describe_error

if TYPE_CHECKING:
    from costtui.ui.app import CostApp


class DataScreen(Screen[None]):
    """A mode's base screen that shows data from the store.

    Subclasses implement :meth:`load` (start a thread worker in group ``"reload"``). The app calls
    :meth:`data_changed` when the store changes; only the visible screen reloads, the others are
    marked stale and reload when they are shown again.
    """

    stale = True
    """True until loaded, and again when data changed while the screen was hidden."""

    @property
    def cost_app(self) -> CostApp:
        return self.app  # type: ignore[return-value]

    def _on_mount(self, event: events.Mount) -> None:
        self.cost_app.register_data_screen(self)

    def _on_unmount(self) -> None:
        self.cost_app.unregister_data_screen(self)

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if self.stale:
            self.reload()

    def data_changed(self) -> None:
        if self.is_current:
            self.reload()
        else:
            self.stale = True

    def reload(self) -> None:
        self.stale = False
        self.load()

    def load(self) -> None:
        raise NotImplementedError

    def commands(self) -> Iterable[SystemCommand]:
        """Extra command-palette entries while this screen is shown."""
        return ()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker.StateChanged does not bubble: hand it to the app's single handler.
        self.cost_app.report_worker_state(event)
        if event.state == WorkerState.ERROR and event.worker.group == "reload":
            self.stale = True  # shown again later, it tries again
            self.show_load_error(
                f"error: could not load this screen: {describe_error(event.worker.error)}. Press r to retry."
            )

    def show_load_error(self, message: str) -> None:
        """Replace "Loading…" by what went wrong (the notification may be gone by now)."""
        for label in self.query(".loading"):
            label.update(Text(message))  # type: ignore[attr-defined]

    def worker_result_is_current(self) -> bool:
        """Call in a worker thread before posting a result: a cancelled worker's result is stale."""
        from textual.worker import get_current_worker

        return not get_current_worker().is_cancelled

    def post_if_current(self, message: Any) -> None:
        if self.worker_result_is_current():
            self.post_message(message)
