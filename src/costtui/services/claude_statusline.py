"""Claude Code's status line: the plan windows it hands a status-line command, kept and shown.

Claude Code runs the user's status-line command on every render and writes a JSON document to its
stdin (quota_sources.md §6.1). For Pro/Max subscribers that document carries ``rate_limits``: the
5-hour and 7-day windows with ``used_percentage`` (0–100) and ``resets_at`` (Unix seconds).

This module runs on that hot path, so it imports only the standard library: pydantic, the store
and click cost more start-up time than Claude Code's status line allows. What it does:

* :func:`parse` reads the stdin document (anything malformed gives an empty reading, never an error);
* :func:`render` makes the one short line that is printed;
* :func:`write_spool` keeps the newest windows in a small JSON file (atomically), and says when the
  store is due a copy (paths are strings: pathlib costs the status line ~10 ms); the copy is made by :func:`record_spool` in a detached process (and by every
  sync), through the store's quota entry point.
"""

from __future__ import annotations

import json
import os
import time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Sequence

PROVIDER = "anthropic"
ACCOUNT = "claude-code"
"""Where the plan windows are kept: the Claude plan has no API key, so no account row names it."""
WINDOWS = {"five_hour": ("5h", "5h"), "seven_day": ("7d", "7d"), "spend_limit": ("spend", "month")}
"""stdin key → (short label, window name)."""
SPOOL_NAME = "claude-statusline.json"
RECORD_EVERY_CHANGED = 30.0
"""A changed window is copied to the store at most this often (seconds); a render is not a sync."""
RECORD_EVERY = 600.0
"""An unchanged one is copied this often, so its history shows it held."""
PREVIOUS_TIMEOUT = 0.5
"""Seconds the user's previous status-line command may take before it is left out."""
MAX_STDIN = 1_000_000


class Window(NamedTuple):
    # NamedTuple, not a dataclass: importing dataclasses costs the status line ~10 ms.
    key: str
    """``five_hour``, ``seven_day``, ``spend_limit``."""
    used_percent: Decimal
    resets_at: int | None
    """Unix seconds."""

    def expired(self, now: float) -> bool:
        return self.resets_at is not None and self.resets_at <= now


class Reading(NamedTuple):
    model: str = ""
    cost_usd: Decimal | None = None
    windows: Sequence[Window] = ()
    valid: bool = True
    """False when stdin was not a JSON object (the line then says so, briefly)."""


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _seconds(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and value == value and abs(value) < 1e13:
        return int(value / 1000) if value > 1e11 else int(value)  # milliseconds, if a version sends them
    if isinstance(value, str) and value.strip().isdigit():
        return _seconds(int(value.strip()))
    return None


def _clean(text: str, limit: int = 40) -> str:
    """Outside text for a terminal: control and bidi characters out, length bounded."""
    out = "".join(
        ch for ch in text if ch.isprintable() and not ("\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069")
    )
    return out[:limit]


def parse(raw: bytes | str) -> Reading:
    """The parts of the stdin document the status line uses; malformed input is an empty reading."""
    try:
        doc = json.loads(raw[:MAX_STDIN] if raw else b"null", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return Reading(valid=False)
    if not isinstance(doc, dict):
        return Reading(valid=False)
    model = doc.get("model")
    name = ""
    if isinstance(model, dict):
        name = model.get("display_name") or model.get("id") or ""
    elif isinstance(model, str):
        name = model
    cost = doc.get("cost")
    cost_usd = _decimal(cost.get("total_cost_usd")) if isinstance(cost, dict) else None
    windows = []
    limits = doc.get("rate_limits")
    if isinstance(limits, dict):
        for key in WINDOWS:
            w = limits.get(key)
            if not isinstance(w, dict):
                continue
            used = _decimal(w.get("used_percentage"))
            if used is None:
                continue
            windows.append(Window(key, max(Decimal(0), used), _seconds(w.get("resets_at"))))
    return Reading(model=_clean(name if isinstance(name, str) else ""), cost_usd=cost_usd, windows=windows)


def _left(seconds: float) -> str:
    """``2h10m``, ``3d4h``, ``45m``: time until a reset, short."""
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{max(minutes, 1)}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h"


def _percent(value: Decimal) -> str:
    return f"{value.quantize(Decimal(1)):f}%"


def render(reading: Reading, now: float) -> str:
    """One short line: model, session cost, each plan window's used % and time to reset."""
    if not reading.valid:
        return "costtui: no status data"
    parts = []
    if reading.model:
        parts.append(reading.model)
    if reading.cost_usd is not None:
        parts.append(f"${reading.cost_usd.quantize(Decimal('0.01')):f}")
    for w in reading.windows:
        label = WINDOWS[w.key][0]
        if w.expired(now):
            parts.append(f"{label} reset")
            continue
        text = f"{label} {_percent(w.used_percent)}"
        if w.resets_at is not None:
            text += f" ↻{_left(w.resets_at - now)}"
        parts.append(text)
    return " · ".join(parts) or "costtui"


# --------------------------------------------------------------------------- the spool file


def _windows_doc(reading: Reading, now: float) -> dict[str, Any]:
    return {
        w.key: {"used_percentage": str(w.used_percent), "resets_at": w.resets_at}
        for w in reading.windows
        if not w.expired(now)
    }


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def write_spool(path: str, reading: Reading, now: float) -> bool:
    """Keep the live windows in ``path`` (atomically); True when the store is due a copy.

    Nothing is written when stdin carried no windows (an API-key session, or before the first
    answer of a session): the last known windows stay until they are replaced."""
    windows = _windows_doc(reading, now)
    if not windows:
        return False
    previous: dict[str, Any] = {}
    try:
        loaded = json.loads(_read(path))
        previous = loaded if isinstance(loaded, dict) else {}
    except (OSError, ValueError):
        pass
    last = previous.get("recorded_at")
    last = float(last) if isinstance(last, (int, float)) else 0.0
    recorded = previous.get("recorded")
    pending = recorded != windows
    due = (pending and now - last >= RECORD_EVERY_CHANGED) or now - last >= RECORD_EVERY
    if not due and previous.get("windows") == windows:
        return False  # nothing new to keep
    doc = {
        "received_at": now,
        "windows": windows,
        "recorded_at": now if due else last,
        "recorded": windows if due else recorded,
    }
    try:
        folder, name = os.path.split(path)
        os.makedirs(folder or ".", exist_ok=True)
        tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(doc))
        os.replace(tmp, path)
    except OSError:
        return False
    return due


def read_spool(path: str) -> tuple[float, dict[str, Any]] | None:
    """The spool's receipt time and windows, or None when there is none (or it is unreadable)."""
    try:
        doc = json.loads(_read(path))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("windows"), dict):
        return None
    received = doc.get("received_at")
    if not isinstance(received, (int, float)):
        return None
    return float(received), doc["windows"]


