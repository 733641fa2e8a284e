"""Cloud sources benchmark: the per-request and per-answer costs that run often.

Prints:
  - SigV4 signing of one AWS JSON request (every Bedrock call; target well under 1 ms);
  - quota_from_error on a Gemini 429 body (the proxy calls it on every 429 it relays; target < 1 ms);
  - parsing a 5,000-row Azure Cost Management page into billed lines;
  - a cached cloud read (what every sync between two remote reads costs).

Run by hand:  python benchmarks/cloud.py
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import httpx
from pydantic import SecretStr

from costtui.models import Account
from costtui.providers.azure import AzureProvider
from costtui.providers.cloud import ReadCache
from costtui.providers.google import quota_from_error
from costtui.providers.sigv4 import AwsCredentials, sign
from costtui.secrets import pack_fields

NOW = datetime(2026, 8, 21, 12, tzinfo=UTC)


def per_call(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def main() -> None:
    creds = AwsCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "token")
    body = json.dumps({"ServiceCode": "bedrock", "MaxResults": 100}).encode()
    headers = {"content-type": "application/x-amz-json-1.1", "x-amz-target": "ServiceQuotasV20190624.ListServiceQuotas"}
    t = per_call(
        lambda: sign(
            "POST",
            "https://servicequotas.us-east-1.amazonaws.com/",
            headers,
            body,
            region="us-east-1",
            service="servicequotas",
            credentials=creds,
            now=NOW,
        ),
        20000,
    )
    print(f"SigV4 sign one request:            {t * 1e6:8.1f} µs")

    error = {
        "error": {
            "code": 429,
            "status": "RESOURCE_EXHAUSTED",
            "message": "Quota exceeded ... Please retry in 23.4s.",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": "m",
                            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                            "quotaDimensions": {"model": "gemini-2.5-flash", "location": "global"},
                            "quotaValue": "10",
                        }
                    ],
                },
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "23s"},
            ],
        }
    }
    raw = json.dumps(error).encode()
    t = per_call(lambda: quota_from_error(raw, now=NOW), 5000)
    print(f"quota_from_error on a 429 body:    {t * 1e6:8.1f} µs")

    rid = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai-{}"
    props = {
        "columns": [{"name": n} for n in ("Cost", "UsageDate", "ResourceId", "Meter", "Currency")],
        "rows": [[0.5 + i / 1000, 20260801 + i % 28, rid.format(i % 7), f"meter {i % 40}", "USD"] for i in range(5000)],
    }
    provider = AzureProvider(
        Account(provider="azure", options={"tenant_id": "t", "client_id": "c", "subscription_id": "s"}),
        SecretStr(pack_fields({"client_secret": "x" * 30})),
        httpx.AsyncClient(),
        now=lambda: NOW,
    )
    t = per_call(lambda: provider._cost_lines(props, date(2026, 8, 1), date(2026, 8, 31)), 5)
    print(f"Azure cost page, 5,000 rows:       {t * 1e3:8.1f} ms")

    cache = ReadCache()

    async def fetch() -> dict[str, int]:
        return {"ok": 1}

    async def cached_reads(n: int) -> float:
        await cache.get("k", 60, fetch)
        start = time.perf_counter()
        for _ in range(n):
            await cache.get("k", 60, fetch)
        return (time.perf_counter() - start) / n

    print(f"cached cloud read:                 {asyncio.run(cached_reads(20000)) * 1e6:8.1f} µs")
    print("(figures taken while other work shares the CPU are pessimistic)")


if __name__ == "__main__":
    main()
