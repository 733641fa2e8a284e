"""Moonshot / Kimi balance (``GET /v1/users/me/balance``); providers.md 4.3.

The response has no currency: ``api.moonshot.ai`` is USD, ``api.moonshot.cn`` is CNY.
"""

from __future__ import annotations

import httpx

from costtui.models import QuotaSnapshot, to_decimal
from costtui.providers.base import BadResponse, Provider, expect_dict


class MoonshotProvider(Provider):
    id = "moonshot"
    default_base_url = "https://api.moonshot.ai"
    key_kinds = ("inference",)
    key_hint = "API key (api.moonshot.ai: USD; --base-url https://api.moonshot.cn: CNY)"
    what = "balance"
    supports_quotas = True

    @property
    def currency(self) -> str:
        host = httpx.URL(self.http.base_url).host
        return "cny" if host.endswith(".cn") else "usd"

    async def _balance(self) -> dict[str, object]:
        body = expect_dict(await self.http.get_json("/v1/users/me/balance"), "balance response", self.id)
        if body.get("code") not in (0, None):
            raise BadResponse(f"moonshot: balance call returned code {body.get('code')}")
        return expect_dict(body.get("data"), "balance data", self.id)

    async def test_key(self) -> str:
        data = await self._balance()
        return f"key works (available {data.get('available_balance')} {self.currency.upper()})"

    async def fetch_quotas(
        self, hints: dict[str, set[str]] | None = None, *, configured: bool = True
    ) -> list[QuotaSnapshot]:
        data = await self._balance()
        if data.get("available_balance") is None:
            return []
        return [
            self.quota(
                kind="balance",
                scope=self.currency,
                remaining=to_decimal(data["available_balance"]),
                unit=self.currency,
                detail=f"voucher {data.get('voucher_balance')}, cash {data.get('cash_balance')}",
            )
        ]
