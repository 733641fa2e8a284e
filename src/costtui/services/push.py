"""``costtui push``: forward local events to another costtui's ``/ingest``, outbound only.

Events keep their ids, so the home instance stores each once however often a batch is re-sent
(after a timeout, a crash, a second push). A cursor per destination (the last row sent) is saved
after every accepted batch, so a push resumes where it stopped. The machine's name travels as a
``machine=<name>`` tag, the agent as ``agent=<source>``.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from costtui.agents import AGENT_SOURCES
from costtui.models import MAX_TAGS, StoredEvent, decimal_str
from costtui.store import Store

BATCH = 500
RETRIES = 5


class PushError(Exception):
    """The destination refused the push or could not be reached after the retries."""


@dataclass
class PushReport:
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)
    cursor: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "batches": self.batches,
            "retries": self.retries,
            "errors": self.errors,
            "cursor": self.cursor,
        }


def machine_name() -> str:
    return socket.gethostname().split(".")[0] or "unknown"


def ingest_url(url: str) -> str:
    """``http://home:8787`` → ``http://home:8787/ingest`` (a full ``/ingest`` URL is kept)."""
    url = url.rstrip("/")
    return url if url.endswith("/ingest") else url + "/ingest"


def event_body(event: StoredEvent, machine: str) -> dict[str, Any]:
    """One event as ``/ingest`` takes it: the record's own names, its id kept."""
    tags = [t for t in event.tags if not t.startswith(("machine=", "agent="))]
    tags = [f"machine={machine}", *([f"agent={event.source}"] if event.source != "ingest" else []), *tags]
    body: dict[str, Any] = {
        "event_id": event.event_id,
        "ts": event.ts.isoformat().replace("+00:00", "Z"),
        "provider": event.provider,
        "model": event.model,
        "operation": event.operation,
        "tags": tags[:MAX_TAGS],
        "input_tokens": event.input_tokens,
        "cache_read_tokens": event.cache_read_tokens,
        "cache_write_tokens": event.cache_write_tokens,
        "cache_write_1h_tokens": event.cache_write_1h_tokens,
        "output_tokens": event.output_tokens,
        "reasoning_tokens": event.reasoning_tokens,
        "status": event.status,
    }
    for name in ("app", "user", "team", "project", "session", "latency_ms", "status_code", "error"):
        value = getattr(event, name)
        if value is not None:
            body[name] = value
    if event.cache_hit:
        body["cache_hit"] = True
    # A cost the log itself stated (old Claude Code costUSD) travels; others are priced at home.
    if event.cost_source == "client" and event.cost_usd is not None:
        body["cost_usd"] = decimal_str(event.cost_usd)
    return body


def push(
    store: Store,
    url: str,
    key: str | None,
    *,
    sources: Sequence[str] | None = AGENT_SOURCES,
    machine: str | None = None,
    client: httpx.Client | None = None,
    batch: int = BATCH,
    retries: int = RETRIES,
    backoff: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[PushReport], None] | None = None,
) -> PushReport:
    """Send every event after the destination's cursor; returns what was sent.

    A network error, a timeout, a 429 or a 5xx is retried with exponential backoff; a 401/403
    (wrong key) or another 4xx stops the push at once. The cursor only moves past batches the
    destination answered for, so nothing is skipped and re-sent events are duplicates at home.
    """
    target = ingest_url(url)
    machine = machine or machine_name()
    report = PushReport()
    headers = {"Content-Type": "application/json"}
    if key:
        headers["X-Ingest-Key"] = key
    own = client is None
    http = client or httpx.Client(timeout=30.0)
    try:
        cursor = store.agents.push_cursor(target)
        while True:
            events = store.agents.events_after(cursor, sources, batch)
            if not events:
                break
            body = {"events": [event_body(e, machine) for e in events]}
            answer = _send(http, target, headers, body, report, retries, backoff, sleep)
            report.batches += 1
            report.sent += len(events)
            report.accepted += int(answer.get("accepted", 0))
            report.duplicates += int(answer.get("duplicates", 0))
            report.rejected += int(answer.get("rejected", 0))
            for err in answer.get("errors", [])[:5]:
                report.errors.append(str(err))
            cursor = events[-1].row_id
            store.agents.set_push_cursor(target, cursor)
            if progress is not None:
                progress(report)
        report.cursor = cursor
    finally:
        if own:
            http.close()
    return report


def _send(
    http: httpx.Client,
    url: str,
    headers: dict[str, str],
    body: dict[str, Any],
    report: PushReport,
    retries: int,
    backoff: float,
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    attempt = 0
    while True:
        try:
            resp = http.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            problem = f"cannot reach {url}: {exc.__class__.__name__} {exc}".strip()
        else:
            if resp.status_code == 200:
                data = resp.json()
                return data if isinstance(data, dict) else {}
            message = _message(resp)
            if resp.status_code in (401, 403):
                raise PushError(f"{url} refused the ingest key ({resp.status_code}): {message}")
            if resp.status_code != 429 and resp.status_code < 500:
                raise PushError(f"{url} refused the batch ({resp.status_code}): {message}")
            problem = f"{url} answered {resp.status_code}: {message}"
        attempt += 1
        if attempt > retries:
            raise PushError(f"{problem} (gave up after {retries} retries; the next push resumes here)")
        report.retries += 1
        sleep(backoff * 2 ** (attempt - 1))


def _message(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(data, dict):
        return str(data.get("error") or data.get("message") or data)[:200]
    return str(data)[:200]
