"""Property: whatever hostile value lands in any field of an event or of an OTLP/JSON request, the
listener refuses it (a 4xx, or a rejection in OTLP's partial-success answer), stores nothing,
and keeps answering /health meanwhile."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from listener_helpers import INGEST_KEY, JSON_AUTH, count_rows

from costtui.config import ListenerSettings
from costtui.listener import Listener
from costtui.models import CLIENT_FIELDS, TOKEN_FIELDS

HEALTH_BOUND = 0.5
"""Seconds within which /health must answer while a hostile request is being handled (a loop
blocked by parsing a hostile body takes seconds; a loaded CI machine can take a tenth of one)."""
STALLED = 2.0
"""Seconds after which /health is given up on: the loop is stalled (fail fast, do not wait)."""

PROPERTY = settings(
    derandomize=True,
    deadline=None,
    max_examples=120,
    database=None,
    # No shrinking: against a stalled listener every example is slow; the first failure says enough.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --------------------------------------------------------------------------- hostile JSON text
# Values any field must refuse, written as JSON text (so they can be what json.dumps never writes).

huge_exponent = st.builds(
    lambda sign, mantissa, exp: f"{sign}{mantissa}e{exp}",
    st.sampled_from(["", "-"]),
    st.sampled_from(["1", "9.5", "0.1"]),
    st.one_of(st.integers(42, 10**7), st.integers(-(10**7), -42)),
)
long_number = st.builds(lambda n, frac: "1" * n + ("." + "0" * n if frac else ""), st.integers(41, 5000), st.booleans())
non_finite = st.sampled_from(["NaN", "Infinity", "-Infinity"])
lone_surrogate = st.builds(
    lambda before, code, after: json.dumps(before)[:-1] + f"\\u{code:04x}" + json.dumps(after)[1:],
    st.text(max_size=8),
    st.integers(0xD800, 0xDFFF),
    st.text(max_size=8),
)
generic_hostile = st.one_of(huge_exponent, long_number, non_finite, lone_surrogate)
nested_hostile = st.one_of(
    generic_hostile,
    generic_hostile.map(lambda v: f"[{v}]"),
    generic_hostile.map(lambda v: f'{{"k": {v}}}'),
)

# Values a given field must refuse (as Python values, dumped as JSON).
_BAD_COUNT = [-1, 10**13, 1.5, "12", True, [1], {"n": 1}]
_BAD_NAME = [5, True, [], {}, "", "x" * 500]
TYPED_BAD: dict[str, list[Any]] = {
    **{name: _BAD_COUNT for name in TOKEN_FIELDS},
    "prompt_tokens": _BAD_COUNT,
    "completion_tokens": _BAD_COUNT,
    "total_tokens": [5, -1, "x", True],
    "ts": ["2200-01-01T00:00:00Z", "1970-01-01T00:00:00Z", 5, 2**64 - 1, "yesterday", "2026-01-01T00:00:00", True],
    "timestamp": ["2200-01-01T00:00:00Z", 1, 2**64 - 1, "x" * 100, False],
    "event_id": [7, "", "e" * 300, [], True],
    "provider": [5, [], {}, True],
    "model": _BAD_NAME,
    "operation": [5, [], "o" * 500],
    "app": [5, [], "a" * 500],
    "session": [5, [], "s" * 500, "bad\x1b"],
    "user": [5, [], "u" * 500],
    "team": [5, {}, "t" * 500],
    "project": [5, [], "p" * 500],
    "tags": [5, True, [f"t{i}" for i in range(40)], ["x" * 500]],
    "latency_ms": [-1, "fast", 10**10, True, []],
    "status": ["weird", 5, []],
    "status_code": [999, 42, "x", True, 1.5],
    "error": [5, [], "e" * 5000],
    "cache_hit": ["yes", 1, []],
    "cost_usd": [-1, "abc", 10**9, True, [], "1e-999999", "0." + "0" * 100 + "1"],
    "tracking_token": ["", 5, [], "ctt_unknown-token-value"],
    "usage": [[1], "x", 5, {"prompt_tokens": -1}, {"prompt_tokens": "x"}],
}
EVENT_FIELDS = sorted({*CLIENT_FIELDS, *TYPED_BAD})
assert set(CLIENT_FIELDS) <= set(TYPED_BAD), "every field of the record has hostile values"

RECORD_BASE = {"model": "gpt-4o-mini", "input_tokens": 100, "output_tokens": 20}
GUARDIAN_BASE = {"model": "gpt-4o-mini", "prompt_tokens": 100, "completion_tokens": 20}


def event_body(field: str, raw: str, *, twice: bool = False) -> bytes:
    """A valid event with ``field`` set to the JSON text ``raw`` (given twice when ``twice``)."""
    base = dict(GUARDIAN_BASE if field in ("prompt_tokens", "completion_tokens", "total_tokens") else RECORD_BASE)
    base.pop(field, None)
    text = json.dumps(base)[:-1] + f', "{field}": {raw}'
    if twice:
        text += f', "{field}": {raw}'
    return (text + "}").encode()


ingest_case = st.one_of(
    st.tuples(st.sampled_from(EVENT_FIELDS), nested_hostile, st.just(False)),
    st.sampled_from(EVENT_FIELDS).flatmap(
        lambda f: st.tuples(st.just(f), st.sampled_from(TYPED_BAD[f]).map(json.dumps), st.booleans())
    ),
)

# --------------------------------------------------------------------------- the OTLP/JSON shape

NOW_NS = time.time_ns()
RAW = "@@RAW@@"


def otlp_body(path: str, raw: str) -> bytes:
    """A valid OTLP/JSON request with one GenAI span, the part at ``path`` replaced by ``raw``."""
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": {"stringValue": "chat"},
        "gen_ai.request.model": {"stringValue": "gpt-4o-mini"},
        "gen_ai.usage.input_tokens": {"intValue": "100"},
        "gen_ai.usage.output_tokens": {"intValue": 20},
        "gen_ai.usage.cost": {"doubleValue": 0.001},
    }
    span: dict[str, Any] = {
        "traceId": "4fd0b6131f19f39af59518d127b0cafe",
        "spanId": "2e1c4b7a9d3f0a11",
        "name": "chat gpt-4o-mini",
        "startTimeUnixNano": str(NOW_NS - 10**9),
        "endTimeUnixNano": str(NOW_NS),
        "status": {"code": 1},
    }
    resource: dict[str, Any] = {"attributes": [{"key": "service.name", "value": {"stringValue": "prop"}}]}
    rs: dict[str, Any] = {"resource": resource, "scopeSpans": [{"scope": {"name": "t"}, "spans": [span]}]}
    kind, _, name = path.partition(":")
    if kind == "attr":
        attrs[name] = RAW
    elif kind == "attr-inner":  # inside the AnyValue of a token count
        attrs["gen_ai.usage.input_tokens"] = {name: RAW}
    span["attributes"] = [{"key": k, "value": v} for k, v in attrs.items()]
    if kind == "span":
        span[name] = RAW
    elif kind == "status":
        span["status"] = {"code": RAW}
    elif kind == "resource":
        rs["resource"] = RAW
    elif kind == "resource-attrs":
        resource["attributes"] = RAW
    elif kind == "scope":
        rs["scopeSpans"] = [{"scope": RAW, "spans": [span]}]
    elif kind == "top":
        rs[name] = RAW
    text = json.dumps({"resourceSpans": [rs]})
    return text.replace(json.dumps(RAW), raw).encode()


OTLP_TYPED_BAD: dict[str, list[str]] = {
    "attr:gen_ai.usage.input_tokens": [
        "5",
        "[]",
        '"100"',
        '{"intValue": true}',
        '{"intValue": 10.7}',
        '{"intValue": "-5"}',
        '{"intValue": "99999999999999999999"}',
        '{"doubleValue": "NaN"}',
        '{"doubleValue": "Infinity"}',
        '{"doubleValue": 2.5}',
        '{"stringValue": "100"}',
        '{"boolValue": true}',
        '{"intValue": 1, "stringValue": "1"}',
    ],
    "attr:gen_ai.usage.cost": [
        '{"doubleValue": "NaN"}',
        '{"doubleValue": -1}',
        '{"stringValue": "1e-99999"}',
        '{"doubleValue": "-Infinity"}',
        "0.5",
        '{"boolValue": false}',
    ],
    "attr:gen_ai.request.model": ['{"intValue": 5}', "null", '{"stringValue": ""}', "true"],
    "attr:costtui.tracking_token": ['{"stringValue": ""}', '{"intValue": 1}', '{"stringValue": "ctt_nope"}'],
    "attr-inner:intValue": ["true", "10.7", '"ten"', "[]", "{}", '"1e3"'],
    "attr-inner:doubleValue": ['"NaN"', '"Infinity"', "true", '"many"', "[]"],
    "span:traceId": ["{}", "5", '"zz"', '"abc"'],
    "span:spanId": ['{"a": 1}', "[]", '"2e1c4b7a9d3f0a1"', '"nothex!!nothex!!"'],
    "span:startTimeUnixNano": ['"soon"', "true", "-1", '"18446744073709551616"', "1.5"],
    "span:endTimeUnixNano": ['"18446744073709551615"', '"1000"', "7258118400000000000", '"x"', "{}"],
    "span:name": ["5", "[]", "{}"],
    "span:attributes": ["{}", "5", '"x"', '[{"key": 5}]'],
    "status": ['"bad"', "7", "true", "1.5"],
    "resource": ["[]", "5", '"x"'],
    "resource-attrs": ["{}", "5"],
    "scope": ["[]", "5"],
    "top:scopeSpans": ["{}", "5", "[5]"],
}
OTLP_PATHS = sorted(OTLP_TYPED_BAD)

otlp_case = st.one_of(
    st.tuples(st.sampled_from(OTLP_PATHS), nested_hostile),
    st.sampled_from(OTLP_PATHS).flatmap(lambda p: st.tuples(st.just(p), st.sampled_from(OTLP_TYPED_BAD[p]))),
)

# --------------------------------------------------------------------------- the checks


@pytest.fixture
def served(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A listener on its own loop in its own thread (as in the TUI): the test's clients cannot
    hide a stalled loop, and /health is timed from outside it."""
    monkeypatch.setenv("COSTTUI_INGEST_KEY", INGEST_KEY)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="listener-loop", daemon=True)
    thread.start()
    listener = Listener(db_path, ListenerSettings(port=0, max_events_per_request=100), port=0)
    try:
        asyncio.run_coroutine_threadsafe(listener.start(), loop).result(30)
        yield listener.url
    finally:
        asyncio.run_coroutine_threadsafe(listener.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


class Prober:
    """Sends a hostile request and, while it is handled, /health (timed)."""

    def __init__(self, url: str) -> None:
        self.hostile = httpx.Client(base_url=url, timeout=30)
        self.health = httpx.Client(base_url=url, timeout=30)
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="hostile")
        self.slowest = 0.0

    def send(self, path: str, body: bytes) -> httpx.Response:
        future = self.pool.submit(self.hostile.post, path, content=body, headers=JSON_AUTH)
        started = time.perf_counter()
        try:
            health = self.health.get("/health", timeout=STALLED)
        except httpx.TimeoutException:
            raise AssertionError(f"/health did not answer within {STALLED} s during {path} {body[:120]!r}") from None
        took = time.perf_counter() - started
        assert health.status_code == 200, health.text
        self.slowest = max(self.slowest, took)
        assert took < HEALTH_BOUND, f"/health took {took * 1000:.0f} ms during {path} {body[:120]!r}"
        return future.result()

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.hostile.close()
        self.health.close()


