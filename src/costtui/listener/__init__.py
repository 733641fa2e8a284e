"""The embedded HTTP listener: client push (/ingest), OTLP (/v1/traces), status, health, metrics.

Runs without Textual: :class:`~costtui.listener.server.Listener` is started in whatever asyncio
loop owns it (the TUI's, or ``costtui serve``'s).
"""

from costtui.listener.server import (
    InsecureBind,
    Listener,
    ListenerError,
    PortHeldByCosttui,
    PortInUse,
)

__all__ = ["InsecureBind", "Listener", "ListenerError", "PortHeldByCosttui", "PortInUse"]
