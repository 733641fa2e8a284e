"""AWS Bedrock: Service Quotas, Cost Explorer and CloudWatch over a stand-in transport shaped like
quota_sources.md §2, with SigV4 on every request, AWS's throttling and error shapes, and profiles."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from costtui.models import Account
from costtui.providers import RateLimited, Unauthorized
from costtui.providers.bedrock import BedrockProvider, inference_kind, quota_matches, read_profile
from costtui.providers.cloud import ReadCache
from costtui.providers.sigv4 import AwsCredentials, canonical_request, signing_key, string_to_sign
from costtui.secrets import pack_fields

from .fakes import Sleeps, js

AKID = "AKIDEXAMPLE12345678"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
NOW = datetime(2026, 8, 21, 12, 0, tzinfo=UTC)
T_DEFAULT = "ServiceQuotasV20190624.ListAWSDefaultServiceQuotas"
T_APPLIED = "ServiceQuotasV20190624.ListServiceQuotas"
T_CE = "AWSInsightsIndexService.GetCostAndUsage"
T_CW = "GraniteServiceVersion20100801.GetMetricData"
SONNET = "us.anthropic.claude-sonnet-4-20250514-v1:0"


def quota(code: str, name: str, value: float) -> dict:
    return {"ServiceCode": "bedrock", "QuotaCode": code, "QuotaName": name, "Value": value, "Unit": "None"}


DEFAULTS = [
    quota("L-1", "Cross-region model inference tokens per minute for Anthropic Claude Sonnet 4", 200000.0),
    quota("L-2", "Cross-region model inference requests per minute for Anthropic Claude Sonnet 4", 200.0),
    quota("L-3", "Model invocation max tokens per day for Anthropic Claude Sonnet 4", 720000000.0),
    quota("L-4", "On-demand model inference tokens per minute for Amazon Nova Lite", 100000.0),
    quota("L-5", "On-demand model inference tokens per minute for Meta Llama 3 8B Instruct", 300000.0),
    quota("L-6", "Batch inference job size (in GB) for Amazon Nova Lite", 5.0),
]


class AWSFake:
    """POST / on several hosts, routed by X-Amz-Target; checks every signature."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.routes: dict[str, list[Callable[[httpx.Request], httpx.Response] | httpx.Response]] = {}
        self.add(T_DEFAULT, js({"Quotas": DEFAULTS[:3], "NextToken": "p2"}))
        self.route_default_pages()
        self.add(T_APPLIED, js({"Quotas": [{**DEFAULTS[4], "Value": 600000.0}]}))
        self.add(T_CW, self.metrics)
        self.add(T_CE, js(COSTS))

    def route_default_pages(self) -> None:
        def pages(request: httpx.Request) -> httpx.Response:
            body = json.loads(request.content)
            if body.get("NextToken") == "p2":
                return js({"Quotas": DEFAULTS[3:]})
            return js({"Quotas": DEFAULTS[:3], "NextToken": "p2"})

        self.add(T_DEFAULT, pages)

    def add(self, target: str, *responses: Callable[[httpx.Request], httpx.Response] | httpx.Response) -> AWSFake:
        self.routes[target] = list(responses)
        return self

    @staticmethod
    def metrics(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        names = [q["Expression"].split('MetricName="')[1].split('"')[0] for q in body["MetricDataQueries"]]
        results = []
        for q, name in zip(body["MetricDataQueries"], names, strict=True):
            if name == "EstimatedTPMQuotaUsage":
                results.append(
                    {
                        "Id": q["Id"],
                        "Label": SONNET,
                        "Timestamps": [1787313480, 1787313540],
                        "Values": [5000.0, 42000.0],
                        "StatusCode": "Complete",
                    }
                )
            elif name in ("InputTokenCount", "OutputTokenCount", "Invocations"):
                value = {"InputTokenCount": 182340.0, "OutputTokenCount": 40511.0, "Invocations": 12.0}[name]
                results.append(
                    {
                        "Id": q["Id"],
                        "Label": SONNET,
                        "Timestamps": [1787184000],
                        "Values": [value],
                        "StatusCode": "Complete",
                    }
                )
                results.append(
                    {
                        "Id": q["Id"],
                        "Label": "amazon.nova-lite-v1:0",
                        "Timestamps": [],
                        "Values": [],
                        "StatusCode": "Complete",
                    }
                )
            else:
                results.append(
                    {"Id": q["Id"], "Label": "x", "Timestamps": [], "Values": [], "StatusCode": "SomethingNew"}
                )
        return js({"MetricDataResults": results, "Messages": []})

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        check_signature(request)
        target = request.headers.get("x-amz-target", "")
        queue = self.routes.get(target)
        if not queue:
            return js({"__type": "UnknownOperationException"}, 400)
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        return item(request) if callable(item) and not isinstance(item, httpx.Response) else item

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))

    def calls(self, target: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.headers.get("x-amz-target") == target]


