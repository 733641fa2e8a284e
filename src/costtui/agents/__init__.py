"""Coding-agent log import (Claude Code, Codex, Gemini CLI): core layer, no Textual.

Lines become :class:`~costtui.models.UsageEvent` records stored through ``Store.record``; what
was read of each file is remembered so that a re-scan reads only new bytes.
"""

from __future__ import annotations

CLAUDE_CODE = "claude-code"
CODEX = "codex"
GEMINI_CLI = "gemini-cli"
AGENT_SOURCES: tuple[str, ...] = (CLAUDE_CODE, CODEX, GEMINI_CLI)
"""The ``source`` of imported agent events, also the names ``costtui import`` takes."""
SOURCE_ALIASES = {
    "claude": CLAUDE_CODE,
    "claude-code": CLAUDE_CODE,
    "codex": CODEX,
    "gemini": GEMINI_CLI,
    "gemini-cli": GEMINI_CLI,
}
