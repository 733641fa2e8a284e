"""OpenCode Go usage windows and Zen spend from local history (quota_sources.md §5.1)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from costtui.providers.base import Unauthorized
from costtui.providers.opencode import EntitlementError, OpenCodeProvider

from .fakes import FakeAPI, js
from .plan_helpers import NOW, empty_remote_cache, make  # noqa: F401

USAGE = {
    "workspaceID": "wrk_01J8XK2Z9Q",
    "userID": "usr_01J8XK3A7B",
    "usage": {
        "rolling": {"status": "ok", "percent": 22.5, "resetsAt": "2026-08-21T21:40:00.000Z"},
        "weekly": {"status": "rate-limited", "percent": 100, "resetsAt": "2026-08-25T00:00:00.000Z"},
        "monthly": {"status": "ok", "percent": 34, "resetsAt": "2026-09-03T08:12:09.000Z"},
        "hourly_future": {"status": "new-enum", "percent": 5},
    },
}
ENTITLEMENT = {"type": "error", "error": {"type": "EntitlementError", "message": "OpenCode Go subscription required."}}


def history(tmp_path: Path) -> Path:
    folder = tmp_path / "opencode"
    ms = int(NOW.timestamp() * 1000)
    msgs = [
        {"role": "assistant", "providerID": "opencode", "modelID": "kimi-k2", "cost": 0.42, "time": {"created": ms}},
        {"role": "assistant", "providerID": "opencode", "cost": 1.08, "time": {"created": ms - 5 * 86400 * 1000}},
        {"role": "assistant", "providerID": "anthropic", "cost": 9.99, "time": {"created": ms}},
        {"role": "user", "providerID": "opencode", "cost": 5, "time": {"created": ms}},
        {"role": "assistant", "providerID": "opencode", "cost": "n/a", "time": {"created": ms}},
    ]
    for i, m in enumerate(msgs):
        d = folder / "storage" / "message" / f"ses_{i}"
        d.mkdir(parents=True)
        (d / f"msg_{i}.json").write_text(json.dumps(m))
    (folder / "storage" / "message" / "ses_0" / "broken.json").write_text("{not json")
    return folder


async def test_go_windows(tmp_path: Path) -> None:
    api = FakeAPI().add("GET", "/zen/go/v1/usage", js(USAGE))
    snaps = await make(OpenCodeProvider, api, opencode_dir=str(tmp_path / "none")).fetch_quotas()
    by = {s.kind: s for s in snaps}
    assert set(by) == {"plan.rolling", "plan.weekly", "plan.monthly"}
    assert by["plan.rolling"].used == Decimal("22.5") and by["plan.rolling"].resets_at.hour == 21
    assert by["plan.weekly"].remaining == 0 and "rate limited" in (by["plan.weekly"].detail or "")
    assert api.requests[0].headers["authorization"].startswith("Bearer ")


async def test_zen_spend_from_local_history_and_no_go_subscription(tmp_path: Path) -> None:
    api = FakeAPI().add("GET", "/zen/go/v1/usage", js(ENTITLEMENT, 403))
    snaps = await make(OpenCodeProvider, api, opencode_dir=str(history(tmp_path))).fetch_quotas()
    by = {s.kind: s for s in snaps}
    assert by["usage.day"].used == Decimal("0.42") and by["usage.day"].unit == "usd"
    assert by["usage.month"].used == Decimal("1.50")
    assert "no Go subscription" in (by["usage.month"].detail or "")


async def test_entitlement_error_without_history_says_what_is_missing(tmp_path: Path) -> None:
    api = FakeAPI().add("GET", "/zen/go/v1/usage", js(ENTITLEMENT, 403))
    with pytest.raises(EntitlementError, match="no OpenCode Go subscription"):
        await make(OpenCodeProvider, api, opencode_dir=str(tmp_path / "none")).fetch_quotas()


async def test_auth_error() -> None:
    body = {"type": "error", "error": {"type": "AuthError", "message": "Missing API key."}}
    api = FakeAPI().add("GET", "/zen/go/v1/usage", js(body, 401))
    with pytest.raises(Unauthorized):
        await make(OpenCodeProvider, api).test_key()
