"""AWS Bedrock: Service Quotas, Cost Explorer and CloudWatch, signed with SigV4 (quota_sources.md §2).

* Credentials: an access key pair (+ session token) in the keyring, or the user's own AWS profile
  (``-o profile=NAME``): ``~/.aws/credentials`` and ``~/.aws/config`` are read at each fetch, in a
  thread, never copied. A profile without static keys (SSO, assume-role, ``credential_process``)
  needs botocore, the ``aws`` extra (``pip install 'costtui[aws]'``), which resolves it; the HTTP
  stays in httpx either way.
* Quota: ``ListAWSDefaultServiceQuotas`` overlaid by ``ListServiceQuotas`` (applied values) for
  service ``bedrock`` in each region; the per-minute token quotas get their "used" side from
  CloudWatch ``EstimatedTPMQuotaUsage`` (the figure AWS counts against the quota). Only the quotas
  of models this account used (CloudWatch), or that were raised above the default, are kept: the
  full list has hundreds per region.
* Spend: Cost Explorer ``GetCostAndUsage`` by day, service and usage type. Third-party models are
  billed under their own service names ("Claude Sonnet 4 (Amazon Bedrock Edition)"), so the query
  groups by service and keeps Bedrock's own and every "(Amazon Bedrock Edition)" one.
* Usage: CloudWatch ``AWS/Bedrock`` daily input/output tokens and invocations per model id.
* Throttling: AWS sends 400 ``ThrottlingException`` / ``TooManyRequestsException`` /
  ``LimitExceededException``; these are retried and backed off like a 429.
"""

from __future__ import annotations

import asyncio
import configparser
import json
import os
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from costtui.models import BilledLine, QuotaSnapshot, to_decimal
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
from costtui.providers.cloud import BILLING_TTL, LIVE_TTL, SETTINGS_TTL, CloudProvider, digest
from costtui.providers.sigv4 import AwsCredentials, sign

COST_STREAM = "bedrock.cost"
TOKENS_STREAM = "bedrock.tokens"
THROTTLING = ("ThrottlingException", "TooManyRequestsException", "LimitExceededException", "Throttling")
AUTH_ERRORS = (
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
)
MAX_PAGES = 20
"""Pages of one list read per sync (Bedrock has hundreds of quotas per region; 100 a page)."""
EDITION = "(Amazon Bedrock Edition)"
AWS_EXTRA = "pip install 'costtui[aws]'"

_QUOTA_NAME = re.compile(
    r"^(?P<kind>On-demand|Cross-region|Global cross-region) model inference (?P<what>tokens|requests) per minute for (?P<model>.+)$"
    r"|^Model invocation max tokens per day for (?P<day_model>.+)$",
    re.IGNORECASE,
)


def error_type(resp: httpx.Response) -> str:
    """``ThrottlingException`` from ``{"__type": "com.amazonaws…#ThrottlingException"}`` (or the header)."""
    name = resp.headers.get("x-amzn-errortype", "")
    try:
        body = resp.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("__type"), str):
        name = body["__type"]
    return name.split("#")[-1].split(":")[0].strip()


def model_tokens(text: str) -> set[str]:
    """Words of a model name or id, to match "Anthropic Claude Sonnet 4" with
    ``us.anthropic.claude-sonnet-4-20250514-v1:0`` (display names are not ids)."""
    return {t for t in re.split(r"[^a-z0-9]+", text.lower()) if t}


GEO_PREFIXES = frozenset({"us", "eu", "apac", "jp", "au", "ca", "us-gov"})


def inference_kind(model_id: str) -> str:
    """``on-demand`` (``anthropic.claude…``), ``cross-region`` (``us.anthropic…``) or ``global``."""
    first = model_id.split(".", 1)[0].lower()
    if first == "global":
        return "global"
    return "cross-region" if first in GEO_PREFIXES else "on-demand"


def quota_matches(display: str, model_id: str) -> bool:
    want = model_tokens(display)
    return bool(want) and want <= model_tokens(model_id)


# --------------------------------------------------------------------------- profiles


