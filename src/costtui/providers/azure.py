"""Azure OpenAI through Azure Resource Manager, with a service principal (quota_sources.md §1).

* Token: the client-credentials grant of Microsoft Entra ID for ``https://management.azure.com/.default``,
  kept until two minutes before it expires (the flow issues no refresh token).
* Spend: the Cost Management Query API (``ActualCost``, daily, grouped by resource and meter,
  filtered to Cognitive Services accounts) → ``cost`` lines of stream ``azure.cost``; the
  ``nextLink`` pages are POSTed with the same body. A 204 is "no data yet", never "nothing spent".
* Quota: the regional usages of Cognitive Services (TPM in thousands, allocated to deployments vs
  approved) and each deployment's enforced rate limits → quota snapshots.
* Throttling: a 429 waits its ``Retry-After`` (Cost Management's own
  ``x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after`` first); the
  ``x-ms-ratelimit-remaining-subscription-reads`` header is kept so that a sync that has few reads
  left stops asking for the optional parts.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from costtui.models import QuotaSnapshot, to_decimal
from costtui.providers.base import (
    BadResponse,
    CredentialField,
    Progress,
    ProviderError,
    Unauthorized,
    UsageResult,
    expect_dict,
    expect_list,
    sub_dict,
)
from costtui.providers.cloud import BILLING_TTL, SETTINGS_TTL, CloudProvider, digest, token_ttl

log = logging.getLogger("costtui.providers.azure")

LOGIN = "https://login.microsoftonline.com"
ARM_SCOPE = "https://management.azure.com/.default"
COST_API = "2023-11-01"
COGNITIVE_API = "2024-10-01"
STREAM = "azure.cost"
LOW_READS = 20
"""With fewer ARM reads left than this, the optional per-deployment reads are skipped."""
QPU_RETRY = "x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after"
ALLOCATION_NOTE = "allocated to deployments in this region (not live use)"


def usage_day(value: Any) -> date:
    """``UsageDate``: a number ``yyyymmdd`` (seen), or an ISO date/time string."""
    if isinstance(value, bool):
        raise BadResponse("azure: UsageDate is not a date")
    if isinstance(value, (int, float)):
        text = str(int(value))
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        except ValueError:
            raise BadResponse(f"azure: UsageDate {text!r} is not yyyymmdd") from None
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit() and len(text) == 8:
            return usage_day(int(text))
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            raise BadResponse(f"azure: UsageDate {text[:30]!r} is not a date") from None
    raise BadResponse("azure: UsageDate is missing")


def resource_name(resource_id: str) -> str:
    """``…/accounts/oai-prod`` → ``oai-prod`` (the name people know the resource by)."""
    return resource_id.rstrip("/").rsplit("/", 1)[-1] if resource_id else ""


def resource_group(resource_id: str) -> str:
    parts = resource_id.split("/")
    lower = [p.lower() for p in parts]
    return parts[lower.index("resourcegroups") + 1] if "resourcegroups" in lower[:-1] else ""


class AzureProvider(CloudProvider):
    id = "azure"
    default_base_url = "https://management.azure.com"
    key_kinds = ("admin",)
    key_hint = (
        "a service principal (app registration): tenant id, client id and a client secret, with Cost Management "
        "Reader and Cognitive Services Usages Reader on the subscription"
    )
    what = "daily spend by resource and meter; regional TPM quota and each deployment's rate limits"
    credential_fields = (
        CredentialField("tenant_id", "tenant id", help="directory (tenant) id or domain"),
        CredentialField("client_id", "client id", help="application (client) id"),
        CredentialField("client_secret", "client secret", secret=True),
        CredentialField("subscription_id", "subscription id"),
        CredentialField("resource_group", "resource group", required=False, help="limit spend to one group"),
        CredentialField(
            "locations", "regions", required=False, help="comma-separated; default: where your resources are"
        ),
    )
    supports_usage = True
    supports_quotas = True

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.http.retry_after_headers = (QPU_RETRY, "retry-after")
        self.http.on_response = self._saw
        self.reads_left: int | None = None

    def _saw(self, resp: httpx.Response) -> None:
        for name in (
            "x-ms-ratelimit-remaining-subscription-reads",
            "x-ms-ratelimit-remaining-subscription-global-reads",
        ):
            value = resp.headers.get(name)
            if value and value.strip().isdigit():
                self.reads_left = int(value)
                if self.reads_left < LOW_READS:
                    log.info("azure: %s ARM reads left in this window", self.reads_left)
                break

    # ------------------------------------------------------------------ token

    async def token(self) -> str:
        tenant, client_id, secret = self.option("tenant_id"), self.option("client_id"), self.secret("client_secret")
        if not (tenant and client_id and secret):
            raise Unauthorized(
                "azure: the account lacks its tenant id, client id or client secret; "
                f"add it again with `costtui keys add azure --name {self.account.name}`"
            )

        async def fetch() -> dict[str, Any]:
            url = f"{self.option('login_url', LOGIN).rstrip('/')}/{quote(tenant, safe='')}/oauth2/v2.0/token"
            form = {
                "client_id": client_id,
                "client_secret": secret,
                "scope": ARM_SCOPE,
                "grant_type": "client_credentials",
            }
            # Entra answers 400/401 with {"error": "invalid_client", "error_description": "AADSTS…"}.
            return await self.exchange_token(
                url, form, path="/oauth2/v2.0/token", hint="check the tenant id, client id and client secret"
            )

        body = await self.cached(("token", tenant, client_id, digest(secret)), token_ttl, fetch, host="login")
        token = str(body["access_token"])
        self.hide(token)
        return token

    async def _arm(self, method: str, path: str, body: Any = None, *, ttl: float, tolerate_404: bool = False) -> Any:
        """One ARM call (cached); 204 comes back as None."""
        token = await self.token()

        async def fetch() -> Any:
            resp = await self.http.request(
                method,
                path,
                json_body=body,
                headers={"Authorization": f"Bearer {token}"},
                tolerate_404=tolerate_404,
            )
            if resp.status_code == 204 or not resp.content:
                return None
            return self.http._json(resp, httpx.URL(path).path if path.startswith("http") else path.split("?")[0])

        return await self.cached((method, path, repr(body)), ttl, fetch, host="arm")

    @property
    def subscription(self) -> str:
        sub = self.option("subscription_id")
        if not sub:
            raise Unauthorized("azure: the account has no subscription id; add it with -o subscription_id=…")
        return sub

    def scope(self) -> str:
        rg = self.option("resource_group")
        base = f"/subscriptions/{quote(self.subscription, safe='')}"
        return f"{base}/resourceGroups/{quote(rg, safe='')}" if rg else base

    async def test_key(self) -> str:
        body = await self._arm(
            "GET", f"/subscriptions/{quote(self.subscription, safe='')}?api-version=2022-12-01", ttl=0
        )
        name = body.get("displayName") if isinstance(body, dict) else None
        return f"service principal works (subscription {name or self.subscription})"

    # ------------------------------------------------------------------ spend

    def cost_query(self, start: date, end: date) -> dict[str, Any]:
        return {
            "type": "ActualCost",
            "timeframe": "Custom",
            "timePeriod": {"from": f"{start.isoformat()}T00:00:00Z", "to": f"{end.isoformat()}T23:59:59Z"},
            "dataset": {
                "granularity": "Daily",
                "aggregation": {"totalCost": {"name": "Cost", "function": "Sum"}},
                "grouping": [
                    {"type": "Dimension", "name": "ResourceId"},
                    {"type": "Dimension", "name": "Meter"},
                ],
                "filter": {
                    "dimensions": {
                        "name": "ResourceType",
                        "operator": "In",
                        "values": ["microsoft.cognitiveservices/accounts"],
                    }
                },
            },
        }

    async def fetch_usage(self, start: date, end: date, progress: Progress | None = None) -> UsageResult:
        result = UsageResult()
        body = self.cost_query(start, end)
        url = f"{self.scope()}/providers/Microsoft.CostManagement/query?api-version={COST_API}"
        seen: set[str] = set()
        rows: dict[tuple[Any, ...], Any] = {}
        page = 0
        complete = True
        while url:
            page += 1
            if progress:
                progress(f"azure: cost {start} → {end} (page {page})")
            answer = await self._arm("POST", url, body, ttl=BILLING_TTL)
            if answer is None:  # 204: the data is not available (yet) — not "nothing spent"
                complete = False
                break
            props = sub_dict(expect_dict(answer, "cost query response", self.id), "properties")
            self._cost_rows(props, start, end, rows)
            nxt = props.get("nextLink")
            if not nxt or not isinstance(nxt, str):
                break
            if nxt in seen:
                raise BadResponse("azure: the cost query returned the same nextLink twice")
            seen.add(nxt)
            url = nxt
        result.lines = self._lines(rows)
        if complete:
            result.windows.append(self.window(STREAM, start, end))
        return result

    def _cost_rows(self, props: dict[str, Any], start: date, end: date, into: dict[tuple[Any, ...], Any]) -> None:
        """Add a page's rows to ``into`` by (day, resource, meter, currency): the same key can come
        back on two pages, and one billed line per key is what the store upserts."""
        columns = expect_list(props.get("columns"), "cost query columns", self.id)
        names = [str(c.get("name")).lower() if isinstance(c, dict) else "" for c in columns]
        col = {n: i for i, n in enumerate(names)}
        if "cost" not in col and "totalcost" not in col:
            raise BadResponse("azure: the cost query answer has no Cost column")
        i_cost = col["cost"] if "cost" in col else col["totalcost"]
        i_day, i_rid, i_cur = col.get("usagedate"), col.get("resourceid"), col.get("currency")
        i_meter = col.get("meter", col.get("metersubcategory"))
        for row in expect_list(props.get("rows"), "cost query rows", self.id):
            if not isinstance(row, list) or len(row) != len(names):
                raise BadResponse("azure: a cost query row does not match its columns")
            day = usage_day(row[i_day] if i_day is not None else None)
            if not start <= day <= end:
                continue
            try:
                cost = to_decimal(row[i_cost]) if row[i_cost] is not None else None
            except ValueError:
                raise BadResponse("azure: a Cost value is not a number") from None
            key = (
                day,
                resource_name(str(row[i_rid] or "")) if i_rid is not None else "",
                str(row[i_meter] or "") if i_meter is not None else "",
                str(row[i_cur] or "usd").lower() if i_cur is not None else "usd",
            )
            if key in into and into[key] is not None and cost is not None:
                into[key] += cost
            elif key not in into or cost is not None:
                into[key] = cost

    def _cost_lines(self, props: dict[str, Any], start: date, end: date) -> list[Any]:
        rows: dict[tuple[Any, ...], Any] = {}
        self._cost_rows(props, start, end, rows)
        return self._lines(rows)

    def _lines(self, rows: dict[tuple[Any, ...], Any]) -> list[Any]:
        return [
            self.line(stream=STREAM, kind="cost", day=d, line_item=meter, project=res, cost_usd=cost, currency=cur)
            for (d, res, meter, cur), cost in rows.items()
        ]

    # ------------------------------------------------------------------ quota

    async def _list(self, path: str, *, ttl: float = SETTINGS_TTL) -> list[dict[str, Any]]:
        """Every item of an ARM list (``value`` + ``nextLink``)."""
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        url: str | None = path
        while url:
            body = await self._arm("GET", url, ttl=ttl)
            if body is None:
                break
            body = expect_dict(body, f"{path.split('?')[0]} response", self.id)
            items += [v for v in expect_list(body.get("value"), "value", self.id) if isinstance(v, dict)]
            nxt = body.get("nextLink")
            url = nxt if isinstance(nxt, str) and nxt and nxt not in seen else None
            if url:
                seen.add(url)
        return items

    async def resources(self) -> list[dict[str, Any]]:
        sub = quote(self.subscription, safe="")
        items = await self._list(
            f"/subscriptions/{sub}/providers/Microsoft.CognitiveServices/accounts?api-version={COGNITIVE_API}"
        )
        rg = self.option("resource_group").lower()
        return [a for a in items if not rg or resource_group(str(a.get("id") or "")).lower() == rg]

    async def fetch_quotas(
        self, hints: dict[str, set[str]] | None = None, *, configured: bool = True
    ) -> list[QuotaSnapshot]:
        out: list[QuotaSnapshot] = []
        resources = await self.resources()
        wanted = [x.strip().lower() for x in self.option("locations").split(",") if x.strip()]
        locations = wanted or sorted({str(a.get("location") or "").lower() for a in resources} - {""})
        sub = quote(self.subscription, safe="")
        for loc in locations:
            usages = await self._list(
                f"/subscriptions/{sub}/providers/Microsoft.CognitiveServices/locations/{quote(loc, safe='')}"
                f"/usages?api-version={COGNITIVE_API}"
            )
            out += [s for u in usages if (s := self._usage_snapshot(loc, u)) is not None]
        errors: list[str] = []
        for res in resources:
            if self.reads_left is not None and self.reads_left < LOW_READS:
                errors.append("deployments skipped: few ARM reads left in this window")
                break
            rid = str(res.get("id") or "")
            if not rid.startswith("/subscriptions/"):
                continue
            try:
                deployments = await self._list(f"{rid}/deployments?api-version={COGNITIVE_API}")
            except ProviderError as exc:
                if isinstance(exc, Unauthorized):
                    raise
                errors.append(f"{resource_name(rid)}: {exc}")
                continue
            for d in deployments:
                out += self._deployment_snapshots(resource_name(rid), d)
        if errors:
            log.info("azure: %s", "; ".join(errors))
        return out

    def _usage_snapshot(self, location: str, usage: dict[str, Any]) -> QuotaSnapshot | None:
        name = sub_dict(usage, "name")
        quota_id = str(name.get("value") or "")
        if not quota_id.startswith(("OpenAI.", "AIServices.")):
            return None  # account counts and other Cognitive Services
        try:
            used = to_decimal(usage["currentValue"]) if usage.get("currentValue") is not None else None
            limit = to_decimal(usage["limit"]) if usage.get("limit") is not None else None
        except ValueError:
            return None
        label = str(name.get("localizedValue") or "")
        provisioned = "Provisioned" in quota_id
        scale = (
            Decimal(1000)
            if not provisioned and ("thousands" in label.lower() or "Tokens" in label or not label)
            else Decimal(1)
        )
        return self.quota(
            kind="quota.ptu" if provisioned else "quota.tokens",
            scope=f"{location} {quota_id.split('.', 1)[1]}",
            used=used * scale if used is not None else None,
            limit=limit * scale if limit is not None else None,
            remaining=(limit - used) * scale if used is not None and limit is not None else None,
            unit="PTU" if provisioned else "tokens/min",
            window=None if provisioned else "minute",
            detail=ALLOCATION_NOTE,
        )

    def _deployment_snapshots(self, resource: str, d: dict[str, Any]) -> list[QuotaSnapshot]:
        props = sub_dict(d, "properties")
        model = sub_dict(props, "model")
        sku = sub_dict(d, "sku")
        scope = f"{resource}/{d.get('name') or '?'}"
        detail = " ".join(str(x) for x in (model.get("name"), model.get("version"), sku.get("name")) if x) or None
        out = []
        raw_limits = props.get("rateLimits")
        limits: list[Any] = raw_limits if isinstance(raw_limits, list) else []
        for rl in limits:
            if not isinstance(rl, dict) or rl.get("key") not in ("request", "token"):
                continue  # unknown keys are ignored
            try:
                count, period = to_decimal(rl.get("count")), to_decimal(rl.get("renewalPeriod") or 60)
            except ValueError:
                continue
            if period <= 0:
                continue
            per_minute = count * 60 / period
            what = "requests" if rl["key"] == "request" else "tokens"
            out.append(
                self.quota(
                    kind=f"configured_rate_limit.{what}",
                    scope=scope,
                    limit=per_minute,
                    unit=f"{what}/min",
                    window="minute",
                    detail=detail,
                )
            )
        if not out and isinstance(sku.get("capacity"), (int, float)) and not isinstance(sku.get("capacity"), bool):
            provisioned = "Provisioned" in str(sku.get("name") or "")
            out.append(
                self.quota(
                    kind="configured_rate_limit.ptu" if provisioned else "configured_rate_limit.tokens",
                    scope=scope,
                    limit=to_decimal(sku["capacity"]) * (1 if provisioned else 1000),
                    unit="PTU" if provisioned else "tokens/min",
                    window=None if provisioned else "minute",
                    detail=detail,
                )
            )
        return out