def spool_snapshots(path: str) -> list[Any]:
    """The spool's windows as quota snapshots (percent used of 100), for the store's entry point."""
    from datetime import UTC, datetime

    from costtui.models import QuotaSnapshot

    spool = read_spool(path)
    if spool is None:
        return []
    received, windows = spool
    taken = datetime.fromtimestamp(received, UTC)
    out = []
    for key, w in windows.items():
        if key not in WINDOWS or not isinstance(w, dict):
            continue  # a key a later version adds is ignored, not a crash
        used = _decimal(w.get("used_percentage"))
        if used is None:
            continue
        resets = _seconds(w.get("resets_at"))
        out.append(
            QuotaSnapshot(
                provider=PROVIDER,
                account=ACCOUNT,
                kind=f"plan.{key}",
                scope="",
                used=used,
                limit=Decimal(100),
                remaining=max(Decimal(0), Decimal(100) - used),
                unit="percent",
                window=WINDOWS[key][1],
                resets_at=None if resets is None else datetime.fromtimestamp(resets, UTC),
                taken_at=taken,
                source="statusline",
            )
        )
    return out


def record_spool(store: Any, path: str) -> int:
    """Copy the spool's windows into the store (through ``record_quotas``); returns how many."""
    snaps = spool_snapshots(path)
    return store.billing.record_quotas(snaps) if snaps else 0


# --------------------------------------------------------------------------- the previous command


def previous_output(command: str, stdin: bytes, timeout: float = PREVIOUS_TIMEOUT) -> str:
    """The first line the user's previous status-line command prints for the same stdin ('' if it
    fails or takes too long: costtui's own line must still appear)."""
    import subprocess

    try:
        done = subprocess.run(  # noqa: S602 - the user's own status-line command, a shell line by design
            command, shell=True, input=stdin, capture_output=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    return _clean(lines[0], 200) if lines else ""


def configured_previous(config_file: str) -> str | None:
    """``plans.statusline_previous_command`` from the environment or the config file (read with
    tomllib: loading the full settings costs more start-up time than the status line has)."""
    env = os.environ.get("COSTTUI_PLANS__STATUSLINE_PREVIOUS_COMMAND")
    if env is not None:
        return env or None
    try:
        text = _read(config_file).decode("utf-8", "replace")
    except OSError:
        return None
    if "statusline_previous_command" not in text:
        return None  # parsing TOML costs the status line ~15 ms; skip it when the key is absent
    import tomllib

    try:
        data = tomllib.loads(text)
    except ValueError:
        return None
    plans = data.get("plans")
    value = plans.get("statusline_previous_command") if isinstance(plans, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def now() -> float:
    return time.time()
