"""DeepSeek balance (``GET /user/balance``; balances are decimal strings); providers.md 4.2."""

from __future__ import annotations

from datetime import date

from costtui.models import QuotaSnapshot, to_decimal
from costtui.providers.base import BadResponse, Progress, Provider, UsageResult, expect_dict, expect_list


class DeepSeekProvider(Provider):
    id = "deepseek"
    default_base_url = "https://api.deepseek.com"
    key_kinds = ("inference",)
    key_hint = "API key sk-…"
    what = "balance"
    supports_quotas = True

    async def _balances(self) -> tuple[bool, list[dict[str, object]]]:
        body = expect_dict(await self.http.get_json("/user/balance"), "/user/balance response", self.id)
        infos = [x for x in expect_list(body.get("balance_infos"), "balance_infos", self.id) if isinstance(x, dict)]
        return bool(body.get("is_available", True)), infos

    async def test_key(self) -> str:
        available, infos = await self._balances()
        shown = ", ".join(f"{i.get('total_balance')} {i.get('currency')}" for i in infos) or "no balance"
        return f"key works (balance {shown}{'' if available else '; not enough for API calls'})"

    async def fetch_quotas(
        self, hints: dict[str, set[str]] | None = None, *, configured: bool = True
    ) -> list[QuotaSnapshot]:
        available, infos = await self._balances()
        out = []
        for info in infos:
            currency = str(info.get("currency") or "cny").lower()
            try:
                total = to_decimal(info.get("total_balance"))
            except ValueError:
                raise BadResponse("deepseek: total_balance is not a decimal") from None
            out.append(
                self.quota(
                    kind="balance",
                    scope=currency,
                    remaining=total,
                    unit=currency,
                    detail=f"granted {info.get('granted_balance')}, topped up {info.get('topped_up_balance')}"
                    + ("" if available else "; not enough for API calls"),
                )
            )
        return out

    async def fetch_usage(self, start: date, end: date, progress: Progress | None = None) -> UsageResult:
        return UsageResult()  # DeepSeek has no usage-history API (console only)
