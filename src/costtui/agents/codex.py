"""Codex CLI ``sessions/**/rollout-*.jsonl`` lines: ``turn_context`` sets the model,
``event_msg``/``token_count`` carries usage and the plan's rate limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from costtui.agents import CODEX
from costtui.agents.records import FileContext, Malformed, Parsed, count, digest, make_event, parse_time
from costtui.models import QuotaSnapshot
from costtui.providers.plans import window_by_length

FALLBACK_MODEL = "gpt-5"
"""What ccusage assumes before a file names its model."""
QUOTA_ACCOUNT = "codex"
_KINDS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens", "total_tokens")


def _usage(data: Any) -> dict[str, int] | None:
    if not isinstance(data, dict):
        return None
    return {k: count(data, k) for k in _KINDS}


def parse_codex(line: bytes, ctx: FileContext, offset: int) -> Parsed | None:
    stripped = line.strip()
    if not stripped:
        return None
    if b'"turn_context"' not in line and b'"token_count"' not in line and b'"session_meta"' not in line:
        if not (stripped.startswith(b"{") and stripped.endswith(b"}")):
            raise Malformed("not a JSON object")
        return None
    try:
        obj = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed(f"bad JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise Malformed("not a JSON object")
    kind = obj.get("type")
    payload = obj.get("payload")
    if not isinstance(payload, dict):
        return None
    state = ctx.state
    if kind == "session_meta":
        if isinstance(payload.get("id"), str):
            state["session"] = payload["id"]
        if isinstance(payload.get("cwd"), str):
            state["cwd"] = payload["cwd"]
        return None
    if kind == "turn_context":
        if isinstance(payload.get("model"), str) and payload["model"]:
            state["model"] = payload["model"]
        if isinstance(payload.get("cwd"), str):
            state["cwd"] = payload["cwd"]
        return None
    if kind != "event_msg" or payload.get("type") != "token_count":
        return None
    ts = parse_time(obj.get("timestamp"))
    limits = payload.get("rate_limits")
    if isinstance(limits, dict):
        ctx.quotas.extend(rate_limit_snapshots(limits, ts))
    info = payload.get("info")
    if not isinstance(info, dict):
        return None
    total = _usage(info.get("total_token_usage"))
    last = _usage(info.get("last_token_usage"))
    previous = state.get("total")
    if total is not None:
        state["total"] = total
    if last is None:
        if total is None:
            return None
        # Only the session's running total: this turn is what it grew by since the last line.
        base = previous or dict.fromkeys(_KINDS, 0)
        last = {k: max(0, total[k] - base.get(k, 0)) for k in _KINDS}
    if not (
        last["input_tokens"] or last["cached_input_tokens"] or last["output_tokens"] or last["reasoning_output_tokens"]
    ):
        return None
    model = state.get("model") or FALLBACK_MODEL
    uncached_in = last["input_tokens"]
    cached = min(last["cached_input_tokens"], uncached_in)  # cached is part of input_tokens
    output = last["output_tokens"]
    reasoning = min(last["reasoning_output_tokens"], output)
    # Forked sessions repeat their parent's events: the same (time, model, counts) is one event.
    event_id = "cx:" + digest(
        obj.get("timestamp"),
        model,
        last["input_tokens"],
        last["cached_input_tokens"],
        output,
        last["reasoning_output_tokens"],
        last["total_tokens"],
    )
    session = state.get("session") or ctx.path.rsplit("/", 1)[-1].removesuffix(".jsonl")
    event = make_event(
        event_id=event_id,
        ts=ts,
        provider="openai",
        model=model,
        source=CODEX,
        project=state.get("cwd"),
        session=session,
        tags=[] if state.get("model") else ["fallback-model"],
        input_tokens=uncached_in - cached,
        cache_read_tokens=cached,
        output_tokens=output,
        reasoning_tokens=reasoning,
    )
    return Parsed(event=event)


def rate_limit_snapshots(limits: dict[str, Any], taken_at: datetime) -> list[QuotaSnapshot]:
    """The plan's windows (primary: usually 5 hours, secondary: usually a week) as quota snapshots."""
    found = []
    plan = limits.get("plan_type") if isinstance(limits.get("plan_type"), str) else None
    for scope in ("primary", "secondary"):
        window = limits.get(scope)
        if not isinstance(window, dict):
            continue
        used = window.get("used_percent")
        if isinstance(used, bool) or not isinstance(used, (int, float)):
            continue
        minutes = window.get("window_minutes")
        resets = window.get("resets_at")
        resets_at = None
        if isinstance(resets, (int, float)) and not isinstance(resets, bool) and 0 < resets < 2**33:
            resets_at = datetime.fromtimestamp(resets, UTC)
        elif isinstance(window.get("resets_in_seconds"), (int, float)):
            resets_at = datetime.fromtimestamp(taken_at.timestamp() + float(window["resets_in_seconds"]), UTC)
        # Named by length like the Codex usage endpoint's windows, so both land on one card.
        seconds = minutes * 60 if isinstance(minutes, int) and not isinstance(minutes, bool) else None
        name, label = window_by_length(seconds)
        found.append(
            QuotaSnapshot(
                provider="openai",
                account=QUOTA_ACCOUNT,
                kind=f"plan.{name}",
                used=Decimal(str(used)),
                limit=Decimal(100),
                remaining=max(Decimal(0), Decimal(100) - Decimal(str(used))),
                unit="percent",
                window=label,
                resets_at=resets_at,
                taken_at=taken_at,
                source="log",
                detail=f"Codex {plan} plan" if plan else "Codex plan",
            )
        )
    return found
