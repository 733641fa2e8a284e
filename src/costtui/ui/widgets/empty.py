"""The empty state: what would fill this screen, and the command that does it."""

from __future__ import annotations

from textual.widgets import Static

NO_USAGE = (
    "[b]No usage yet[/b]\n\n"
    "Nothing has been recorded in this database. To fill it:\n\n"
    "  • run [b]costtui demo[/b] to load realistic demo data (or start with [b]costtui --demo[/b])\n"
    "  • point an app at the listener: [b]POST /ingest[/b] (or OTLP at /v1/traces)\n"
    "  • add a provider key to pull your billed usage\n\n"
    "This screen updates by itself as soon as data arrives."
)


class EmptyState(Static):
    DEFAULT_CSS = """
    EmptyState { padding: 1 2; height: auto; width: 1fr; border: round $primary; margin: 1 2; }
    """

    def __init__(self, message: str = NO_USAGE, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
