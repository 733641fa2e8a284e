"""Workflows the CLI, the TUI and ``costtui serve`` share (no Textual, no click, no printing)."""
