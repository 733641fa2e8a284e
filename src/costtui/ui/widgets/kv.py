"""A two-column "name  value" grid, used wherever the UI lists the fields of one thing."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from costtui.formatting import safe


def kv_table(rows: Iterable[tuple[str, RenderableType]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in rows:
        # Plain strings are shown as they are (a path or a model name may hold "[...]"), control
        # characters made visible (rows stored before identifiers refused them).
        table.add_row(name, Text(safe(value)) if isinstance(value, str) else value)
    return table
