"""xAI Management API: prepaid balance (management key + team id); providers.md 4.4.

The team id comes from the account option ``team_id``; without it the key-validation endpoint
(``/auth/management-keys/validation`` → ``scopeId``) is asked. Amounts are USD **cents** in
``{"val": "..."}`` strings, and remaining prepaid credit is a **negative** accounting value. It is
the *posted* ledger, which lags the console mid-cycle; the quota's detail says so.
"""

from __future__ import annotations

from typing import Any

from costtui.models import QuotaSnapshot, cents_to_usd
from costtui.providers.base import BadResponse, Provider, expect_dict, sub_dict

VALIDATION = "/auth/management-keys/validation"
POSTED_NOTE = "posted balance: lags the console mid-cycle by spend not yet posted"
"""The prepaid balance is the posted ledger; the console's live figure can be lower until the
cycle's spend is posted."""


class XAIProvider(Provider):
    id = "xai"
    default_base_url = "https://management-api.x.ai"
    key_kinds = ("management",)
    key_hint = "Management key (console.x.ai → Settings → Management Keys), plus --team-id"
    what = "prepaid balance"
    supports_quotas = True

    async def team_id(self) -> str:
        team = self.account.options.get("team_id")
        if team:
            return team
        body = expect_dict(await self.http.get_json(VALIDATION), "key validation response", self.id)
        scope = body.get("scopeId")
        if not scope:
            raise BadResponse("xai: cannot tell the team id; add the account with --team-id (console URL /team/<id>/)")
        return str(scope)

    async def test_key(self) -> str:
        team = await self.team_id()
        await self._balance(team)
        return f"management key works (team {team})"

    async def _balance(self, team: str) -> dict[str, Any]:
        return expect_dict(
            await self.http.get_json(f"/v1/billing/teams/{team}/prepaid/balance"), "prepaid balance", self.id
        )

    async def fetch_quotas(
        self, hints: dict[str, set[str]] | None = None, *, configured: bool = True
    ) -> list[QuotaSnapshot]:
        body = await self._balance(await self.team_id())
        total = sub_dict(body, "total")
        if total.get("val") is None:
            return []
        try:
            remaining = -cents_to_usd(total["val"])  # negative accounting value = credit left
        except ValueError:
            raise BadResponse("xai: total.val is not a number") from None
        return [self.quota(kind="balance", scope="prepaid", remaining=remaining, unit="usd", detail=POSTED_NOTE)]
