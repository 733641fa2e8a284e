"""Requests at the edge of HTTP: repeated headers, a client that hangs up mid-body."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiohttp
import pytest
from listener_helpers import INGEST_KEY, count_rows, good_event, wait_for
from multidict import CIMultiDict

from costtui.listener import Listener


async def _post(client: aiohttp.ClientSession, headers: CIMultiDict[str]) -> tuple[int, str]:
    async with client.post("/ingest", json=good_event(), headers=headers) as resp:
        return resp.status, (await resp.json())["error"]


async def test_a_credential_header_sent_twice_with_different_values_is_refused(
    client: aiohttp.ClientSession, db_path: Path
) -> None:
    twice = CIMultiDict([("X-Ingest-Key", INGEST_KEY), ("X-Ingest-Key", "cti_someone-else")])
    assert await _post(client, twice) == (400, "X-Ingest-Key sent more than once with different values: send it once")
    bearer_twice = CIMultiDict([("Authorization", f"Bearer {INGEST_KEY}"), ("Authorization", "Bearer nope")])
    status, error = await _post(client, bearer_twice)
    assert status == 400 and "Authorization sent more than once" in error
    assert count_rows(db_path) == 0
    # The same value twice is one credential.
    same = CIMultiDict([("X-Ingest-Key", INGEST_KEY), ("X-Ingest-Key", INGEST_KEY)])
    async with client.post("/ingest", json=good_event(), headers=same) as resp:
        assert resp.status == 200


async def test_tracking_token_and_host_headers_twice_are_refused(
    client: aiohttp.ClientSession, tokens: dict[str, str], db_path: Path
) -> None:
    headers = CIMultiDict(
        [("X-Ingest-Key", INGEST_KEY), ("X-Costtui-Token", tokens["good"]), ("X-Costtui-Token", tokens["disabled"])]
    )
    status, error = await _post(client, headers)
    assert status == 400 and "X-Costtui-Token sent more than once" in error
    assert count_rows(db_path) == 0


async def test_two_host_headers_are_a_400(listener: Listener) -> None:
    answer = await _raw(
        listener, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    )
    # aiohttp's parser refuses it before the app (host_problem says the same if one gets through).
    assert answer.split(b"\r\n", 1)[0].endswith(b" 400 Bad Request"), answer[:200]


async def _raw(listener: Listener, request: bytes) -> bytes:
    host, port = listener.url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


async def test_tracking_token_header_that_is_not_utf8_is_a_400(listener: Listener, db_path: Path) -> None:
    """Raw bytes in the header (aiohttp keeps them as lone surrogates) must not reach the hash."""
    body = b'{"model": "gpt-4o-mini", "input_tokens": 1}'
    answer = await _raw(
        listener,
        b"POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + f"X-Ingest-Key: {INGEST_KEY}\r\nContent-Type: application/json\r\n".encode()
        + b"X-Costtui-Token: ctt_\xff\xfe\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body,
    )
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"not UTF-8" in answer
    assert count_rows(db_path) == 0


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_client_that_hangs_up_mid_body_is_a_client_abort(
    listener: Listener, client: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture, framing: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="costtui")
    host, port = listener.url.removeprefix("http://").rsplit(":", 1)
    length = b"Content-Length: 5000" if framing == "content-length" else b"Transfer-Encoding: chunked"
    start = b'1000\r\n{"model":' if framing == "chunked" else b'{"model":'
    for path in (b"/ingest", b"/v1/traces"):
        _, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            b"POST "
            + path
            + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"X-Ingest-Key: {INGEST_KEY}\r\nContent-Type: application/json\r\n".encode()
            + length
            + b"\r\n\r\n"
            + start
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def counted() -> bool:
        async with client.get("/metrics") as resp:
            text = await resp.text()
        return 'route="/ingest",status="499"' in text and 'route="/v1/traces",status="499"' in text

    await wait_for(counted)
    async with client.get("/metrics") as resp:
        text = await resp.text()
    assert 'status="500"' not in text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
