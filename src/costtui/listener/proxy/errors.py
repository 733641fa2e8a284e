"""Errors the proxy itself answers, in the shape the client's SDK reads for that provider."""

from __future__ import annotations

import json

from aiohttp import web

from costtui.listener.proxy.upstreams import Style

_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    504: "timeout_error",
}
_GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_OPENAI_TYPES = {401: "invalid_request_error", 429: "rate_limit_exceeded", 502: "server_error", 504: "timeout"}


def error_body(style: Style, status: int, message: str, code: str | None = None) -> dict[str, object]:
    if style == "anthropic":
        return {"type": "error", "error": {"type": _ANTHROPIC_TYPES.get(status, "api_error"), "message": message}}
    if style == "gemini":
        return {"error": {"code": status, "message": message, "status": _GOOGLE_STATUS.get(status, "INTERNAL")}}
    return {
        "error": {
            "message": message,
            "type": _OPENAI_TYPES.get(status, "invalid_request_error" if status < 500 else "server_error"),
            "param": None,
            "code": code,
        }
    }


def error_response(
    style: Style, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=json.dumps(error_body(style, status, message, code)).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )
