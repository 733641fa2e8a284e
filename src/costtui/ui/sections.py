"""The base of every block on the Settings screen. The screen (``screens/settings.py``) lists the
sections in order; a section module imports only this base, never the screen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import RenderableType
from textual.widgets import Static

if TYPE_CHECKING:
    from costtui.store import Store
    from costtui.ui.app import CostApp


class SettingsSection(Static):
    """A titled block on the Settings screen.

    ``load`` runs in a worker thread (it may query the store); ``render_data`` turns its result
    into something to show, on the UI thread.
    """

    TITLE: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__("Loading…", classes="settings-section")
        self.border_title = self.TITLE

    @classmethod
    def load(cls, app: CostApp, store: Store) -> Any:
        return None

    def render_data(self, data: Any) -> RenderableType:
        raise NotImplementedError

    def show(self, data: Any) -> None:
        self.update(self.render_data(data))