@pytest.fixture
def prober(served: str) -> Iterator[Prober]:
    p = Prober(served)
    yield p
    p.close()


def _refused(resp: httpx.Response) -> bool:
    doc = resp.json()
    if 400 <= resp.status_code < 500:
        return isinstance(doc, dict) and isinstance(doc.get("error"), str)
    partial = doc.get("partialSuccess") if resp.status_code == 200 and isinstance(doc, dict) else None
    return bool(partial) and int(partial.get("rejectedSpans", 0)) >= 1


def test_hostile_event_fields_are_refused(prober: Prober, db_path: Path) -> None:
    stored = count_rows(db_path)

    @PROPERTY
    @given(case=ingest_case)
    def check(case: tuple[str, str, bool]) -> None:
        field, raw, twice = case
        body = event_body(field, raw, twice=twice)
        resp = prober.send("/ingest", body)
        assert 400 <= resp.status_code < 500 and _refused(resp), (body[:300], resp.status_code, resp.text[:300])
        assert count_rows(db_path) == stored

    check()


def test_hostile_otlp_json_is_refused(prober: Prober, db_path: Path) -> None:
    # The untouched request is stored: every refusal below is the hostile part's doing.
    resp = prober.send("/v1/traces", otlp_body("none", ""))
    assert (resp.status_code, resp.json()) == (200, {})
    stored = count_rows(db_path)
    assert stored == 1

    @PROPERTY
    @given(case=otlp_case)
    def check(case: tuple[str, str]) -> None:
        path, raw = case
        resp = prober.send("/v1/traces", otlp_body(path, raw))
        assert _refused(resp), (path, raw[:100], resp.status_code, resp.text[:300])
        assert count_rows(db_path) == stored

    check()
