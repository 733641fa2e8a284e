"""/ingest refuses identifiers holding control or bidi characters (naming the field and the
character) and keeps error text with those characters made visible."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from listener_helpers import AUTH, count_rows, good_event, rows


async def post(client: aiohttp.ClientSession, body: object) -> tuple[int, dict[str, Any]]:
    async with client.post("/ingest", json=body, headers=AUTH) as resp:
        return resp.status, await resp.json()


@pytest.mark.parametrize(
    ("field", "value", "char"),
    [
        ("model", "gpt-4o\x1b]0;owned\x07", "U+001B"),
        ("user", "ana\r\nforged: line", "U+000D"),
        ("app", "bot\u202egnp.exe", "U+202E"),
        ("project", "p\x00", "U+0000"),
        ("event_id", "id\x9b31m", "U+009B"),
        ("tags", ["ok", "t\u2066ag"], "U+2066"),
    ],
)
async def test_identifier_with_control_character_is_refused(
    client: aiohttp.ClientSession, db_path: Path, field: str, value: Any, char: str
) -> None:
    status, doc = await post(client, good_event(**{field: value}))
    assert status == 422, doc
    assert field in doc["error"] and char in doc["error"]
    assert count_rows(db_path) == 0


async def test_one_bad_name_in_a_batch_refuses_only_that_event(client: aiohttp.ClientSession, db_path: Path) -> None:
    status, doc = await post(client, [good_event(event_id="a"), good_event(event_id="b", model="x\x1by")])
    assert status == 200 and doc["accepted"] == 1 and doc["rejected"] == 1
    assert "model" in doc["errors"][0]["reason"] and "U+001B" in doc["errors"][0]["reason"]


async def test_error_text_is_kept_with_control_characters_made_visible(
    client: aiohttp.ClientSession, db_path: Path
) -> None:
    status, doc = await post(client, good_event(status="error", error="rate limited\x1b[2J\r\nfake: ok"))
    assert status == 200 and doc["accepted"] == 1, doc
    (row,) = rows(db_path)
    assert row["error"] == "rate limited\\x1b[2J\\x0d\\x0afake: ok"
