"""Google: the Gemini API's 429 quota details, and Cloud Quotas + Cloud Monitoring for a Cloud
project (quota_sources.md §3).

* Gemini API keys (AI Studio) have no quota or usage endpoint. Their 429 answers name the quota
  that was hit, its limit and when to retry: :func:`quota_from_error` turns such a body into quota
  snapshots, a pure function the proxy calls on every 429 it relays.
* A Cloud project (Vertex AI, or the project behind an AI Studio key): a service-account key file,
  whose path is in the account options (``-o service_account_file=…``) and whose contents are read
  at each fetch and never copied. google-auth (the ``google`` extra) signs the JWT; the token
  exchange goes to the file's ``token_uri`` through costtui's own HTTP client. Limits come from
  the Cloud Quotas API, use from Cloud Monitoring's ``serviceruntime`` quota metrics.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from costtui.models import QuotaSnapshot, to_decimal
from costtui.providers.base import (
    CredentialField,
    Progress,
    ProviderError,
    Unauthorized,
    UsageResult,
    expect_dict,
    sub_dict,
)
from costtui.providers.cloud import LIVE_TTL, SETTINGS_TTL, CloudProvider, digest, token_ttl

PACIFIC = ZoneInfo("America/Los_Angeles")
"""Gemini API daily quotas reset at midnight Pacific time."""
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
QUOTAS_API = "https://cloudquotas.googleapis.com/v1"
MONITORING_API = "https://monitoring.googleapis.com/v3"
GEMINI_API = "https://generativelanguage.googleapis.com/v1beta"
GOOGLE_EXTRA = "pip install 'costtui[google]'"
MAX_PAGES = 20
NET_USAGE = "serviceruntime.googleapis.com/quota/rate/net_usage"
_RETRY_IN = re.compile(r"retry in ([0-9]+(?:\.[0-9]+)?)\s*(ms|s)\b", re.IGNORECASE)
_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)s\s*$")


# --------------------------------------------------------------------------- 429 bodies


def _load(body: Any) -> dict[str, Any]:
    data: Any = body
    if isinstance(body, (bytes, bytearray, str)):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return {}
    # Some gateways wrap the error in a one-element list.
    if isinstance(data, list) and data and isinstance(data[0], dict):
        data = data[0]
    return data if isinstance(data, dict) else {}


def _duration(text: Any) -> float | None:
    """A proto Duration string (``"23s"``, ``"29.723877525s"``) in seconds."""
    if isinstance(text, str) and (m := _DURATION.match(text)):
        return float(m.group(1))
    if isinstance(text, dict):  # {"seconds": "23", "nanos": 0} from a non-JSON-mapped client
        try:
            return float(text.get("seconds") or 0) + float(text.get("nanos") or 0) / 1e9
        except (TypeError, ValueError):
            return None
    return None


def retry_after_from_error(body: bytes | str | dict[str, Any]) -> float | None:
    """Seconds to wait before retrying, from ``RetryInfo`` or else the message's "Please retry in Ns"."""
    err = sub_dict(_load(body), "error")
    for d in err.get("details") or []:
        if isinstance(d, dict) and str(d.get("@type", "")).endswith("google.rpc.RetryInfo"):
            wait = _duration(d.get("retryDelay"))
            if wait is not None:
                return wait
    m = _RETRY_IN.search(str(err.get("message") or ""))
    if m:
        value = float(m.group(1))
        return value / 1000 if m.group(2).lower() == "ms" else value
    return None


def _window(quota_id: str) -> str | None:
    text = quota_id.lower()
    for word, window in (("perday", "day"), ("perminute", "minute"), ("persecond", "second"), ("perhour", "hour")):
        if word in text:
            return window
    return None


def _what(quota_id: str, metric: str) -> str:
    text = f"{quota_id} {metric}".lower()
    if "token" in text:
        return "input_tokens" if "input" in text else "tokens"
    return "requests"


def _next_midnight_pacific(now: datetime) -> datetime:
    local = now.astimezone(PACIFIC)
    tomorrow = (local + timedelta(days=1)).date()
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=PACIFIC).astimezone(UTC)


