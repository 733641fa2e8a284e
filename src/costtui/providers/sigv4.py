"""AWS Signature Version 4, stdlib only (quota_sources.md §2.0.2; checked against AWS's SigV4 test suite).

The signer is small and fully specified, so costtui carries its own rather than botocore. It signs
every header it is given plus ``x-amz-date`` (and ``x-amz-security-token`` for temporary
credentials); headers the HTTP client adds later (``accept``, ``user-agent``, ``content-length``)
stay unsigned, which AWS allows. The body signed must be the body sent: callers pass bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class AwsCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def __repr__(self) -> str:  # never show the secret
        return f"AwsCredentials(access_key_id={self.access_key_id[:4]}…)"


def _enc(text: str) -> str:
    """RFC 3986 encoding: only unreserved characters stay as they are."""
    return quote(text, safe="-_.~")


def canonical_path(path: str) -> str:
    """The path with dot segments resolved and repeated slashes collapsed, each segment encoded."""
    if not path:
        return "/"
    trailing = path.endswith("/") and path != "/"
    norm = posixpath.normpath("/" + path.lstrip("/"))
    norm = re.sub("/+", "/", norm)
    if trailing and norm != "/":
        norm += "/"
    return "/".join(_enc(seg) for seg in norm.split("/"))


def canonical_query(query: str) -> str:
    """``a=1&b`` pairs, decoded then encoded the AWS way, sorted by name then value."""
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((_enc(unquote(name)), _enc(unquote(value))))
    return "&".join(f"{n}={v}" for n, v in sorted(pairs))


def canonical_headers(headers: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """(canonical header lines, signed header names): names lower-cased and sorted, values
    trimmed with inner runs of spaces made one, a repeated header's values joined by commas."""
    merged: dict[str, list[str]] = {}
    for name, value in headers:
        merged.setdefault(name.strip().lower(), []).append(_SPACES.sub(" ", value.strip()))
    names = sorted(merged)
    lines = "".join(f"{n}:{','.join(merged[n])}\n" for n in names)
    return lines, ";".join(names)


def canonical_request(method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes) -> tuple[str, str]:
    """(canonical request, signed header names)."""
    parts = urlsplit(url)
    lines, signed = canonical_headers(headers)
    text = "\n".join(
        [
            method.upper(),
            canonical_path(unquote(parts.path)),
            canonical_query(parts.query),
            lines,
            signed,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    return text, signed


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    return _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), day), region), service), "aws4_request")


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])


def amz_date(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    *,
    region: str,
    service: str,
    credentials: AwsCredentials,
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers to add to a request: ``x-amz-date``, ``authorization`` and, with temporary
    credentials, ``x-amz-security-token``. ``headers`` are the ones to sign besides those (a
    ``host`` is added from the URL when missing)."""
    when = amz_date(now or datetime.now(UTC))
    items = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    lower = {n.lower() for n, _ in items}
    if "host" not in lower:
        items.append(("host", urlsplit(url).netloc))
    added = {"x-amz-date": when}
    if credentials.session_token:
        added["x-amz-security-token"] = credentials.session_token
    items += [(n, v) for n, v in added.items() if n not in lower]
    canonical, signed = canonical_request(method, url, items, body)
    scope = f"{when[:8]}/{region}/{service}/aws4_request"
    key = signing_key(credentials.secret_access_key, when[:8], region, service)
    signature = hmac.new(key, string_to_sign(when, scope, canonical).encode(), hashlib.sha256).hexdigest()
    added["authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key_id}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
    return added