def _ini(path: Path) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None)
    if path.is_file():
        cp.read(path, encoding="utf-8")
    return cp


def read_profile(profile: str, env: dict[str, str] | None = None) -> tuple[AwsCredentials | None, str, str]:
    """(static credentials or None, region from the config, what the profile uses instead of keys).

    Reads ``~/.aws/credentials`` and ``~/.aws/config`` (or ``AWS_SHARED_CREDENTIALS_FILE`` /
    ``AWS_CONFIG_FILE``); blocks on file I/O, so it runs in a thread."""
    e = os.environ if env is None else env
    home = Path(e.get("HOME") or Path.home())
    cred_file = Path(e.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials").expanduser()
    conf_file = Path(e.get("AWS_CONFIG_FILE") or home / ".aws" / "config").expanduser()
    creds, conf = _ini(cred_file), _ini(conf_file)
    section = "default" if profile == "default" else f"profile {profile}"
    cfg = dict(conf[section]) if conf.has_section(section) else {}
    if profile == "default" and not cfg and conf.has_section("profile default"):
        cfg = dict(conf["profile default"])
    keys = dict(creds[profile]) if creds.has_section(profile) else {}
    merged = {**cfg, **keys}
    if not keys and not cfg:
        raise Unauthorized(f"bedrock: no AWS profile {profile!r} in {cred_file} or {conf_file}")
    region = merged.get("region", "")
    akid, secret = merged.get("aws_access_key_id", ""), merged.get("aws_secret_access_key", "")
    if akid and secret:
        return (
            AwsCredentials(akid.strip(), secret.strip(), (merged.get("aws_session_token") or "").strip() or None),
            region,
            "",
        )
    other = next(
        (
            k
            for k in ("sso_session", "sso_start_url", "role_arn", "credential_process", "web_identity_token_file")
            if k in merged
        ),
        "",
    )
    return None, region, other


def botocore_credentials(profile: str) -> AwsCredentials | None:
    """SSO / assume-role / credential_process profiles, resolved by botocore when it is installed."""
    try:
        import botocore.session  # type: ignore[import-not-found]
    except ImportError:
        return None
    frozen = botocore.session.Session(profile=profile).get_credentials()
    if frozen is None:
        return None
    f = frozen.get_frozen_credentials()
    return AwsCredentials(f.access_key, f.secret_key, f.token or None)


class BedrockProvider(CloudProvider):
    id = "bedrock"
    default_base_url = ""
    key_kinds = ("admin", "none")
    key_hint = (
        "an IAM access key (servicequotas:List*, ce:GetCostAndUsage, cloudwatch:GetMetricData), "
        "or your AWS profile with -o profile=NAME (kind none: nothing stored)"
    )
    what = "Bedrock quotas (TPM/RPM/TPD) with current use; daily spend by usage type; tokens per model"
    credential_fields = (
        CredentialField("access_key_id", "access key id", secret=True),
        CredentialField("secret_access_key", "secret access key", secret=True),
        CredentialField("session_token", "session token", secret=True, required=False),
        CredentialField("profile", "AWS profile", required=False, help="use ~/.aws instead of stored keys"),
        CredentialField(
            "region", "region(s)", required=False, help="comma-separated; default the profile's or us-east-1"
        ),
    )
    supports_usage = True
    supports_quotas = True

    @classmethod
    def default_kind(cls, options: Any) -> str:
        return "none" if options.get("profile") else "admin"

    @classmethod
    def check_credentials(cls, kind: str, options: Any, secrets: Any) -> None:
        super().check_credentials(kind, options, secrets)
        if kind == "none" and not options.get("profile"):
            raise ValueError("an AWS account without stored keys needs its profile (-o profile=NAME)")

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.http.throttled = lambda resp: resp.status_code == 400 and error_type(resp) in THROTTLING
        self._resolved: tuple[AwsCredentials, str] | None = None

    # ------------------------------------------------------------------ credentials

    async def credentials(self) -> tuple[AwsCredentials, str]:
        """The keys to sign with and the profile's region ('' when none)."""
        if self._resolved is not None:
            return self._resolved
        profile = self.option("profile")
        if self.account.key_kind != "none" or not profile:
            akid, secret = self.secret("access_key_id"), self.secret("secret_access_key")
            if not (akid and secret):
                raise Unauthorized(
                    "bedrock: the account lacks its access key id or secret access key; add it again with "
                    f"`costtui keys add bedrock --name {self.account.name}` (or use -o profile=NAME)"
                )
            self._resolved = (AwsCredentials(akid, secret, self.secret("session_token") or None), "")
        else:
            creds, region, other = await asyncio.to_thread(read_profile, profile)
            if creds is None:
                creds = await asyncio.to_thread(botocore_credentials, profile)
                if creds is None:
                    raise Unauthorized(
                        f"bedrock: AWS profile {profile!r} has no static keys ({other or 'nothing usable'}); "
                        f"costtui resolves SSO/assume-role profiles with botocore: {AWS_EXTRA}"
                    )
            self._resolved = (creds, region)
        self.hide(*(v for v in (self._resolved[0].secret_access_key, self._resolved[0].session_token) if v))
        return self._resolved

    async def regions(self) -> list[str]:
        _, profile_region = await self.credentials()
        given = [r.strip() for r in self.option("region").split(",") if r.strip()]
        return given or [profile_region or os.environ.get("AWS_REGION", "") or "us-east-1"]

    # ------------------------------------------------------------------ calls

    def endpoint(self, service: str, region: str) -> str:
        if self.account.base_url:  # a test server or a VPC endpoint
            return self.account.base_url.rstrip("/") + "/"
        suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        return f"https://{service}.{region}.{suffix}/"

    async def call(
        self, service: str, region: str, target: str, payload: dict[str, Any], *, json_version: str, ttl: float
    ) -> dict[str, Any]:
        creds, _ = await self.credentials()
        url = self.endpoint(service, region)
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        signed = {"content-type": f"application/x-amz-json-{json_version}", "x-amz-target": target}

        def signer(method: str, u: str, content: bytes) -> dict[str, str]:
            return {**signed, **sign(method, u, signed, content, region=region, service=service, credentials=creds)}

        async def fetch() -> dict[str, Any]:
            last: list[str] = []
            self.http.on_response = lambda r: last.append(error_type(r)) if r.status_code >= 400 else None
            try:
                resp = await self.http.request("POST", url, content=body, sign=signer)
            except ProviderError as exc:
                kind = last[-1] if last else ""
                if kind in AUTH_ERRORS:
                    raise Unauthorized(
                        self.http.redact(
                            f"bedrock: AWS refused the credentials ({kind}): "
                            + (
                                "the session token expired; refresh the profile (e.g. `aws sso login`) or add new keys"
                                if kind == "ExpiredTokenException"
                                else "check the access key id and secret, or the profile"
                            )
                        ),
                        status=exc.status,
                    ) from None
                if kind and kind not in str(exc):
                    raise type(exc)(f"{exc} [{kind}]", status=exc.status) from None
                raise
            finally:
                self.http.on_response = None
            return expect_dict(self.http._json(resp, target), f"{target} response", self.id)

        key = (service, region, target, digest(body.decode()))
        return await self.cached(key, ttl, fetch, host=f"{service}.{region}")

    async def test_key(self) -> str:
        region = (await self.regions())[0]
        body = await self.call(
            "servicequotas",
            region,
            "ServiceQuotasV20190624.ListAWSDefaultServiceQuotas",
            {"ServiceCode": "bedrock", "MaxResults": 1},
            json_version="1.1",
            ttl=0,
        )
        n = len(body.get("Quotas") or [])
        return f"credentials work (Service Quotas answered in {region}{'' if n else ', no Bedrock quotas listed'})"

    # ------------------------------------------------------------------ quotas

    async def _quota_list(self, region: str, target: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            payload: dict[str, Any] = {"ServiceCode": "bedrock", "MaxResults": 100}
            if token:
                payload["NextToken"] = token
            body = await self.call("servicequotas", region, target, payload, json_version="1.1", ttl=SETTINGS_TTL)
            items += [
                q for q in expect_list(body.get("Quotas"), "Quotas", self.id, optional=True) if isinstance(q, dict)
            ]
            nxt = body.get("NextToken")
            if not nxt or nxt == token:
                break
            token = str(nxt)
        return items

    async def service_quotas(self, region: str) -> list[dict[str, Any]]:
        """Default values overlaid by the applied ones (ListServiceQuotas omits quotas it has no
        applied value for), each with ``_default`` set."""
        defaults = await self._quota_list(region, "ServiceQuotasV20190624.ListAWSDefaultServiceQuotas")
        applied = await self._quota_list(region, "ServiceQuotasV20190624.ListServiceQuotas")
        by_code: dict[str, dict[str, Any]] = {}
        for q in defaults:
            code = str(q.get("QuotaCode") or q.get("QuotaName") or "")
            by_code[code] = {**q, "_default": q.get("Value")}
        for q in applied:
            code = str(q.get("QuotaCode") or q.get("QuotaName") or "")
            by_code[code] = {**by_code.get(code, {}), **q, "_default": by_code.get(code, {}).get("_default")}
        return list(by_code.values())

    async def metric_data(
        self, region: str, metrics: list[str], start: datetime, end: datetime, period: int, stat: str, ttl: float
    ) -> dict[str, dict[str, list[tuple[datetime, Decimal]]]]:
        """{metric: {model id: [(time, value)]}} for every model id with data (SEARCH expressions)."""
        queries = [
            {
                "Id": f"m{i}",
                "Expression": f"SEARCH('{{AWS/Bedrock,ModelId}} MetricName=\"{m}\"', '{stat}', {period})",
                "Label": "${PROP('Dim.ModelId')}",
                "ReturnData": True,
            }
            for i, m in enumerate(metrics)
        ]
        out: dict[str, dict[str, list[tuple[datetime, Decimal]]]] = {m: {} for m in metrics}
        token: str | None = None
        for _ in range(MAX_PAGES):
            payload: dict[str, Any] = {
                "StartTime": int(start.timestamp()),
                "EndTime": int(end.timestamp()),
                "ScanBy": "TimestampAscending",
                "MetricDataQueries": queries,
            }
            if token:
                payload["NextToken"] = token
            body = await self.call(
                "monitoring",
                region,
                "GraniteServiceVersion20100801.GetMetricData",
                payload,
                json_version="1.0",
                ttl=ttl,
            )
            for r in expect_list(body.get("MetricDataResults"), "MetricDataResults", self.id, optional=True):
                if not isinstance(r, dict) or r.get("StatusCode") in ("Forbidden", "InternalError"):
                    continue
                rid = str(r.get("Id") or "")
                if not rid.startswith("m") or not rid[1:].isdigit() or int(rid[1:]) >= len(metrics):
                    continue
                series = out[metrics[int(rid[1:])]].setdefault(str(r.get("Label") or ""), [])
                for ts, v in zip(r.get("Timestamps") or [], r.get("Values") or [], strict=False):
                    when = self._when(ts)
                    if when is not None and isinstance(v, (int, float)) and not isinstance(v, bool):
                        series.append((when, to_decimal(v)))
            nxt = body.get("NextToken")
            if not nxt or nxt == token:
                break
            token = str(nxt)
        return out

    @staticmethod
    def _when(ts: Any) -> datetime | None:
        if isinstance(ts, (int, float)) and not isinstance(ts, bool):
            return datetime.fromtimestamp(ts, UTC)
        if isinstance(ts, str):
            try:
                return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC)
            except ValueError:
                return None
        return None

    async def fetch_quotas(
        self, hints: dict[str, set[str]] | None = None, *, configured: bool = True
    ) -> list[QuotaSnapshot]:
        out: list[QuotaSnapshot] = []
        now = self.now()
        for region in await self.regions():
            quotas = await self.service_quotas(region)
            usage = await self.metric_data(
                region, ["EstimatedTPMQuotaUsage", "Invocations"], now - timedelta(minutes=15), now, 60, "Sum", LIVE_TTL
            )
            day_usage = await self.metric_data(
                region,
                ["InputTokenCount", "OutputTokenCount"],
                now - timedelta(days=7),
                now,
                86400,
                "Sum",
                SETTINGS_TTL,
            )
            used_models = {m for series in (*usage.values(), *day_usage.values()) for m, pts in series.items() if pts}
            for q in quotas:
                snap = self._quota_snapshot(region, q, used_models, usage.get("EstimatedTPMQuotaUsage", {}))
                if snap is not None:
                    out.append(snap)
        return out

    def _quota_snapshot(
        self,
        region: str,
        q: dict[str, Any],
        used_models: set[str],
        tpm_usage: dict[str, list[tuple[datetime, Decimal]]],
    ) -> QuotaSnapshot | None:
        name = str(q.get("QuotaName") or "")
        m = _QUOTA_NAME.match(name)
        if m is None:
            return None  # account-wide and other quotas (batch jobs, agents, …)
        display = m.group("model") or m.group("day_model") or ""
        try:
            limit = to_decimal(q["Value"]) if isinstance(q.get("Value"), (int, float, str)) else None
            default = to_decimal(q["_default"]) if isinstance(q.get("_default"), (int, float, str)) else None
        except ValueError:
            return None
        matched = sorted(mid for mid in used_models if quota_matches(display, mid))
        raised = limit is not None and default is not None and limit != default
        if not matched and not raised:
            return None
        per_day = m.group("day_model") is not None
        what = "tokens" if per_day else m.group("what").lower()
        kind = m.group("kind") or ""
        used = None
        if what == "tokens" and not per_day:
            # The latest complete minute of the matching model ids, as AWS counts it against the quota.
            want = {"cross-region": "cross-region", "global cross-region": "global"}.get(kind.lower(), "on-demand")
            ids = [mid for mid in matched if inference_kind(mid) == want]
            latest = [max(tpm_usage[mid], key=lambda p: p[0])[1] for mid in ids if tpm_usage.get(mid)]
            used = sum(latest, start=Decimal(0)) if latest else None
        detail = f"{kind or 'Daily'} quota for {display}"
        if raised:
            detail += f" (raised from {default})"
        err = q.get("ErrorReason")
        if isinstance(err, dict) and err.get("ErrorCode"):
            detail += f"; AWS: {err.get('ErrorCode')}"
        return self.quota(
            kind=f"quota.{what}" + ("_day" if per_day else ""),
            scope=f"{region} {display}" + (f" ({kind.lower()})" if kind and kind.lower() != "on-demand" else ""),
            limit=limit,
            used=used,
            remaining=(limit - used) if limit is not None and used is not None else None,
            unit=f"{what}/day" if per_day else f"{what}/min",
            window="day" if per_day else "minute",
            detail=detail,
        )

    # ------------------------------------------------------------------ spend and usage

    def cost_query(self, start: date, end: date, *, record_filter: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "TimePeriod": {"Start": start.isoformat(), "End": (end + timedelta(days=1)).isoformat()},
            "Granularity": "DAILY",
            "Metrics": ["UnblendedCost", "UsageQuantity"],
            "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "USAGE_TYPE"}],
        }
        if record_filter:
            body["Filter"] = {"Not": {"Dimensions": {"Key": "RECORD_TYPE", "Values": ["Credit", "Refund", "Tax"]}}}
        return body

    async def _cost_pages(self, start: date, end: date) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        token: str | None = None
        record_filter = True
        for _ in range(MAX_PAGES):
            payload = self.cost_query(start, end, record_filter=record_filter)
            if token:
                payload["NextPageToken"] = token
            try:
                body = await self.call(
                    "ce",
                    "us-east-1",
                    "AWSInsightsIndexService.GetCostAndUsage",
                    payload,
                    json_version="1.1",
                    ttl=BILLING_TTL,
                )
            except BadResponse as exc:
                if record_filter and "RECORD_TYPE" in str(exc) and not token:
                    record_filter = False  # an account where that filter is refused: ask without it
                    continue
                raise
            results += [
                r for r in expect_list(body.get("ResultsByTime"), "ResultsByTime", self.id) if isinstance(r, dict)
            ]
            nxt = body.get("NextPageToken")
            if not nxt or nxt == token:
                return results
            token = str(nxt)
        raise BadResponse("bedrock: Cost Explorer kept paging; try a shorter range")

    async def fetch_usage(self, start: date, end: date, progress: Progress | None = None) -> UsageResult:
        result = UsageResult()
        if progress:
            progress(f"bedrock: Cost Explorer {start} → {end}")
        for r in await self._cost_pages(start, end):
            result.lines += self._cost_lines(r, start, end)
        result.windows.append(self.window(COST_STREAM, start, end))
        begin = datetime(start.year, start.month, start.day, tzinfo=UTC)
        finish = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
        for region in await self.regions():
            if progress:
                progress(f"bedrock: CloudWatch tokens in {region}")
            try:
                data = await self.metric_data(
                    region,
                    ["InputTokenCount", "OutputTokenCount", "Invocations"],
                    begin,
                    finish,
                    86400,
                    "Sum",
                    SETTINGS_TTL,
                )
            except ProviderError as exc:
                if isinstance(exc, Unauthorized):
                    raise
                result.errors.append(f"CloudWatch {region}: {exc}")
                continue
            result.lines += self._token_lines(region, data, start, end)
        if not result.errors:
            result.windows.append(self.window(TOKENS_STREAM, start, end))
        return result

    def _cost_lines(self, r: dict[str, Any], start: date, end: date) -> list[BilledLine]:
        period = sub_dict(r, "TimePeriod")
        try:
            day = date.fromisoformat(str(period.get("Start")))
        except ValueError:
            raise BadResponse("bedrock: a Cost Explorer period has no start date") from None
        if not start <= day <= end:
            return []
        out = []
        for g in r.get("Groups") or []:
            if not isinstance(g, dict):
                continue
            keys = [str(k) for k in g.get("Keys") or []]
            service = keys[0] if keys else ""
            if service != "Amazon Bedrock" and not service.endswith(EDITION):
                continue
            metrics = sub_dict(g, "Metrics")
            cost = sub_dict(metrics, "UnblendedCost")
            qty = sub_dict(metrics, "UsageQuantity")
            try:
                amount = to_decimal(cost["Amount"]) if cost.get("Amount") is not None else None
                quantity = to_decimal(qty["Amount"]) if qty.get("Amount") is not None else None
            except ValueError:
                raise BadResponse("bedrock: a Cost Explorer amount is not a decimal") from None
            out.append(
                self.line(
                    stream=COST_STREAM,
                    kind="cost",
                    day=day,
                    model=service.removesuffix(EDITION).strip() if service.endswith(EDITION) else "",
                    line_item=keys[1] if len(keys) > 1 else service,
                    cost_usd=amount,
                    currency=str(cost.get("Unit") or "usd"),
                    quantity=quantity,
                    quantity_unit=str(qty.get("Unit")) if qty.get("Unit") and qty.get("Unit") != "N/A" else None,
                    note="estimated: AWS has not finalised this period" if r.get("Estimated") else None,
                )
            )
        return out

    def _token_lines(
        self, region: str, data: dict[str, dict[str, list[tuple[datetime, Decimal]]]], start: date, end: date
    ) -> list[BilledLine]:
        rows: dict[tuple[date, str], dict[str, int]] = {}
        for metric, field in (
            ("InputTokenCount", "input_tokens"),
            ("OutputTokenCount", "output_tokens"),
            ("Invocations", "requests"),
        ):
            for model, points in data.get(metric, {}).items():
                for when, value in points:
                    day = when.date()
                    if start <= day <= end and model:
                        row = rows.setdefault((day, model), {})
                        row[field] = row.get(field, 0) + int(value)
        return [
            self.line(stream=TOKENS_STREAM, kind="usage", day=day, model=model, project=region, **counts)
            for (day, model), counts in sorted(rows.items())
        ]
