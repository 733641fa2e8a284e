"""Amp (ampcode.com): remaining credits and the free daily allowance (quota_sources.md §5.2).

Amp's CLI asks ``POST /api/internal?userDisplayBalanceInfo`` (JSON-RPC style) with the user's
access token and gets back human text, one line per balance. The wording has changed several
times, so each line is matched on its own and a line no pattern knows is kept as a note rather
than failing the read:

* ``Amp Free: 64% remaining today (resets daily)`` → ``plan.daily`` (percent used);
* ``Amp Free: $7.50/$10 remaining (replenishes +$0.42/hour)`` → ``plan.free`` (dollars);
* ``Subscription <Plan>: a% other usage and b% orb usage remaining - resets upon renewal in N days``
  → ``plan.other`` and ``plan.orb``;
* ``Individual credits: $18.40 remaining`` and ``Workspace <name>: $212.05 remaining`` → balances.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from costtui.models import QuotaSnapshot
from costtui.providers import plans
from costtui.providers.base import BadResponse, Provider, Unauthorized, expect_dict

PATH = "/api/internal?userDisplayBalanceInfo"
BODY = {"method": "userDisplayBalanceInfo", "params": {}}
MONEY = r"\$([\d,]+(?:\.\d+)?)"
FREE_PERCENT = re.compile(r"^Amp Free:\s*([\d.]+)%\s*remaining", re.I)
FREE_DOLLARS = re.compile(rf"^Amp Free:\s*{MONEY}\s*/\s*{MONEY}\s*remaining(?:.*?replenishes\s*\+?{MONEY}/hour)?", re.I)
SUBSCRIPTION = re.compile(
    r"^(?:Subscription\s+(?P<a>[^:]+)|Amp\s+(?P<b>[^:]+?)\s+Subscription):\s*(?P<other>[\d.]+)%\s*other usage"
    r"(?:\s*and\s*(?P<orb>[\d.]+)%\s*orb usage)?\s*remaining(?:.*?renewal in\s*(?P<n>\d+)\s*(?P<unit>day|month)s?)?",
    re.I,
)
INDIVIDUAL = re.compile(rf"^Individual credits:\s*{MONEY}\s*remaining", re.I)
WORKSPACE = re.compile(rf"^Workspace\s+(?P<name>.+?):\s*{MONEY}\s*remaining", re.I)
SIGNED_IN = re.compile(r"^Signed in as\s+(\S+)", re.I)


class AmpProvider(Provider):
    id = "amp"
    default_base_url = "https://ampcode.com"
    key_kinds = ("inference",)
    key_hint = "Amp access token (ampcode.com → Settings → Access tokens)"
    what = "remaining credits, workspace balances and the free daily allowance"
    supports_quotas = True

    async def _text(self) -> str:
        async def fetch() -> Any:
            return await self.http.post_json(PATH, BODY)

        body = expect_dict(await plans.cached(self, PATH, fetch), "balance response", self.id)
        if body.get("ok") is False or "error" in body:
            err = body.get("error")
            code = err.get("code") if isinstance(err, dict) else None
            msg = self.http.redact(str(err.get("message") if isinstance(err, dict) else err)[:200])
            if code in ("auth-required", "unauthorized", "forbidden"):
                raise Unauthorized(f"amp: the token was rejected ({code}): create a new access token in Amp settings")
            raise BadResponse(f"amp: the balance answered with an error: {msg}")
        result = body.get("result")
        text = result.get("displayText") if isinstance(result, dict) else None
        if not isinstance(text, str):
            raise BadResponse("amp: the balance answer has no displayText")
        return text

    async def test_key(self) -> str:
        text = await self._text()
        who = next((m.group(1) for line in text.splitlines() if (m := SIGNED_IN.match(line.strip()))), None)
        return f"Amp token works{f' (signed in as {who})' if who else ''}"

    async def fetch_quotas(
        self, hints: dict[str, set[str]] | None = None, *, configured: bool = True
    ) -> list[QuotaSnapshot]:
        return self.parse(await self._text())

    def parse(self, text: str) -> list[QuotaSnapshot]:
        out: list[QuotaSnapshot] = []
        unknown: list[str] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or SIGNED_IN.match(line):
                continue
            snaps = self._line(line)
            if snaps:
                out.extend(snaps)
            else:
                unknown.append(line[:120])
        if not out and unknown:
            raise BadResponse(f"amp: cannot read the balance text (new wording?): {unknown[0]}")
        if unknown and out:
            # A new line Amp added: kept where a user can read it, instead of failing the read.
            out[0] = out[0].model_copy(update={"detail": "; ".join(filter(None, [out[0].detail, *unknown]))[:300]})
        return out

    def _line(self, line: str) -> list[QuotaSnapshot]:
        if m := FREE_DOLLARS.match(line):
            remaining, quota = _usd(m.group(1)), _usd(m.group(2))
            rate = _usd(m.group(3)) if m.group(3) else None
            detail = f"replenishes ${rate}/hour" if rate is not None else None
            resets = None
            if rate and rate > 0 and quota > remaining:
                resets = self.now() + timedelta(hours=float((quota - remaining) / rate))
            return [
                self.quota(
                    kind="plan.free",
                    used=quota - remaining,
                    limit=quota,
                    remaining=remaining,
                    unit="usd",
                    window="day",
                    resets_at=resets,
                    detail=detail,
                )
            ]
        if m := FREE_PERCENT.match(line):
            left = plans.number(m.group(1))
            snap = plans.window(
                self, "daily", None if left is None else 100 - left, None, "day", detail="Amp Free, resets daily"
            )
            return [snap] if snap else []
        if m := SUBSCRIPTION.match(line):
            plan = (m.group("a") or m.group("b") or "").strip()
            resets = None
            if m.group("n"):
                n = int(m.group("n"))
                resets = self.now() + (
                    timedelta(days=n) if m.group("unit").lower() == "day" else timedelta(days=30 * n)
                )
            out = []
            for name in ("other", "orb"):
                left = plans.number(m.group(name))
                if left is not None:
                    snap = plans.window(self, name, 100 - left, resets, "month", detail=f"{plan} subscription")
                    if snap:
                        out.append(snap)
            return out
        if m := INDIVIDUAL.match(line):
            return [self.quota(kind="balance", scope="individual", remaining=_usd(m.group(1)), unit="usd")]
        if m := WORKSPACE.match(line):
            name = m.group("name").strip()[:60]
            return [self.quota(kind="balance", scope=f"workspace {name}", remaining=_usd(m.group(2)), unit="usd")]
        return []


def _usd(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))
