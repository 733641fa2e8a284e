"""Subcommands kept in their own modules and registered in ``costtui.cli``."""