def check_signature(request: httpx.Request, secret: str = SECRET) -> None:
    """Recompute the signature over what was sent: the bytes signed are the bytes sent."""
    auth = request.headers["authorization"]
    signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    scope = auth.split("Credential=")[1].split(",")[0].split("/", 1)[1]
    day, region, service, _ = scope.split("/")
    headers = [(n, request.headers[n]) for n in signed]
    canonical, _ = canonical_request(request.method, str(request.url), headers, request.content)
    import hmac
    from hashlib import sha256

    key = signing_key(secret, day, region, service)
    expected = hmac.new(
        key, string_to_sign(request.headers["x-amz-date"], scope, canonical).encode(), sha256
    ).hexdigest()
    assert auth.endswith(f"Signature={expected}"), "signature does not match the request sent"


COSTS = {
    "GroupDefinitions": [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "USAGE_TYPE"}],
    "ResultsByTime": [
        {
            "TimePeriod": {"Start": "2026-08-20", "End": "2026-08-21"},
            "Total": {},
            "Groups": [
                {
                    "Keys": ["Claude Sonnet 4 (Amazon Bedrock Edition)", "USE1-MP:USE1_InputTokenCount-Units"],
                    "Metrics": {
                        "UnblendedCost": {"Amount": "3.4125", "Unit": "USD"},
                        "UsageQuantity": {"Amount": "1137.5", "Unit": "N/A"},
                    },
                },
                {
                    "Keys": ["Amazon Bedrock", "USE1-NovaLite-input-tokens"],
                    "Metrics": {"UnblendedCost": {"Amount": "0.0412", "Unit": "USD"}},
                },
                {"Keys": ["Amazon EC2", "BoxUsage"], "Metrics": {"UnblendedCost": {"Amount": "99", "Unit": "USD"}}},
            ],
            "Estimated": True,
        }
    ],
}


def account(kind: str = "admin", **options: str) -> Account:
    return Account(id=1, provider="bedrock", name="work", key_kind=kind, options={"region": "us-east-1", **options})  # type: ignore[arg-type]


def make(
    api: AWSFake, *, kind: str = "admin", cache: ReadCache | None = None, sleep: Sleeps | None = None, **options: str
) -> BedrockProvider:
    key = "" if kind == "none" else pack_fields({"access_key_id": AKID, "secret_access_key": SECRET})
    return BedrockProvider(
        account(kind, **options),
        SecretStr(key),
        api.client(),
        sleep=sleep or Sleeps(),
        now=lambda: NOW,
        cache=cache or ReadCache(),
    )


def test_model_matching() -> None:
    assert quota_matches("Anthropic Claude Sonnet 4", SONNET)
    assert not quota_matches("Anthropic Claude Opus 4", SONNET)
    assert quota_matches("Anthropic Claude 3.5 Sonnet", "anthropic.claude-3-5-sonnet-20240620-v1:0")
    assert [inference_kind(m) for m in (SONNET, "anthropic.claude-v2", "global.anthropic.x")] == [
        "cross-region",
        "on-demand",
        "global",
    ]


