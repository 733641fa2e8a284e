"""Workflows the CLI, the TUI and ``costtui serve`` share."""
