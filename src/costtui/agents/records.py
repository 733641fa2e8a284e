"""What a parser hands the scanner: an event plus what duplicate detection needs to know."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from costtui.models import MAX_NAME, MAX_TAGS, MAX_TOKENS, UNSAFE_CHARS, QuotaSnapshot, UsageEvent


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
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0 <= value <= MAX_TOKENS
            or value != int(value)
        ):
            raise Malformed(f"{name} must be a whole number from 0 to 10^12, got {value!r}")
        return int(value)
    return 0


_unsafe = UNSAFE_CHARS.search


_seen_names: set[str] = set()


def _plain_name(value: object) -> bool:
    # The same few names (model, project, session, tags) come back on every line of a file:
    # each distinct one is checked once.
    if value in _seen_names:
        return True
    ok = isinstance(value, str) and 0 < len(value) <= MAX_NAME and value == value.strip() and _unsafe(value) is None
    if ok:
        if len(_seen_names) > 50_000:
            _seen_names.clear()
        _seen_names.add(value)  # type: ignore[arg-type]
    return ok


_NAME_FIELDS = ("event_id", "provider", "model", "source", "project", "session")
_new = object.__new__
_set = object.__setattr__
# Every field's default, given explicitly: model_construct then skips resolving each default.
_DEFAULTS = {
    name: info.get_default(call_default_factory=True)
    for name, info in UsageEvent.model_fields.items()
    if not info.is_required()
}


def make_event(**fields: Any) -> UsageEvent:
    """A UsageEvent from values a parser already checked (counts are whole, in range, and
    consistent; the time is aware UTC): names are checked here with the model's own rules, and
    the model is built without running its validators again, which cost more than parsing the
    line. Anything unusual goes through full validation, which raises the model's own errors."""
    ok = True
    for name in _NAME_FIELDS:
        value = fields.get(name)
        if value is not None and not _plain_name(value):
            ok = False
            break
    tags = fields.get("tags") or []
    if ok and len(tags) <= MAX_TAGS and all(_plain_name(t) for t in tags):
        # What model_construct does, without its per-field walk (the store reads __dict__ too).
        event = _new(UsageEvent)
        _set(event, "__dict__", {**_DEFAULTS, "tags": [], **fields})
        _set(event, "__pydantic_fields_set__", set(fields))
        _set(event, "__pydantic_extra__", None)
        _set(event, "__pydantic_private__", None)
        return event
    try:
        return UsageEvent(**fields)
    except ValueError as exc:  # pydantic's ValidationError
        raise Malformed(str(exc).splitlines()[0]) from None