def quota_from_error(
    body: bytes | str | dict[str, Any], *, account: str = "default", now: datetime | None = None
) -> list[QuotaSnapshot]:
    """The quotas a Gemini API 429 says were hit, as snapshots (``source="proxy"``).

    Each ``QuotaFailure`` violation gives one snapshot: the limit (``quotaValue``), nothing left,
    and when it frees up (``RetryInfo`` for per-minute quotas; the next midnight Pacific for
    per-day ones, which do not clear sooner). A body with no violations (only ``Help``, or a
    Vertex "Resource exhausted") gives none. Never raises: a body it cannot read gives ``[]``."""
    when = now or datetime.now(UTC)
    err = sub_dict(_load(body), "error")
    retry = retry_after_from_error(body)
    out: list[QuotaSnapshot] = []
    for d in err.get("details") or []:
        if not isinstance(d, dict) or not str(d.get("@type", "")).endswith("google.rpc.QuotaFailure"):
            continue
        for v in d.get("violations") or []:
            if not isinstance(v, dict):
                continue
            quota_id = str(v.get("quotaId") or "")
            metric = str(v.get("quotaMetric") or "")
            if not quota_id and not metric:
                continue
            dims = sub_dict(v, "quotaDimensions")
            try:
                limit = to_decimal(v["quotaValue"]) if v.get("quotaValue") not in (None, "") else None
            except ValueError:
                limit = None
            window = _window(quota_id)
            what = _what(quota_id, metric)
            if window == "day":
                resets = _next_midnight_pacific(when)
            elif retry is not None:
                resets = when + timedelta(seconds=retry)
            elif window == "minute":
                resets = when + timedelta(minutes=1)
            else:
                resets = None
            location = str(dims.get("location") or "")
            scope = str(dims.get("model") or "") + (f" ({location})" if location and location != "global" else "")
            out.append(
                QuotaSnapshot(
                    provider="gemini",
                    account=account,
                    kind=f"rate_limit.{what}",
                    scope=scope.strip(),
                    limit=limit,
                    used=limit,
                    remaining=Decimal(0) if limit is not None else None,
                    unit=f"{what.replace('input_', '')}/{window}" if window else what,
                    window=window,
                    resets_at=resets,
                    taken_at=when,
                    source="proxy",
                    detail=f"429 {quota_id or metric}" + (" (free tier)" if "freetier" in quota_id.lower() else ""),
                )
            )
    return out


# --------------------------------------------------------------------------- service account


def read_key_file(path: str) -> dict[str, Any]:
    """The service-account key file (blocking file I/O: run it in a thread). Never stored."""
    p = Path(path).expanduser()
    try:
        info = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Unauthorized(f"gemini: the service-account file {p} does not exist") from None
    except (OSError, ValueError) as exc:
        raise Unauthorized(f"gemini: the service-account file {p} cannot be read ({type(exc).__name__})") from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise Unauthorized(f"gemini: {p} is not a service-account key file (type service_account)")
    for field in ("client_email", "private_key"):
        if not info.get(field):
            raise Unauthorized(f"gemini: the service-account file {p} has no {field}")
    return info


def signed_assertion(info: dict[str, Any], now: float | None = None) -> str:
    """The JWT of the service-account grant, signed by google-auth (raises ImportError without it)."""
    from google.auth import crypt, jwt

    issued = int(now if now is not None else time.time())
    signer = crypt.RSASigner.from_service_account_info(info)
    payload = {
        "iss": info["client_email"],
        "scope": SCOPE,
        "aud": info.get("token_uri") or DEFAULT_TOKEN_URI,
        "iat": issued,
        "exp": issued + 3600,
    }
    token = jwt.encode(signer, payload)
    return token.decode() if isinstance(token, bytes) else str(token)