async def test_quotas_overlay_applied_on_defaults_and_take_use_from_cloudwatch() -> None:
    api = AWSFake()
    snaps = await make(api).fetch_quotas()
    by = {(s.kind, s.scope): s for s in snaps}
    tpm = by[("quota.tokens", "us-east-1 Anthropic Claude Sonnet 4 (cross-region)")]
    assert tpm.limit == Decimal(200000) and tpm.used == Decimal(42000) and tpm.remaining == Decimal(158000)
    assert tpm.unit == "tokens/min" and tpm.window == "minute"
    assert by[("quota.requests", "us-east-1 Anthropic Claude Sonnet 4 (cross-region)")].limit == Decimal(200)
    assert by[("quota.tokens_day", "us-east-1 Anthropic Claude Sonnet 4")].window == "day"
    raised = by[("quota.tokens", "us-east-1 Meta Llama 3 8B Instruct")]  # unused, but raised: kept
    assert raised.limit == Decimal(600000) and "raised from 300000" in (raised.detail or "")
    assert not any("Nova" in s.scope for s in snaps)  # not used, not raised, and batch sizes are not rate quotas
    assert len(snaps) == 4
    first = json.loads(api.calls(T_DEFAULT)[0].content)
    assert first == {"MaxResults": 100, "ServiceCode": "bedrock"}
    assert json.loads(api.calls(T_DEFAULT)[1].content)["NextToken"] == "p2"
    req = api.calls(T_APPLIED)[0]
    assert req.url.host == "servicequotas.us-east-1.amazonaws.com"
    assert req.headers["content-type"] == "application/x-amz-json-1.1"
    cw = api.calls(T_CW)[0]
    assert (
        cw.url.host == "monitoring.us-east-1.amazonaws.com"
        and cw.headers["content-type"] == "application/x-amz-json-1.0"
    )
    assert "/us-east-1/monitoring/aws4_request" in cw.headers["authorization"]
    assert SECRET not in str(cw.headers)


async def test_cost_explorer_keeps_bedrock_and_marketplace_models() -> None:
    api = AWSFake()
    result = await make(api).fetch_usage(date(2026, 8, 20), date(2026, 8, 20))
    sent = json.loads(api.calls(T_CE)[0].content)
    assert sent["TimePeriod"] == {"Start": "2026-08-20", "End": "2026-08-21"}  # End is exclusive
    assert api.calls(T_CE)[0].url.host == "ce.us-east-1.amazonaws.com"
    costs = [ln for ln in result.lines if ln.stream == "bedrock.cost"]
    assert {(ln.model, ln.line_item, ln.cost_usd) for ln in costs} == {
        ("Claude Sonnet 4", "USE1-MP:USE1_InputTokenCount-Units", Decimal("3.4125")),
        ("", "USE1-NovaLite-input-tokens", Decimal("0.0412")),
    }
    assert all(ln.note and "estimated" in ln.note for ln in costs)
    [tokens] = [ln for ln in result.lines if ln.stream == "bedrock.tokens"]
    assert (tokens.model, tokens.input_tokens, tokens.output_tokens, tokens.requests) == (SONNET, 182340, 40511, 12)
    assert {w.stream for w in result.windows} == {"bedrock.cost", "bedrock.tokens"}


async def test_billing_reads_are_cached() -> None:
    api, cache = AWSFake(), ReadCache()
    for _ in range(2):
        await make(api, cache=cache).fetch_usage(date(2026, 8, 20), date(2026, 8, 20))
    assert len(api.calls(T_CE)) == 1  # Cost Explorer charges per request


async def test_throttling_exception_is_retried_and_backed_off() -> None:
    throttled = js({"__type": "com.amazonaws.servicequotas#TooManyRequestsException", "message": "Rate exceeded"}, 400)
    api = AWSFake()
    api.add(T_APPLIED, throttled, js({"Quotas": []}))
    sleeps = Sleeps()
    await make(api, sleep=sleeps).fetch_quotas()
    assert sleeps.calls == [1.0] and len(api.calls(T_APPLIED)) == 2
    api.add(T_APPLIED, throttled)
    cache = ReadCache(clock=lambda: 50.0)
    with pytest.raises(RateLimited):
        await make(api, cache=cache, sleep=Sleeps()).fetch_quotas()
    n = len(api.calls(T_APPLIED))
    with pytest.raises(RateLimited, match="asking again"):
        await make(api, cache=cache).fetch_quotas()
    assert len(api.calls(T_APPLIED)) == n  # no new request during the back-off


