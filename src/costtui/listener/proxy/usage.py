"""Usage, model and quality flags out of what an upstream answered, whole or streamed.

One :class:`Outcome` per call, filled from a JSON body (:func:`from_body`) or event by event from
a stream (:class:`StreamReader`). Token counts follow costtui's convention (input = uncached) via
the helpers in :mod:`costtui.models`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from costtui.listener.proxy.upstreams import Style
from costtui.models import anthropic_usage, openai_usage

TRUNCATED = "truncated"
EMPTY = "empty"
REFUSAL = "refusal"

_GEMINI_REFUSALS = frozenset({"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"})


@dataclass
class Outcome:
    model: str | None = None
    tokens: dict[str, int] | None = None
    """Normalised token fields (None: the answer carried no usage)."""
    flags: list[str] = field(default_factory=list)
    error: str | None = None
    output_seen: bool = False
    """Some text, tool call or embedding came back."""

    def flag(self, name: str) -> None:
        if name not in self.flags:
            self.flags.append(name)

    def finish(self, operation: str) -> None:
        """Flags that need the whole answer: an answer with no output at all is ``empty``."""
        if operation != "embeddings" and self.error is None and not self.output_seen and REFUSAL not in self.flags:
            self.flag(EMPTY)


def gemini_usage(meta: dict[str, Any]) -> dict[str, int]:
    """``usageMetadata``: the prompt count includes cached content; thoughts are billed as output."""

    def n(key: str) -> int:
        value = meta.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    prompt = n("promptTokenCount") + n("toolUsePromptTokenCount")
    cached = min(n("cachedContentTokenCount"), prompt)
    thoughts = n("thoughtsTokenCount")
    return {
        "input_tokens": prompt - cached,
        "cache_read_tokens": cached,
        "cache_write_tokens": 0,
        "cache_write_1h_tokens": 0,
        "output_tokens": n("candidatesTokenCount") + thoughts,
        "reasoning_tokens": thoughts,
    }


def _error_text(body: Any) -> str | None:
    """The message of a provider's error body (OpenAI, Anthropic and Google shapes)."""
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            msg = err.get("message")
            kind = err.get("type") or err.get("status") or err.get("code")
            if isinstance(msg, str):
                return f"{kind}: {msg}" if isinstance(kind, str) and kind else msg
        if isinstance(err, str):
            return err
    return None


def error_from_body(raw: bytes, status: int) -> str:
    try:
        text = _error_text(json.loads(raw))
    except (ValueError, UnicodeDecodeError):
        text = None
    return f"upstream {status}" + (f": {text}" if text else "")


# --------------------------------------------------------------------------- whole answers


def _openai_chat(body: dict[str, Any], out: Outcome) -> None:
    for choice in body.get("choices") or ():
        if not isinstance(choice, dict):
            continue
        _openai_finish(choice.get("finish_reason"), out)
        message = choice.get("message") or choice.get("delta") or {}
        if isinstance(message, dict):
            if message.get("refusal"):
                out.flag(REFUSAL)
            if message.get("content") or message.get("tool_calls") or message.get("function_call"):
                out.output_seen = True


def _openai_finish(reason: Any, out: Outcome) -> None:
    if reason == "length":
        out.flag(TRUNCATED)
    elif reason == "content_filter":
        out.flag(REFUSAL)


def _responses(resp: dict[str, Any], out: Outcome) -> None:
    out.model = resp.get("model") or out.model
    if isinstance(resp.get("usage"), dict):
        out.tokens = openai_usage(resp["usage"])
    details = resp.get("incomplete_details")
    if isinstance(details, dict) and details.get("reason") == "max_output_tokens":
        out.flag(TRUNCATED)
    if resp.get("status") == "failed":
        out.error = "response failed" + (f": {t}" if (t := _error_text(resp)) else "")
    for item in resp.get("output") or ():
        if not isinstance(item, dict):
            continue
        if item.get("type") != "message":
            out.output_seen = True  # a function call, a reasoning item with a tool call...
            continue
        for part in item.get("content") or ():
            if isinstance(part, dict):
                if part.get("type") == "refusal":
                    out.flag(REFUSAL)
                elif part.get("text"):
                    out.output_seen = True


def _anthropic_stop(reason: Any, out: Outcome) -> None:
    if reason == "max_tokens":
        out.flag(TRUNCATED)
    elif reason == "refusal":
        out.flag(REFUSAL)


def _gemini_chunk(body: dict[str, Any], out: Outcome) -> None:
    out.model = body.get("modelVersion") or out.model
    if isinstance(body.get("usageMetadata"), dict):
        out.tokens = gemini_usage(body["usageMetadata"])
    feedback = body.get("promptFeedback")
    if isinstance(feedback, dict) and feedback.get("blockReason"):
        out.flag(REFUSAL)
    for cand in body.get("candidates") or ():
        if not isinstance(cand, dict):
            continue
        reason = cand.get("finishReason")
        if reason == "MAX_TOKENS":
            out.flag(TRUNCATED)
        elif reason in _GEMINI_REFUSALS:
            out.flag(REFUSAL)
        content = cand.get("content")
        if isinstance(content, dict) and any(
            isinstance(p, dict) and (p.get("text") or p.get("functionCall")) for p in content.get("parts") or ()
        ):
            out.output_seen = True