class GeminiProvider(CloudProvider):
    id = "gemini"
    default_base_url = GEMINI_API
    key_kinds = ("inference", "none")
    key_hint = (
        "a Gemini API key (AI Studio: its 429 quota details are recorded by the proxy), or a Cloud project "
        "with -o service_account_file=PATH (Cloud Quotas Viewer + Monitoring Viewer)"
    )
    what = "Cloud project quotas and their current use (service account); Gemini API 429 quota details via the proxy"
    credential_fields = (
        CredentialField("api_key", "Gemini API key", secret=True, required=False),
        CredentialField("service_account_file", "service-account key file", required=False),
        CredentialField("project", "project id", required=False, help="default: the key file's project_id"),
        CredentialField(
            "service",
            "quota service",
            required=False,
            help="aiplatform.googleapis.com (default) or generativelanguage…",
        ),
    )
    supports_quotas = True

    @classmethod
    def default_kind(cls, options: Any) -> str:
        return "none" if options.get("service_account_file") else "inference"

    @classmethod
    def check_credentials(cls, kind: str, options: Any, secrets: Any) -> None:
        super().check_credentials(kind, options, secrets)
        if kind == "none" and not options.get("service_account_file"):
            raise ValueError("a Google Cloud account needs its service-account key file (-o service_account_file=PATH)")
        if kind != "none" and not secrets.get("api_key"):
            raise ValueError("a Gemini API account needs its key (typed at the hidden prompt, or on stdin)")

    def auth_headers(self, key: SecretStr) -> dict[str, str]:
        return {}

    @property
    def api_key(self) -> str:
        # Accounts added before cloud credentials existed hold the bare key.
        raw = self.key.get_secret_value()
        return self.secret("api_key") or ("" if self.fields or raw.lstrip().startswith("{") else raw)

    # ------------------------------------------------------------------ token

    async def key_info(self) -> dict[str, Any]:
        path = self.option("service_account_file")
        if not path:
            raise Unauthorized("gemini: no service-account file; add one with -o service_account_file=PATH")
        return await asyncio.to_thread(read_key_file, path)

    async def token(self, info: dict[str, Any]) -> str:
        token_uri = str(info.get("token_uri") or DEFAULT_TOKEN_URI)
        fingerprint = digest(str(info.get("private_key_id") or ""), str(info["client_email"]), token_uri)

        async def fetch() -> dict[str, Any]:
            try:
                assertion = await asyncio.to_thread(signed_assertion, info)
            except ImportError:
                raise ProviderError(
                    f"gemini: Google Cloud quotas need google-auth to sign the service-account token: {GOOGLE_EXTRA}"
                ) from None
            except (ValueError, TypeError) as exc:
                raise Unauthorized(
                    f"gemini: the service-account private key cannot be used ({type(exc).__name__})"
                ) from None
            self.hide(assertion)
            form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
            # {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}: a revoked key.
            return await self.exchange_token(
                token_uri, form, path="token", hint="the service-account key may be revoked or deleted"
            )

        body = await self.cached(("token", fingerprint), token_ttl, fetch, host="token")
        token = str(body["access_token"])
        self.hide(token)
        return token

    async def _get(self, url: str, params: list[tuple[str, str]], token: str, ttl: float) -> dict[str, Any]:
        async def fetch() -> dict[str, Any]:
            resp = await self.http.request("GET", url, params=params, headers={"Authorization": f"Bearer {token}"})
            return expect_dict(self.http._json(resp, url.split("googleapis.com")[-1]), "response", self.id)

        host = url.split("/")[2]
        result: dict[str, Any] = await self.cached(("GET", url, tuple(params)), ttl, fetch, host=host)
        return result

    def project(self, info: dict[str, Any]) -> str:
        project = self.option("project") or str(info.get("project_id") or "")
        if not project:
            raise Unauthorized("gemini: no project id; add -o project=ID (the key file has none)")
        return project

    def service(self) -> str:
        return self.option("service", "aiplatform.googleapis.com")

    # ------------------------------------------------------------------ calls

    async def test_key(self) -> str:
        if self.option("service_account_file"):
            info = await self.key_info()
            token = await self.token(info)
            project = self.project(info)
            await self._quota_infos(project, token, page_size=1)
            return f"service account works (project {project}, {self.service()})"
        if not self.api_key:
            raise Unauthorized("gemini: no API key stored for this account")
        resp = await self.http.request(
            "GET", "/models", params={"pageSize": "1"}, headers={"x-goog-api-key": self.api_key}
        )
        self.http._json(resp, "/models")
        return "key works (Gemini API; quota details come from the proxy's 429s)"

    async def _quota_infos(self, project: str, token: str, *, page_size: int = 100) -> list[dict[str, Any]]:
        url = f"{QUOTAS_API}/projects/{quote(project, safe='')}/locations/global/services/{quote(self.service(), safe='')}/quotaInfos"
        out: list[dict[str, Any]] = []
        page: str | None = None
        for _ in range(MAX_PAGES if page_size > 1 else 1):
            params = [("pageSize", str(page_size))] + ([("pageToken", page)] if page else [])
            body = await self._get(url, params, token, SETTINGS_TTL)
            out += [q for q in body.get("quotaInfos") or [] if isinstance(q, dict)]
            nxt = body.get("nextPageToken")
            if not nxt or nxt == page:
                break
            page = str(nxt)
        return out

    async def _net_usage(self, project: str, token: str, now: datetime) -> list[dict[str, Any]]:
        start = max(
            now - timedelta(days=1), datetime.combine(now.astimezone(PACIFIC).date(), datetime.min.time(), PACIFIC)
        )
        filt = (
            f'metric.type="{NET_USAGE}" AND resource.type="consumer_quota" '
            f'AND resource.labels.service="{self.service()}"'
        )
        url = f"{MONITORING_API}/projects/{quote(project, safe='')}/timeSeries"
        base = [
            ("filter", filt),
            ("interval.startTime", start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
            ("interval.endTime", now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
            ("aggregation.alignmentPeriod", "60s"),
            ("aggregation.perSeriesAligner", "ALIGN_SUM"),
        ]
        series: list[dict[str, Any]] = []
        page: str | None = None
        for _ in range(MAX_PAGES):
            body = await self._get(url, base + ([("pageToken", page)] if page else []), token, LIVE_TTL)
            series += [s for s in body.get("timeSeries") or [] if isinstance(s, dict)]
            nxt = body.get("nextPageToken")
            if not nxt or nxt == page:
                break
            page = str(nxt)
        return series

    async def fetch_quotas(
        self, hints: dict[str, set[str]] | None = None, *, configured: bool = True
    ) -> list[QuotaSnapshot]:
        if not self.option("service_account_file"):
            return []  # an AI Studio key: its limits arrive with the 429s the proxy sees
        info = await self.key_info()
        token = await self.token(info)
        project = self.project(info)
        infos = await self._quota_infos(project, token)
        now = self.now()
        try:
            series = await self._net_usage(project, token, now)
        except Unauthorized:
            raise
        except ProviderError:
            series = []  # limits without use are still worth showing (Monitoring Viewer may be missing)
        usage = usage_by_metric(series, now)
        out: list[QuotaSnapshot] = []
        for q in infos:
            out += self._snapshots(q, usage, now)
        return out

    def _snapshots(
        self, q: dict[str, Any], usage: dict[tuple[str, str], tuple[Decimal, Decimal]], now: datetime
    ) -> list[QuotaSnapshot]:
        metric = str(q.get("metric") or "")
        quota_id = str(q.get("quotaId") or "")
        interval = str(q.get("refreshInterval") or "").lower()
        window = "minute" if "minute" in interval else "day" if "day" in interval else None
        used_here = {loc: v for (m, loc), v in usage.items() if m == metric}
        if not used_here and "generate" not in f"{metric} {quota_id}".lower():
            return []  # hundreds of quotas per service: keep those in use and the content-generation ones
        out = []
        for di in q.get("dimensionsInfos") or []:
            if not isinstance(di, dict):
                continue
            dims = sub_dict(di, "dimensions")
            try:
                limit = to_decimal(sub_dict(di, "details").get("value"))
            except ValueError:
                continue
            if limit < 0:
                continue  # -1: unlimited
            region = str(dims.get("region") or "")
            per_minute, per_day = (Decimal(0), Decimal(0))
            for loc, (m_val, d_val) in used_here.items():
                if not region or loc == region:
                    per_minute += m_val
                    per_day += d_val
            used = (per_day if window == "day" else per_minute) if used_here else None
            what = _what(quota_id, metric)
            scope = " ".join(f"{k}={v}" for k, v in sorted(dims.items())) or "all"
            out.append(
                self.quota(
                    kind=f"quota.{what}",
                    scope=f"{quota_id} {scope}",
                    limit=limit,
                    used=used,
                    remaining=(limit - used) if used is not None else None,
                    unit=f"{what.replace('input_', '')}/{window}" if window else what,
                    window=window,
                    resets_at=_next_midnight_pacific(now) if window == "day" else None,
                    detail=str(q.get("quotaDisplayName") or metric) or None,
                )
            )
        return out

    async def fetch_usage(self, start: date, end: date, progress: Progress | None = None) -> UsageResult:
        return UsageResult()  # spend needs a BigQuery billing export (not read yet)


def usage_by_metric(series: list[dict[str, Any]], now: datetime) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """{(quota metric, location): (use in the latest minute, use since midnight Pacific)} from
    ``net_usage`` series (points newest first, int64 values as strings)."""
    midnight = datetime.combine(now.astimezone(PACIFIC).date(), datetime.min.time(), PACIFIC)
    out: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for s in series:
        metric = str(sub_dict(sub_dict(s, "metric"), "labels").get("quota_metric") or "")
        location = str(sub_dict(sub_dict(s, "resource"), "labels").get("location") or "")
        if not metric:
            continue
        minute, day = out.get((metric, location), (Decimal(0), Decimal(0)))
        newest: datetime | None = None
        newest_val = Decimal(0)
        for p in s.get("points") or []:
            if not isinstance(p, dict):
                continue
            try:
                end = datetime.fromisoformat(str(sub_dict(p, "interval").get("endTime")).replace("Z", "+00:00"))
                val = sub_dict(p, "value")
                value = to_decimal(val.get("int64Value", val.get("doubleValue", 0)))
            except ValueError:
                continue
            if end > midnight:
                day += value
            if newest is None or end > newest:
                newest, newest_val = end, value
        if newest is not None and now - newest <= timedelta(minutes=5):
            minute += newest_val
        out[(metric, location)] = (minute, day)
    return out
