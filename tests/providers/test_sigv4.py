"""The SigV4 signer against AWS's published Signature Version 4 test suite (tests/providers/data)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from costtui.providers.sigv4 import AwsCredentials, canonical_request, sign

SUITE = json.loads((Path(__file__).parent / "data" / "sigv4_suite.json").read_text())
CREDS = AwsCredentials(SUITE["access_key_id"], SUITE["secret_access_key"])
WHEN = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)


@pytest.mark.parametrize("case", SUITE["cases"], ids=[c["name"] for c in SUITE["cases"]])
def test_aws_suite(case: dict) -> None:
    headers = [tuple(h) for h in case["headers"]]
    body = case["body"].encode()
    token = [("X-Amz-Security-Token", case["session_token"])] if case["session_token"] else []
    canonical, _ = canonical_request(case["method"], case["url"], headers + token, body)
    assert canonical == case["canonical_request"]
    creds = AwsCredentials(CREDS.access_key_id, CREDS.secret_access_key, case["session_token"])
    added = sign(
        case["method"],
        case["url"],
        headers,
        body,
        region=SUITE["region"],
        service=SUITE["service"],
        credentials=creds,
        now=WHEN,
    )
    assert added["authorization"] == case["authorization"]


def test_the_suite_has_the_classic_vectors() -> None:
    names = {c["name"] for c in SUITE["cases"]}
    assert {
        "get-vanilla",
        "get-vanilla-query",
        "post-vanilla",
        "post-x-www-form-urlencoded",
        "get-header-key-duplicate",
    } <= names


def test_signing_adds_host_date_and_token_and_never_shows_the_secret() -> None:
    creds = AwsCredentials("AKIDEXAMPLE", SUITE["secret_access_key"], "TOKEN123")
    added = sign(
        "POST",
        "https://ce.us-east-1.amazonaws.com/",
        {"x-amz-target": "T"},
        b"{}",
        region="us-east-1",
        service="ce",
        credentials=creds,
        now=WHEN,
    )
    assert added["x-amz-date"] == "20150830T123600Z" and added["x-amz-security-token"] == "TOKEN123"
    assert "SignedHeaders=host;x-amz-date;x-amz-security-token;x-amz-target" in added["authorization"]
    assert "/20150830/us-east-1/ce/aws4_request" in added["authorization"]
    assert SUITE["secret_access_key"] not in repr(creds) + str(added)
