"""Gemini CLI chat sessions (``~/.gemini/tmp/<project-hash>/chats/*.json``, and JSONL variants)."""

from __future__ import annotations

import json
from typing import Any

from costtui.agents import GEMINI_CLI
from costtui.agents.records import FileContext, Malformed, Parsed, count, digest, make_event, parse_time


def _message(msg: dict[str, Any], session: str, project: str | None) -> Parsed | None:
    if msg.get("type") != "gemini" or not isinstance(msg.get("tokens"), dict):
        return None
    tokens = msg["tokens"]
    model = msg.get("model")
    if not isinstance(model, str) or not model:
        return None
    ts = parse_time(msg.get("timestamp"))
    input_tokens = count(tokens, "input", "prompt", "input_tokens", "prompt_tokens")
    output = count(tokens, "output", "candidates", "output_tokens", "candidates_tokens")
    cached = count(tokens, "cached", "cached_tokens")
    thoughts = count(tokens, "thoughts", "reasoning", "thoughts_tokens", "reasoning_tokens")
    tool = count(tokens, "tool", "tool_tokens")
    total = count(tokens, "total", "total_tokens")
    # Cached tokens are a subset of input when the total leaves them out (ccusage's reading).
    uncached = max(0, input_tokens - cached) if total == input_tokens + output + thoughts + tool else input_tokens
    msg_id = msg.get("id")
    key = f"gm:{digest(session, msg_id)}" if isinstance(msg_id, str) and msg_id else None
    event_id = key or f"gm:{digest(session, msg.get('timestamp'), input_tokens, output, cached, thoughts, tool)}"
    event = make_event(
        event_id=event_id,
        ts=ts,
        provider="gemini",
        model=model,
        source=GEMINI_CLI,
        project=project,
        session=session,
        input_tokens=uncached + tool,
        cache_read_tokens=cached,
        output_tokens=output + thoughts,
        reasoning_tokens=thoughts,
    )
    return Parsed(event=event, key=key, total=uncached + tool + cached + output + thoughts, last_wins=True)


def _project(ctx: FileContext, doc: dict[str, Any]) -> str | None:
    value = doc.get("projectHash")
    if isinstance(value, str) and value:
        return value
    # <project-hash>/chats/<file>: the hash folder stands for the project (Gemini keeps no path).
    parts = ctx.path.split("/")
    return parts[-3] if len(parts) >= 3 else None


def parse_gemini_document(data: bytes, ctx: FileContext) -> list[Parsed]:
    """A whole session file (these are rewritten in place, so they are read whole)."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed(f"bad JSON: {exc}") from None
    if not isinstance(doc, dict):
        return []
    messages = doc.get("messages")
    if not isinstance(messages, list):
        return []
    session = str(doc.get("sessionId") or ctx.path)
    project = _project(ctx, doc)
    found = []
    for msg in messages:
        if isinstance(msg, dict):
            parsed = _message(msg, session, project)
            if parsed is not None:
                found.append(parsed)
    return found


def parse_gemini_line(line: bytes, ctx: FileContext, offset: int) -> Parsed | None:
    if b'"gemini"' not in line:
        return None
    try:
        obj = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed(f"bad JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise Malformed("not a JSON object")
    if isinstance(obj.get("sessionId"), str):
        ctx.state["session"] = obj["sessionId"]
    session = str(ctx.state.get("session") or ctx.path)
    return _message(obj, session, _project(ctx, obj))
