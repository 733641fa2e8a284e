"""Google: the Gemini API 429 parser, and a Cloud project through a service account (a real signed
JWT checked by a stand-in token endpoint named by the key file's token_uri), Cloud Quotas and
Cloud Monitoring (quota_sources.md §3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from costtui.models import Account
from costtui.providers import Unauthorized
from costtui.providers.cloud import ReadCache
from costtui.providers.google import GeminiProvider, quota_from_error, retry_after_from_error

from .fakes import FakeAPI, Sleeps, js

NOW = datetime(2026, 8, 21, 18, 5, tzinfo=UTC)  # 11:05 in Los Angeles
BODY_429 = {
    "error": {
        "code": 429,
        "message": "You exceeded your current quota ... limit: 20, model: gemini-2.5-flash\nPlease retry in 23.4s.",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {
                        "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                        "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                        "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
                        "quotaValue": "20",
                    },
                    {
                        "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_input_token_count",
                        "quotaId": "GenerateContentInputTokensPerModelPerMinute-FreeTier",
                        "quotaDimensions": {"location": "us-east1", "model": "gemini-2.5-flash"},
                        "quotaValue": "250000",
                    },
                ],
            },
            {"@type": "type.googleapis.com/google.rpc.Help", "links": [{"url": "https://ai.google.dev/"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "29.723877525s"},
        ],
    }
}


def test_quota_from_error_reads_every_violation() -> None:
    day, minute = quota_from_error(json.dumps(BODY_429).encode(), account="ai-studio", now=NOW)
    assert (day.kind, day.scope, day.limit, day.remaining, day.window) == (
        "rate_limit.requests",
        "gemini-2.5-flash",
        Decimal(20),
        Decimal(0),
        "day",
    )
    assert day.resets_at == datetime(2026, 8, 22, 7, tzinfo=UTC)  # midnight Pacific (PDT), not the retry delay
    assert day.source == "proxy" and day.account == "ai-studio" and "free tier" in (day.detail or "")
    assert minute.kind == "rate_limit.input_tokens" and minute.unit == "tokens/minute"
    assert minute.scope == "gemini-2.5-flash (us-east1)" and minute.limit == Decimal(250000)
    assert abs((minute.resets_at - NOW).total_seconds() - 29.723877525) < 0.001  # type: ignore[operator]
    assert day.fraction_used == 1.0


def test_quota_from_error_tolerates_other_shapes() -> None:
    only_help = {"error": {"code": 429, "message": "Resource exhausted. Please retry in 1500ms.", "details": []}}
    assert quota_from_error(only_help) == []
    assert retry_after_from_error(only_help) == 1.5
    assert quota_from_error(b"<html>429</html>") == [] and quota_from_error(b"") == []
    odd = {
        "error": {
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [{"quotaId": "X", "quotaValue": "n/a"}, 7],
                }
            ]
        }
    }
    [snap] = quota_from_error(odd, now=NOW)
    assert snap.limit is None and snap.window is None
    assert quota_from_error([BODY_429], now=NOW) == quota_from_error(BODY_429, now=NOW)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- service account

TOKEN_URI = "https://oauth2.test.invalid/token"
PROJECT = "my-proj"
QUOTAS_PATH = f"/v1/projects/{PROJECT}/locations/global/services/aiplatform.googleapis.com/quotaInfos"
SERIES_PATH = f"/v3/projects/{PROJECT}/timeSeries"
METRIC = "aiplatform.googleapis.com/generate_content_requests_per_minute_per_project_per_base_model"


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def key_file(tmp_path: Path, private_key: rsa.RSAPrivateKey) -> Path:
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    info = {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "kid-1",
        "private_key": pem.decode(),
        "client_email": "costtui@my-proj.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": TOKEN_URI,
    }
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(info))
    return path


def token_endpoint(private_key: rsa.RSAPrivateKey):  # type: ignore[no-untyped-def]
    """A token endpoint that checks the JWT like Google does: signature, issuer, audience, scope."""
    from google.auth import jwt

    public = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def handle(request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
        try:
            claims = jwt.decode(form["assertion"][0], certs=public, audience=TOKEN_URI)
        except ValueError:
            return js({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, 400)
        assert claims["iss"] == "costtui@my-proj.iam.gserviceaccount.com"
        assert claims["scope"] == "https://www.googleapis.com/auth/cloud-platform"
        assert claims["exp"] - claims["iat"] == 3600
        return js({"access_token": "ya29.test", "expires_in": 3599, "token_type": "Bearer"})

    return handle


QUOTA_INFOS = {
    "quotaInfos": [
        {
            "quotaId": "GenerateContentRequestsPerMinutePerProjectPerBaseModel",
            "metric": METRIC,
            "refreshInterval": "minute",
            "containerType": "PROJECT",
            "quotaDisplayName": "Generate content requests per minute per project per base model per region",
            "dimensionsInfos": [
                {"dimensions": {"region": "us-central1", "base_model": "gemini-2.5-pro"}, "details": {"value": "300"}},
                {"dimensions": {}, "details": {"value": "60"}, "applicableLocations": ["global"]},
            ],
        },
        {
            "quotaId": "CustomModelTrainingCPUsPerProjectPerRegion",
            "metric": "aiplatform.googleapis.com/custom_model_training_cpus",
            "dimensionsInfos": [{"details": {"value": "8"}}],
        },
        {
            "quotaId": "Weird",
            "metric": "aiplatform.googleapis.com/generate_weird",
            "containerType": "NEW_KIND",
            "dimensionsInfos": [{"details": {"value": "-1"}}],
        },
    ]
}
SERIES = {
    "timeSeries": [
        {
            "metric": {
                "type": "serviceruntime.googleapis.com/quota/rate/net_usage",
                "labels": {"quota_metric": METRIC},
            },
            "resource": {"type": "consumer_quota", "labels": {"project_id": PROJECT, "location": "us-central1"}},
            "metricKind": "DELTA",
            "points": [
                {
                    "interval": {"startTime": "2026-08-21T18:03:00Z", "endTime": "2026-08-21T18:04:00Z"},
                    "value": {"int64Value": "42"},
                },
                {
                    "interval": {"startTime": "2026-08-21T08:00:00Z", "endTime": "2026-08-21T08:01:00Z"},
                    "value": {"int64Value": "100"},
                },
            ],
        }
    ],
    "nextPageToken": "",
}


def sa_account(key_file: Path) -> Account:
    return Account(
        id=1, provider="gemini", name="vertex", key_kind="none", options={"service_account_file": str(key_file)}
    )


def make(api: FakeAPI, account: Account, key: str = "", cache: ReadCache | None = None) -> GeminiProvider:
    return GeminiProvider(
        account, SecretStr(key), api.client(), sleep=Sleeps(), now=lambda: NOW, cache=cache or ReadCache()
    )


async def test_service_account_token_quotas_and_monitoring(key_file: Path, private_key: rsa.RSAPrivateKey) -> None:
    api = (
        FakeAPI()
        .add("POST", "/token", token_endpoint(private_key))
        .add("GET", QUOTAS_PATH, js(QUOTA_INFOS))
        .add("GET", SERIES_PATH, js(SERIES))
    )
    cache = ReadCache()
    snaps = await make(api, sa_account(key_file), cache=cache).fetch_quotas()
    [tok] = api.calls("/token")
    assert tok.url.host == "oauth2.test.invalid"  # the key file's token_uri
    assert all(
        r.headers["authorization"] == "Bearer ya29.test" for r in api.calls(QUOTAS_PATH) + api.calls(SERIES_PATH)
    )
    by = {s.scope: s for s in snaps}
    regional = by["GenerateContentRequestsPerMinutePerProjectPerBaseModel base_model=gemini-2.5-pro region=us-central1"]
    assert (regional.limit, regional.used, regional.remaining) == (Decimal(300), Decimal(42), Decimal(258))
    assert regional.window == "minute" and regional.unit == "requests/minute"
    assert by["GenerateContentRequestsPerMinutePerProjectPerBaseModel all"].limit == Decimal(60)
    assert not any(
        "CPUs" in s.scope or "Weird" in s.scope for s in snaps
    )  # unused non-generation quota; -1 = unlimited
    series_req = api.calls(SERIES_PATH)[0]
    assert 'metric.type="serviceruntime.googleapis.com/quota/rate/net_usage"' in series_req.url.params["filter"]
    await make(api, sa_account(key_file), cache=cache).fetch_quotas()
    assert len(api.calls("/token")) == 1 and len(api.calls(QUOTAS_PATH)) == 1  # token and limits cached


async def test_a_revoked_key_says_so(key_file: Path) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    api = FakeAPI().add("POST", "/token", token_endpoint(other))
    with pytest.raises(Unauthorized, match="Invalid JWT Signature.*revoked"):
        await make(api, sa_account(key_file)).test_key()


async def test_missing_key_file_and_wrong_file(tmp_path: Path) -> None:
    api = FakeAPI()
    with pytest.raises(Unauthorized, match="does not exist"):
        await make(api, sa_account(tmp_path / "nope.json")).fetch_quotas()
    (tmp_path / "user.json").write_text(json.dumps({"type": "authorized_user"}))
    with pytest.raises(Unauthorized, match="not a service-account key file"):
        await make(api, sa_account(tmp_path / "user.json")).fetch_quotas()


async def test_without_google_auth_the_source_names_the_extra(key_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "google.auth", None)
    api = FakeAPI()
    with pytest.raises(Exception, match=r"pip install 'costtui\[google\]'"):
        await make(api, sa_account(key_file)).fetch_quotas()


async def test_api_key_accounts(tmp_path: Path) -> None:
    api = FakeAPI().add("GET", "/v1beta/models", js({"models": [{"name": "models/gemini-2.5-flash"}]}))
    old = Account(id=1, provider="gemini", name="default", key_kind="inference")
    provider = make(api, old, key="AIzaSyPLAINOLDKEY0123456789")
    assert "key works" in await provider.test_key()
    assert api.calls("/v1beta/models")[0].headers["x-goog-api-key"] == "AIzaSyPLAINOLDKEY0123456789"
    assert await provider.fetch_quotas() == []  # no quota endpoint for API keys


def test_keys_add_gemini_with_a_service_account_stores_no_secret(memory_keyring, db_path, key_file: Path) -> None:
    from click.testing import CliRunner

    from costtui.cli import cli
    from costtui.store import Store

    res = CliRunner().invoke(
        cli, ["keys", "add", "gemini", "--name", "vertex", "-o", f"service_account_file={key_file}"]
    )
    assert res.exit_code == 0, res.output
    assert memory_keyring.store == {}
    with Store(db_path) as store:
        [a] = store.billing.list_accounts()
    assert a.key_kind == "none" and a.options == {"service_account_file": str(key_file)}
    assert "PRIVATE KEY" not in json.dumps(a.model_dump(mode="json"))