@pytest.mark.parametrize(
    ("kind", "says"),
    [("ExpiredTokenException", "session token expired"), ("UnrecognizedClientException", "check the access key id")],
)
async def test_rejected_credentials_say_what_to_do(kind: str, says: str) -> None:
    api = AWSFake().add(T_DEFAULT, js({"__type": kind, "message": f"The security token {AKID} is invalid"}, 400))
    with pytest.raises(Unauthorized, match=says) as exc:
        await make(api).test_key()
    assert AKID not in str(exc.value)


def write_profile(tmp_path: Path, creds: str, config: str) -> dict[str, str]:
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text(creds)
    (tmp_path / ".aws" / "config").write_text(config)
    return {"HOME": str(tmp_path)}


def test_profiles_static_and_sso(tmp_path: Path) -> None:
    env = write_profile(
        tmp_path,
        f"[work]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n",
        "[profile work]\nregion = eu-west-1\n[profile sso]\nsso_session = corp\nregion = us-west-2\n",
    )
    creds, region, _ = read_profile("work", env)
    assert creds == AwsCredentials(AKID, SECRET, None) and region == "eu-west-1"
    none, region, other = read_profile("sso", env)
    assert none is None and region == "us-west-2" and other == "sso_session"
    with pytest.raises(Unauthorized, match="no AWS profile 'nope'"):
        read_profile("nope", env)


async def test_profile_account_reads_aws_files_at_fetch_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = write_profile(tmp_path, f"[work]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n", "")
    monkeypatch.setenv("HOME", env["HOME"])
    api = AWSFake()
    provider = make(api, kind="none", profile="work")
    assert "credentials work" in await provider.test_key()
    assert f"Credential={AKID}/" in api.calls(T_DEFAULT)[0].headers["authorization"]


async def test_sso_profile_without_botocore_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = write_profile(tmp_path, "", "[profile sso]\nsso_session = corp\n")
    monkeypatch.setenv("HOME", env["HOME"])
    monkeypatch.setattr("costtui.providers.bedrock.botocore_credentials", lambda profile: None)
    with pytest.raises(Unauthorized, match=r"pip install 'costtui\[aws\]'"):
        await make(AWSFake(), kind="none", profile="sso").test_key()


def test_keys_add_bedrock_with_a_profile_stores_nothing(memory_keyring, db_path) -> None:
    from click.testing import CliRunner

    from costtui.cli import cli
    from costtui.store import Store

    runner = CliRunner()
    res = runner.invoke(cli, ["keys", "add", "bedrock", "-o", "profile=work", "-o", "region=us-east-1,eu-west-1"])
    assert res.exit_code == 0, res.output
    assert memory_keyring.store == {}
    with Store(db_path) as store:
        [a] = store.billing.list_accounts()
    assert a.key_kind == "none" and a.options == {"profile": "work", "region": "us-east-1,eu-west-1"}
    keys = runner.invoke(cli, ["keys", "add", "bedrock", "--name", "keys"], input=f"{AKID}\n{SECRET}\n\n")
    assert keys.exit_code == 0, keys.output
    stored = json.loads(memory_keyring.store[("costtui", "bedrock:keys")])
    assert stored == {"access_key_id": AKID, "secret_access_key": SECRET}
    assert SECRET not in keys.output


def test_a_profile_account_is_tested_and_synced_without_a_stored_key(
    memory_keyring, tmp_path: Path, monkeypatch
) -> None:
    from click.testing import CliRunner

    from costtui.cli import cli

    env = write_profile(tmp_path, f"[work]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n", "")
    monkeypatch.setenv("HOME", env["HOME"])
    api = AWSFake()
    monkeypatch.setattr("costtui.services.sync.make_http_client", lambda timeout=30: api.client())
    runner = CliRunner()
    assert runner.invoke(cli, ["keys", "add", "bedrock", "-o", "profile=work", "-o", "region=us-east-1"]).exit_code == 0
    res = runner.invoke(cli, ["keys", "test"])
    assert res.exit_code == 0 and "✓ bedrock/default: credentials work" in res.output, res.output
    res = runner.invoke(cli, ["sync", "--quotas-only", "--json"])
    assert res.exit_code == 0, res.output
    assert memory_keyring.store == {}