def from_body(style: Style, operation: str, raw: bytes) -> Outcome:
    """What a successful non-streamed answer says (usage absent → ``tokens`` None)."""
    out = Outcome()
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        out.error = "the upstream's answer is not JSON"
        return out
    if not isinstance(body, dict):
        if style == "gemini" and isinstance(body, list):  # a streamed call answered as a JSON array
            for chunk in body:
                if isinstance(chunk, dict):
                    _gemini_chunk(chunk, out)
            return out
        out.error = "the upstream's answer is not a JSON object"
        return out
    try:
        if style == "gemini":
            _gemini_chunk(body, out)
        elif style == "anthropic":
            out.model = body.get("model")
            if isinstance(body.get("usage"), dict):
                out.tokens = anthropic_usage(body["usage"])
            _anthropic_stop(body.get("stop_reason"), out)
            out.output_seen = bool(body.get("content"))
        elif operation == "responses":
            _responses(body, out)
        else:
            out.model = body.get("model")
            if isinstance(body.get("usage"), dict):
                out.tokens = openai_usage(body["usage"])
            if operation == "embeddings":
                out.output_seen = bool(body.get("data"))
            else:
                _openai_chat(body, out)
    except ValueError as exc:  # a usage field of the wrong type
        out.error = f"unreadable usage in the upstream's answer: {exc}"
    return out


# --------------------------------------------------------------------------- streams


class StreamReader:
    """Reads a relayed SSE stream event by event (``feed`` raw bytes as they pass).

    With ``strip_usage`` (an OpenAI chat stream whose client did not ask for usage, asked for it
    upstream) :meth:`feed` returns what the client must receive instead: the stream without the
    extra usage-only chunk and without the ``"usage":null`` that asking added to every chunk.
    """

    def __init__(self, style: Style, operation: str, *, strip_usage: bool = False) -> None:
        self.style = style
        self.operation = operation
        self.strip_usage = strip_usage
        self.out = Outcome()
        self._buf = b""
        self._anthropic: dict[str, Any] = {}

    def feed(self, chunk: bytes) -> bytes:
        data = self._buf + chunk if self._buf else chunk
        if b"\r\n" in data:
            data = data.replace(b"\r\n", b"\n")
        end = data.rfind(b"\n\n")
        if end < 0:
            self._buf = data
            return b""
        complete, self._buf = data[: end + 2], data[end + 2 :]
        if not self.strip_usage:
            for block in complete.split(b"\n\n"):
                if block:
                    self._event(block)
            return complete
        kept = []
        for block in complete.split(b"\n\n"):
            if not block:
                continue
            if self._event(block):
                kept.append(block.replace(b',"usage":null', b"") + b"\n\n")
        return b"".join(kept)

    def close(self) -> bytes:
        """The end of the stream: what is left in the buffer (an unterminated last event)."""
        rest, self._buf = self._buf, b""
        if rest.strip():
            keep = self._event(rest)
            self.out.finish(self.operation)
            return rest if keep or not self.strip_usage else b""
        self.out.finish(self.operation)
        return rest

    def _event(self, block: bytes) -> bool:
        """Read one SSE event; False when the client must not receive it (the usage-only chunk)."""
        name = b""
        data = b""
        for line in block.split(b"\n"):
            if line.startswith(b"data:"):
                part = line[5:].lstrip(b" ")
                data = data + b"\n" + part if data else part
            elif line.startswith(b"event:"):
                name = line[6:].strip()
        if not data or data == b"[DONE]":
            return True
        try:
            obj = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return True
        if not isinstance(obj, dict):
            return True
        try:
            return self._read(name.decode(errors="replace"), obj)
        except ValueError as exc:
            self.out.error = f"unreadable usage in the upstream's stream: {exc}"
            return True

    def _read(self, name: str, obj: dict[str, Any]) -> bool:
        out = self.out
        if self.style == "gemini":
            _gemini_chunk(obj, out)
            return True
        if self.style == "anthropic":
            return self._anthropic_event(obj)
        if self.operation == "responses":
            kind = obj.get("type") or name
            if kind in ("response.completed", "response.incomplete", "response.failed"):
                if isinstance(obj.get("response"), dict):
                    _responses(obj["response"], out)
            elif kind == "response.output_text.delta" and obj.get("delta"):
                out.output_seen = True
            elif kind == "response.refusal.delta":
                out.flag(REFUSAL)
            elif kind == "error":
                out.error = "stream error" + (f": {obj.get('message')}" if obj.get("message") else "")
            return True
        # Chat completions (and any OpenAI-compatible stream).
        if "error" in obj and (text := _error_text(obj)):
            out.error = f"stream error: {text}"
        out.model = obj.get("model") or out.model
        usage = obj.get("usage")
        if isinstance(usage, dict):
            out.tokens = openai_usage(usage)
        choices = obj.get("choices")
        if choices:
            _openai_chat(obj, out)
        elif self.strip_usage and isinstance(usage, dict):
            return False
        return True

    def _anthropic_event(self, obj: dict[str, Any]) -> bool:
        out = self.out
        kind = obj.get("type")
        acc = self._anthropic
        if kind == "message_start":
            message = obj.get("message") or {}
            out.model = message.get("model") or out.model
            acc.clear()
            acc.update(message.get("usage") or {})
            out.tokens = anthropic_usage(acc)
        elif kind == "message_delta":
            usage = obj.get("usage") or {}
            # The SDK's rule: counts are cumulative; take output always, the others when not null.
            for key, value in usage.items():
                if value is not None or key == "output_tokens":
                    acc[key] = value
            out.tokens = anthropic_usage(acc)
            delta = obj.get("delta") or {}
            _anthropic_stop(delta.get("stop_reason"), out)
        elif kind == "content_block_start":
            block = obj.get("content_block") or {}
            if block.get("type") in ("tool_use", "server_tool_use"):
                out.output_seen = True
        elif kind == "content_block_delta":
            delta = obj.get("delta") or {}
            if delta.get("text") or delta.get("partial_json") or delta.get("thinking"):
                out.output_seen = True
        elif kind == "error":
            out.error = "stream error" + (f": {t}" if (t := _error_text(obj)) else "")
        return True
