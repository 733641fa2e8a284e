"""What a parser hands the scanner: an event plus what duplicate detection needs to know."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from costtui.models import QuotaSnapshot, UsageEvent


class Malformed(ValueError):
    """A line that cannot be read as a log record (bad JSON, a wrong type, a bad timestamp)."""


class Skipped(Exception):
    """A readable line that by the log's own rules carries no usage to count (``<synthetic>``...)."""


@dataclass
class Parsed:
    """One usage record of a log."""

    event: UsageEvent
    key: str | None = None
    """Logical identity for duplicate detection; None: never deduplicated."""
    message_id: str | None = None
    """Claude Code message id (sidechain replays share it with a different request id)."""
    total: int = 0
    """How complete the record is (more tokens = more complete)."""
    rank: int = 0
    """Tie-break between equally complete copies (Claude Code: the copy that states its speed)."""
    sidechain: bool = False
    last_wins: bool = False
    """A later copy replaces an earlier one whenever they differ (Gemini CLI sessions)."""


@dataclass
class FileContext:
    """What a parser knows about the file it reads."""

    path: str
    """Relative to its root, with ``/`` separators (stable across machines for the same tree)."""
    state: dict[str, Any] = field(default_factory=dict)
    """Carried between reads of the same file (saved in the scan state)."""
    quotas: list[QuotaSnapshot] = field(default_factory=list)


def digest(*parts: object) -> str:
    """A short stable hash of ``parts`` (event ids are built from it)."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:32]


def parse_time(value: Any) -> datetime:
    if not isinstance(value, str) or not value:
        raise Malformed("timestamp missing or not a string")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        ts = datetime.fromisoformat(text)
    except ValueError as exc:
        raise Malformed(f"timestamp {value!r} is not ISO 8601") from exc
    if ts.tzinfo is None:
        raise Malformed(f"timestamp {value!r} has no time zone")  # never guessed
    return ts.astimezone(UTC)


def count(data: Any, *names: str) -> int:
    """A token count under the first of ``names`` present; missing or null is 0."""
    if not isinstance(data, dict):
        return 0
    for name in names:
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != int(value):
            raise Malformed(f"{name} must be a non-negative whole number, got {value!r}")
        return int(value)
    return 0
