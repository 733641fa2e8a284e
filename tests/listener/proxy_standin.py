"""A local stand-in for the providers' APIs (OpenAI, Anthropic, Gemini) that the proxy tests and
``benchmarks/proxy.py`` start on a real socket.

Answers are fixed, in each provider's documented shape (usage figures from docs providers.md §7),
so recorded tokens and costs can be checked exactly. The model name chooses a misbehaviour:
``fail`` (a 500 in the provider's error shape), ``slow`` (answers after ``slow_seconds``), ``cut``
(a stream dropped after two events), ``long`` (finish reason ``length``).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

RATE_HEADERS = {
    "x-ratelimit-limit-requests": "500",
    "x-ratelimit-remaining-requests": "499",
    "x-ratelimit-reset-requests": "120ms",
    "x-ratelimit-limit-tokens": "200000",
    "x-ratelimit-remaining-tokens": "199000",
    "x-ratelimit-reset-tokens": "300ms",
}
ANTHROPIC_RATE_HEADERS = {
    "anthropic-ratelimit-requests-limit": "50",
    "anthropic-ratelimit-requests-remaining": "49",
    "anthropic-ratelimit-requests-reset": "2030-01-01T00:00:00Z",
}

CHAT_USAGE = {
    "prompt_tokens": 1530,
    "completion_tokens": 212,
    "total_tokens": 1742,
    "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 128, "audio_tokens": 0},
}
RESPONSES_USAGE = {
    "input_tokens": 3820,
    "input_tokens_details": {"cached_tokens": 2944, "cache_write_tokens": 0},
    "output_tokens": 907,
    "output_tokens_details": {"reasoning_tokens": 640},
    "total_tokens": 4727,
}
ANTHROPIC_START_USAGE = {
    "input_tokens": 18,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 4096,
    "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
    "output_tokens": 1,
    "service_tier": "standard",
}
ANTHROPIC_USAGE = {**ANTHROPIC_START_USAGE, "output_tokens": 37}
GEMINI_USAGE = {
    "promptTokenCount": 120,
    "cachedContentTokenCount": 20,
    "candidatesTokenCount": 30,
    "thoughtsTokenCount": 10,
    "totalTokenCount": 160,
}


GEMINI_429 = {
    "error": {
        "code": 429,
        "message": "You exceeded your current quota.",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {
                        "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                        "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                        "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
                        "quotaValue": "20",
                    }
                ],
            },
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "29s"},
        ],
    }
}
"""A Gemini API 429 as its free tier sends it: the quota that was hit, and when to retry."""


def _sse(obj: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    data = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"))
    return f"{head}data: {data}\n\n".encode()


@dataclass
class StandIn:
    slow_seconds: float = 5.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    """What reached the upstream: path, headers, JSON body."""
    keep_requests: bool = True
    runner: web.AppRunner | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.add_routes(
            [
                web.post("/v1/chat/completions", self.chat),
                web.post("/v1/embeddings", self.embeddings),
                web.post("/v1/responses", self.responses),
                web.post("/v1/messages", self.messages),
                web.get("/v1/models", self.models),
                web.post("/v1beta/models/{call}", self.gemini),
            ]
        )
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        self.port = int(self.runner.addresses[0][1])

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _body(self, request: web.Request) -> dict[str, Any]:
        body = await request.json()
        if self.keep_requests:
            self.requests.append({"path": request.path_qs, "headers": dict(request.headers), "body": body})
        return body

    # ------------------------------------------------------------------ OpenAI

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        model = body.get("model", "")
        if model == "fail":
            return web.json_response(
                {"error": {"message": "The server had an error", "type": "server_error", "code": None}},
                status=500,
                headers={"x-request-id": "req_fail"},
            )
        if model == "slow":
            await asyncio.sleep(self.slow_seconds)
        finish = "length" if model == "long" else "stop"
        if not body.get("stream"):
            return web.json_response(
                {
                    "id": "chatcmpl-C8aa1",
                    "object": "chat.completion",
                    "created": 1785750100,
                    "model": "gpt-5-mini-2025-08-07",
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": finish}
                    ],
                    "usage": CHAT_USAGE,
                },
                headers=RATE_HEADERS,
            )
        include = (body.get("stream_options") or {}).get("include_usage") is True
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", **RATE_HEADERS})
        await resp.prepare(request)
        base = {"id": "chatcmpl-C8aa1", "object": "chat.completion.chunk", "created": 1785750100}
        base["model"] = "gpt-5-mini-2025-08-07"
        extra = {"usage": None} if include else {}
        chunks = [
            {**base, "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}], **extra},
            {**base, "choices": [{"index": 0, "delta": {"content": " there"}, "finish_reason": None}], **extra},
            {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}], **extra},
        ]
        for i, chunk in enumerate(chunks):
            await resp.write(_sse(chunk))
            if model == "cut" and i == 1:
                assert request.transport is not None
                request.transport.abort()
                return resp
        if include:
            await resp.write(_sse({**base, "choices": [], "usage": CHAT_USAGE}))
        await resp.write(_sse("[DONE]"))
        await resp.write_eof()
        return resp

    async def embeddings(self, request: web.Request) -> web.Response:
        await self._body(request)
        return web.json_response(
            {
                "object": "list",
                "data": [{"object": "embedding", "index": 0, "embedding": [0.0123, -0.0456]}],
                "model": "text-embedding-3-small",
                "usage": {"prompt_tokens": 12, "total_tokens": 12},
            }
        )

    def _response_obj(self, status: str = "completed") -> dict[str, Any]:
        return {
            "id": "resp_0a7c2e",
            "object": "response",
            "created_at": 1785750100,
            "status": status,
            "model": "gpt-5-2025-08-07",
            "output": [
                {
                    "type": "message",
                    "id": "msg_1",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "Hello", "annotations": []}],
                }
            ],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": RESPONSES_USAGE if status == "completed" else None,
        }

    async def responses(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        if not body.get("stream"):
            return web.json_response(self._response_obj(), headers=RATE_HEADERS)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(
            _sse(
                {"type": "response.created", "sequence_number": 0, "response": self._response_obj("in_progress")},
                "response.created",
            )
        )
        await resp.write(
            _sse(
                {
                    "type": "response.output_text.delta",
                    "sequence_number": 1,
                    "item_id": "msg_1",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": "Hello",
                    "logprobs": [],
                },
                "response.output_text.delta",
            )
        )
        await resp.write(
            _sse(
                {"type": "response.completed", "sequence_number": 2, "response": self._response_obj()},
                "response.completed",
            )
        )
        await resp.write_eof()
        return resp

    async def models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "gpt-5-mini", "object": "model"}]})

    # ------------------------------------------------------------------ Anthropic

    async def messages(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        message = {
            "id": "msg_01Q7mZ",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-4-5-20251001",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": ANTHROPIC_START_USAGE,
        }
        if not body.get("stream"):
            whole = {
                **message,
                "content": [{"type": "text", "text": "Hello"}],
                "stop_reason": "end_turn",
                "usage": ANTHROPIC_USAGE,
            }
            return web.json_response(whole, headers=ANTHROPIC_RATE_HEADERS)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", **ANTHROPIC_RATE_HEADERS})
        await resp.prepare(request)
        events = [
            ("message_start", {"type": "message_start", "message": message}),
            (
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            ),
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}},
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {
                        "input_tokens": 18,
                        "cache_creation_input_tokens": None,
                        "cache_read_input_tokens": 4096,
                        "output_tokens": 37,
                    },
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        for name, obj in events:
            await resp.write(_sse(obj, name))
        await resp.write_eof()
        return resp

    # ------------------------------------------------------------------ Gemini

    async def gemini(self, request: web.Request) -> web.StreamResponse:
        await self._body(request)
        model, _, action = request.match_info["call"].partition(":")
        if model == "exhausted":
            return web.json_response(GEMINI_429, status=429)
        answer = {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": "Hello"}]}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": GEMINI_USAGE,
            "modelVersion": model,
            "responseId": "gem_1",
        }
        if action == "generateContent":
            return web.json_response(answer)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        first = {
            "candidates": [{"content": {"role": "model", "parts": [{"text": "Hel"}]}, "index": 0}],
            "usageMetadata": {"promptTokenCount": 120, "cachedContentTokenCount": 20, "totalTokenCount": 120},
            "modelVersion": model,
        }
        await resp.write(_sse(first))
        await resp.write(_sse(answer))
        await resp.write_eof()
        return resp
