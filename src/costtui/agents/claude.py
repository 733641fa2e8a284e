"""Claude Code ``projects/**/*.jsonl`` lines (see docs/agents.md for the rules, after ccusage)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from costtui.agents import CLAUDE_CODE
from costtui.agents.records import FileContext, Malformed, Parsed, Skipped, digest, make_event, parse_time
from costtui.models import MAX_TOKENS

SYNTHETIC = "<synthetic>"
_VERSION = re.compile(r"^\d+\.\d+\.\d+")
_T = TypeVar("_T")


def _given(value: _T | None | UnsetType) -> _T | None:
    return None if isinstance(value, UnsetType) else value


Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_TOKENS)]


# Typed views of the few fields that matter: msgspec decodes a line straight into them, skipping
# the message content (most of a line's bytes) without building Python objects for it. UNSET is
# "absent", None is JSON null: ccusage treats the two differently.
class _Creation(msgspec.Struct):
    ephemeral_5m_input_tokens: Count | None = None
    ephemeral_1h_input_tokens: Count | None = None


class _Usage(msgspec.Struct):
    input_tokens: Count | None = None
    output_tokens: Count | None = None
    cache_creation_input_tokens: Count | None | UnsetType = UNSET
    cache_read_input_tokens: Count | None | UnsetType = UNSET
    cache_creation: _Creation | None = None
    speed: str | None | UnsetType = UNSET


class _Message(msgspec.Struct):
    id: str | None | UnsetType = UNSET
    model: str | None | UnsetType = UNSET
    usage: _Usage | None = None


class _Line(msgspec.Struct):
    timestamp: str | None = None
    sessionId: str | None | UnsetType = UNSET
    requestId: str | None | UnsetType = UNSET
    cwd: str | None | UnsetType = UNSET
    version: str | None | UnsetType = UNSET
    costUSD: float | None | UnsetType = UNSET
    isApiErrorMessage: bool | None | UnsetType = UNSET
    isSidechain: bool | None = None
    gitBranch: str | None = None
    message: _Message | None = None


_decode = msgspec.json.Decoder(_Line).decode


def parse_claude(line: bytes, ctx: FileContext, offset: int) -> Parsed | None:
    """One line → a usage record, None for lines without usage; Malformed/Skipped otherwise."""
    if b'"usage"' not in line:
        stripped = line.strip()
        if stripped and not (stripped.startswith(b"{") and stripped.endswith(b"}")):
            raise Malformed("not a JSON object")
        return None
    try:
        obj = _decode(line)
    except msgspec.DecodeError as exc:  # bad JSON, or a field of the wrong type
        raise Malformed(str(exc)) from None
    message = obj.message
    usage = message.usage if message is not None else None
    if message is None or usage is None:
        return None
    # A JSON null in any of these makes ccusage drop the line (a half-written or foreign record).
    if None in (
        obj.cwd,
        obj.costUSD,
        obj.version,
        obj.sessionId,
        obj.requestId,
        obj.isApiErrorMessage,
        message.id,
        message.model,
        usage.speed,
        usage.cache_read_input_tokens,
        usage.cache_creation_input_tokens,
    ):
        raise Skipped("a null field")
    ts = parse_time(obj.timestamp)
    unset = UNSET
    version = obj.version
    if isinstance(version, str) and not _VERSION.match(version):
        raise Skipped("version is not X.Y.Z")
    # (_given, inlined: this runs for every usage line)
    session = None if obj.sessionId is unset else obj.sessionId
    request_id = None if obj.requestId is unset else obj.requestId
    message_id = None if message.id is unset else message.id
    model = None if message.model is unset else message.model
    if "" in (session, request_id, message_id, model):
        raise Skipped("an empty id or model")
    if model == SYNTHETIC:
        raise Skipped("<synthetic> model (written locally, not an API call)")
    if model is None:
        raise Skipped("no model")

    creation = usage.cache_creation
    if creation is not None:
        write_5m = creation.ephemeral_5m_input_tokens or 0
        write_1h = creation.ephemeral_1h_input_tokens or 0
        cache_write = write_5m + write_1h
    else:
        cache_write = _given(usage.cache_creation_input_tokens) or 0
        write_1h = 0
    input_tokens = usage.input_tokens or 0
    output = usage.output_tokens or 0
    cache_read = _given(usage.cache_read_input_tokens) or 0
    speed = _given(usage.speed)
    cost = _given(obj.costUSD)
    if cost is not None and not (0 <= cost < 1_000_000):
        raise Malformed("costUSD out of range")
    cwd = _given(obj.cwd)
    sidechain = obj.isSidechain is True
    tags = []
    if speed and speed != "standard":
        tags.append(f"speed={speed}")
    if sidechain:
        tags.append("sidechain")
    branch = obj.gitBranch
    if branch:
        tags.append(f"branch={branch[:150]}")

    if message_id is not None:
        key = f"cc:{digest(message_id, request_id or '')}"
        event_id = key
    else:
        key = None
        event_id = f"cc:{digest(ctx.path, offset, line)}"
    event = make_event(
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
