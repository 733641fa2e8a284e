"""Builders of coding-agent log trees for tests (Claude Code, Codex, Gemini CLI)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def claude_line(
    *,
    ts: str,
    msg: str | None = "msg_1",
    req: str | None = "req_1",
    session: str = "s1",
    model: str = "claude-sonnet-4-5-20250929",
    cwd: str | None = "/home/ana/src/app",
    input_tokens: int = 100,
    output: int = 50,
    cache_read: int = 0,
    cache_write_5m: int = 0,
    cache_write_1h: int = 0,
    split: bool = True,
    sidechain: bool = False,
    cost_usd: float | None = None,
    speed: str | None = None,
    version: str = "2.1.40",
    **extra: Any,
) -> str:
    usage: dict[str, Any] = {
        "input_tokens": input_tokens,
        "output_tokens": output,
        "cache_read_input_tokens": cache_read,
        "cache_creation_input_tokens": cache_write_5m + cache_write_1h,
    }
    if split:
        usage["cache_creation"] = {
            "ephemeral_5m_input_tokens": cache_write_5m,
            "ephemeral_1h_input_tokens": cache_write_1h,
        }
    if speed is not None:
        usage["speed"] = speed
    message: dict[str, Any] = {"type": "message", "role": "assistant", "model": model, "usage": usage}
    if msg is not None:
        message["id"] = msg
    obj: dict[str, Any] = {
        "type": "assistant",
        "isSidechain": sidechain,
        "sessionId": session,
        "version": version,
        "timestamp": ts,
        "message": message,
    }
    if cwd is not None:
        obj["cwd"] = cwd
    if req is not None:
        obj["requestId"] = req
    if cost_usd is not None:
        obj["costUSD"] = cost_usd
    obj.update(extra)
    return json.dumps(obj)


def user_line(ts: str, session: str = "s1") -> str:
    return json.dumps({"type": "user", "sessionId": session, "timestamp": ts, "message": {"role": "user"}})


def write_lines(path: Path, lines: list[str], *, newline_at_end: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + ("\n" if newline_at_end else "")
    path.write_text(text)
    return path


def append_lines(path: Path, lines: list[str]) -> None:
    with path.open("a") as f:
        f.write("".join(line + "\n" for line in lines))


def codex_token_count(
    ts: str,
    *,
    last: tuple[int, int, int, int] | None = (1000, 800, 200, 50),
    total: tuple[int, int, int, int] | None = None,
    limits: dict[str, Any] | None = None,
) -> str:
    def usage(v: tuple[int, int, int, int]) -> dict[str, int]:
        inp, cached, out, reasoning = v
        return {
            "input_tokens": inp,
            "cached_input_tokens": cached,
            "output_tokens": out,
            "reasoning_output_tokens": reasoning,
            "total_tokens": inp + out,
        }

    info: dict[str, Any] = {}
    if last is not None:
        info["last_token_usage"] = usage(last)
    if total is not None:
        info["total_token_usage"] = usage(total)
    payload: dict[str, Any] = {"type": "token_count", "info": info or None}
    if limits is not None:
        payload["rate_limits"] = limits
    return json.dumps({"timestamp": ts, "type": "event_msg", "payload": payload})


def codex_meta(ts: str, session: str = "c-1", cwd: str = "/home/ana/src/api") -> str:
    return json.dumps({"timestamp": ts, "type": "session_meta", "payload": {"id": session, "cwd": cwd}})


def codex_turn(ts: str, model: str = "gpt-5-codex") -> str:
    return json.dumps(
        {"timestamp": ts, "type": "turn_context", "payload": {"model": model, "cwd": "/home/ana/src/api"}}
    )


def gemini_session(session: str, messages: list[dict[str, Any]]) -> str:
    return json.dumps(
        {
            "sessionId": session,
            "startTime": "2026-08-05T08:00:11.000Z",
            "lastUpdated": "2026-08-05T08:21:40.000Z",
            "messages": messages,
        }
    )


def gemini_message(mid: str, ts: str, **tokens: int) -> dict[str, Any]:
    return {"id": mid, "timestamp": ts, "type": "gemini", "model": "gemini-2.5-pro", "content": "...", "tokens": tokens}
