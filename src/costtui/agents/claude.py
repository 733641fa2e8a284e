"""Claude Code ``projects/**/*.jsonl`` lines (see docs/agents.md for the rules, after ccusage)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from costtui.agents import CLAUDE_CODE
from costtui.agents.records import FileContext, Malformed, Parsed, Skipped, count, digest, parse_time
from costtui.models import UsageEvent

SYNTHETIC = "<synthetic>"
_VERSION = re.compile(r"^\d+\.\d+\.\d+")
# A JSON null in any of these makes ccusage drop the line (a half-written or foreign record).
_TOP_NOT_NULL = ("cwd", "costUSD", "version", "sessionId", "requestId", "isApiErrorMessage")
_MESSAGE_NOT_NULL = ("id", "model")
_USAGE_NOT_NULL = ("speed", "cache_read_input_tokens", "cache_creation_input_tokens")


def _text(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Malformed(f"{name} must be a string")
    return value


def parse_claude(line: bytes, ctx: FileContext, offset: int) -> Parsed | None:
    """One line → a usage record, None for lines without usage; Malformed/Skipped otherwise."""
    if b'"usage"' not in line:
        stripped = line.strip()
        if stripped and not (stripped.startswith(b"{") and stripped.endswith(b"}")):
            raise Malformed("not a JSON object")
        return None
    try:
        obj = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed(f"bad JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise Malformed("not a JSON object")
    message = obj.get("message")
    usage = message.get("usage") if isinstance(message, dict) else None
    if not isinstance(message, dict) or not isinstance(usage, dict):
        return None
    for name in _TOP_NOT_NULL:
        if name in obj and obj[name] is None:
            raise Skipped(f"{name} is null")
    for name in _MESSAGE_NOT_NULL:
        if name in message and message[name] is None:
            raise Skipped(f"message.{name} is null")
    for name in _USAGE_NOT_NULL:
        if name in usage and usage[name] is None:
            raise Skipped(f"usage.{name} is null")
    ts = parse_time(obj.get("timestamp"))
    version = _text(obj, "version")
    if version is not None and not _VERSION.match(version):
        raise Skipped("version is not X.Y.Z")
    session = _text(obj, "sessionId")
    request_id = _text(obj, "requestId")
    message_id = _text(message, "id")
    model = _text(message, "model")
    if "" in (session, request_id, message_id, model):
        raise Skipped("an empty id or model")
    if model == SYNTHETIC:
        raise Skipped("<synthetic> model (written locally, not an API call)")
    if model is None:
        raise Skipped("no model")

    creation = usage.get("cache_creation")
    if isinstance(creation, dict):
        write_5m = count(creation, "ephemeral_5m_input_tokens")
        write_1h = count(creation, "ephemeral_1h_input_tokens")
        cache_write = write_5m + write_1h
    else:
        cache_write = count(usage, "cache_creation_input_tokens")
        write_1h = 0
    input_tokens = count(usage, "input_tokens")
    output = count(usage, "output_tokens")
    cache_read = count(usage, "cache_read_input_tokens")
    speed = usage.get("speed")
    if speed is not None and not isinstance(speed, str):
        raise Malformed("usage.speed must be a string")
    cost = obj.get("costUSD")
    if cost is not None and (isinstance(cost, bool) or not isinstance(cost, (int, float))):
        raise Malformed("costUSD must be a number")
    cwd = _text(obj, "cwd")
    sidechain = obj.get("isSidechain") is True
    tags = []
    if speed and speed != "standard":
        tags.append(f"speed={speed}")
    if sidechain:
        tags.append("sidechain")
    branch = obj.get("gitBranch")
    if isinstance(branch, str) and branch:
        tags.append(f"branch={branch[:150]}")

    if message_id is not None:
        key = f"cc:{digest(message_id, request_id or '')}"
        event_id = key
    else:
        key = None
        event_id = f"cc:{digest(ctx.path, offset, line)}"
    try:
        event = UsageEvent(
            event_id=event_id,
            ts=ts,
            provider="anthropic",
            model=model,
            source=CLAUDE_CODE,
            project=cwd or _project_from_folder(ctx.path),
            session=session or ctx.path.rsplit("/", 1)[-1].removesuffix(".jsonl"),
            tags=tags,
            input_tokens=input_tokens,
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
            cache_write_1h_tokens=write_1h,
            output_tokens=output,
            # An old line's own cost is what Claude Code computed; it is kept (ccusage's "auto").
            cost_usd=None if cost is None else Decimal(str(cost)),
        )
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise Malformed(str(exc).splitlines()[0]) from None
    return Parsed(
        event=event,
        key=key,
        message_id=message_id,
        total=input_tokens + output + cache_write + cache_read,
        rank=1 if speed is not None else 0,
        sidechain=sidechain,
    )


def _project_from_folder(path: str) -> str | None:
    """The working directory as Claude Code encoded it in the folder name (``-home-ana-app``)."""
    folder = path.split("/", 1)[0] if "/" in path else ""
    return folder or None
