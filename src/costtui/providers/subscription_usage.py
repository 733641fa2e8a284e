"""The Claude and Codex plans' own usage endpoints (opt-in, read only; quota_sources.md §6.2, §6.5).

Neither is a public API: each is what the vendor's own CLI calls, with the sign-in that CLI keeps.
So, by rule:

* the credential file is read at fetch time only, never copied, never written, never refreshed
  (refreshing rotates the token and can sign the user out of that tool); an expired token says
  "sign in again in Claude Code / Codex";
* reads are cached (Claude ≥ 180 s, Codex ≥ 60 s) and a 429 is honoured across syncs;
* every field is optional; windows and enum values not known here are ignored.

The windows land on the same accounts as the local sources: ``anthropic / claude-code`` (beside
what the status line keeps) and ``openai / codex``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from costtui.models import Account, QuotaSnapshot
from costtui.providers import plans
from costtui.providers.base import NotAvailable, Provider, RateLimited, Unauthorized, expect_dict

CLAUDE_ACCOUNT = "claude-code"
CODEX_ACCOUNT = "codex"
CLAUDE_CACHE_SECONDS = 180.0
CLAUDE_WINDOWS = {"five_hour": ("five_hour", "5h", ""), "seven_day": ("seven_day", "7d", "")}
"""OAuth usage key → (window name, window, scope); ``seven_day_<model>`` keys become scoped weeks."""


class SignInMissing(NotAvailable):
    """The tool is not signed in here (no credential file, or one without a plan sign-in)."""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise SignInMissing(f"cannot read {path}: {type(exc).__name__}") from None


# --------------------------------------------------------------------------- Claude


def claude_credentials_path() -> Path:
    base = os.environ.get("CLAUDE_CONFIG_DIR", "").strip()
    return (Path(base).expanduser() if base else Path.home() / ".claude") / ".credentials.json"


def claude_token(path: Path | None = None, now: datetime | None = None) -> SecretStr:
    """Claude Code's access token, read now (file, or the macOS Keychain entry Claude Code keeps)."""
    doc = _read_json(path or claude_credentials_path())
    if doc is None and path is None and sys.platform == "darwin":
        try:
            out = subprocess.run(  # noqa: S603 - read-only lookup of Claude Code's own Keychain item
                ["/usr/bin/security", "find-generic-password", "-s", "Claude Code-credentials", "-w"],
                capture_output=True,
                timeout=5,
                check=False,
            )
            doc = json.loads(out.stdout) if out.returncode == 0 else None
        except (OSError, ValueError, subprocess.SubprocessError):
            doc = None
    oauth = doc.get("claudeAiOauth") if isinstance(doc, dict) else None
    if not isinstance(oauth, dict) or not isinstance(oauth.get("accessToken"), str):
        raise SignInMissing("claude: Claude Code is not signed in to a Claude plan here (run `claude` and /login)")
    expires = plans.when(oauth.get("expiresAt"))
    if expires is not None and expires <= (now or datetime.now(UTC)):
        raise Unauthorized("claude: Claude Code's sign-in has expired: sign in again in Claude Code (run `claude`)")
    return SecretStr(oauth["accessToken"])


class ClaudePlanUsage(Provider):
    """``GET https://api.anthropic.com/api/oauth/usage`` with Claude Code's OAuth token."""

    id = "anthropic"
    default_base_url = "https://api.anthropic.com"
    key_kinds = ("none",)
    supports_quotas = True

    @classmethod
    def account_for(cls) -> Account:
        return Account(provider="anthropic", name=CLAUDE_ACCOUNT, key_kind="none")

    def auth_headers(self, key: SecretStr) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {key.get_secret_value()}",
            "anthropic-beta": "oauth-2025-04-20",
            "Accept": "application/json",
        }

    async def fetch_quotas(
        self, hints: dict[str, set[str]] | None = None, *, configured: bool = True
    ) -> list[QuotaSnapshot]:
        async def fetch() -> Any:
            try:
                return await self.http.get_json("/api/oauth/usage")
            except Unauthorized:
                raise Unauthorized(
                    "claude: the plan usage endpoint refused Claude Code's sign-in: sign in again in Claude Code"
                ) from None

        body = expect_dict(await plans.cached(self, "/api/oauth/usage", fetch, CLAUDE_CACHE_SECONDS), "usage", "claude")
        return self.parse(body)

    def parse(self, body: dict[str, Any]) -> list[QuotaSnapshot]:
        out = []
        for key, w in body.items():
            if not isinstance(w, dict) or "utilization" not in w:
                continue  # null windows (API-billed accounts), extra_usage, limits[], codenamed keys
            if key in CLAUDE_WINDOWS:
                name, win, scope = CLAUDE_WINDOWS[key]
            elif key.startswith("seven_day_"):
                name, win, scope = "seven_day", "7d", key.removeprefix("seven_day_").replace("_", " ")
            else:
                continue
            snap = plans.window(
                self,
                name,
                w.get("utilization"),
                plans.when(w.get("resets_at")),
                win,
                scope=scope,
            )
            if snap is not None:
                out.append(snap)
        return out


# --------------------------------------------------------------------------- Codex


def codex_auth_path() -> Path:
    base = os.environ.get("CODEX_HOME", "").strip()
    return (Path(base).expanduser() if base else Path.home() / ".codex") / "auth.json"


def _jwt_expiry(token: str) -> datetime | None:
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    return plans.when(claims.get("exp")) if isinstance(claims, dict) else None


def codex_token(path: Path | None = None, now: datetime | None = None) -> tuple[SecretStr, str | None]:
    """Codex's ChatGPT access token and account id, read now."""
    doc = _read_json(path or codex_auth_path())
    tokens = doc.get("tokens") if isinstance(doc, dict) else None
    if not isinstance(tokens, dict) or not isinstance(tokens.get("access_token"), str):
        if isinstance(doc, dict) and doc.get("OPENAI_API_KEY"):
            raise SignInMissing("codex: Codex is signed in with an API key, which has no plan limits")
        raise SignInMissing("codex: Codex is not signed in with ChatGPT here (run `codex login`)")
    token = tokens["access_token"]
    expires = _jwt_expiry(token)
    if expires is not None and expires <= (now or datetime.now(UTC)):
        raise Unauthorized("codex: Codex's sign-in has expired: sign in again in Codex (run `codex login`)")
    account = tokens.get("account_id")
    return SecretStr(token), account if isinstance(account, str) else None


class CodexPlanUsage(Provider):
    """``GET https://chatgpt.com/backend-api/wham/usage`` with Codex's ChatGPT sign-in."""

    id = "openai"
    default_base_url = "https://chatgpt.com"
    key_kinds = ("none",)
    supports_quotas = True

    def __init__(self, account: Account, key: SecretStr, client: httpx.AsyncClient, **kw: Any) -> None:
        self.chatgpt_account = kw.pop("chatgpt_account", None)
        super().__init__(account, key, client, **kw)

    @classmethod
    def account_for(cls) -> Account:
        return Account(provider="openai", name=CODEX_ACCOUNT, key_kind="none")

    def auth_headers(self, key: SecretStr) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {key.get_secret_value()}", "User-Agent": "codex-cli"}
        if self.chatgpt_account:
            headers["ChatGPT-Account-Id"] = self.chatgpt_account
        return headers

    async def fetch_quotas(
        self, hints: dict[str, set[str]] | None = None, *, configured: bool = True
    ) -> list[QuotaSnapshot]:
        path = "/backend-api/wham/usage"

        async def fetch() -> Any:
            try:
                return await self.http.get_json(path)
            except Unauthorized:
                raise Unauthorized(
                    "codex: the usage endpoint refused Codex's sign-in: sign in again in Codex"
                ) from None

        return self.parse(expect_dict(await plans.cached(self, path, fetch), "usage", "codex"))

    def parse(self, body: dict[str, Any]) -> list[QuotaSnapshot]:
        plan = body.get("plan_type")
        detail = f"{plan} plan" if isinstance(plan, str) and plan else None
        out: list[QuotaSnapshot] = []
        out.extend(self._limit(body.get("rate_limit"), "", detail))
        extra = body.get("additional_rate_limits")
        for item in extra if isinstance(extra, list) else []:
            if isinstance(item, dict):
                scope = item.get("limit_name") or item.get("metered_feature") or ""
                out.extend(self._limit(item.get("rate_limit"), str(scope)[:60], detail))
        credit = body.get("credits")
        if isinstance(credit, dict) and credit.get("has_credits") and not credit.get("unlimited"):
            balance = plans.number(credit.get("balance"))
            if balance is not None:
                out.append(self.quota(kind="credits", remaining=balance, unit="credits", detail=detail))
        return out

    def _limit(self, limit: Any, scope: str, detail: str | None) -> list[QuotaSnapshot]:
        if not isinstance(limit, dict):
            return []
        out = []
        # Slots are not fixed (OpenAI swapped them once): each window is named by its length.
        for slot in ("primary_window", "secondary_window"):
            w = limit.get(slot)
            if not isinstance(w, dict):
                continue
            name, win = plans.window_by_length(w.get("limit_window_seconds"))
            snap = plans.window(
                self, name, w.get("used_percent"), plans.when(w.get("reset_at")), win, scope=scope, detail=detail
            )
            if snap is not None:
                out.append(snap)
        return out


async def fetch_claude(client: httpx.AsyncClient, **kw: Any) -> list[QuotaSnapshot]:
    token = await asyncio.to_thread(claude_token)
    provider = ClaudePlanUsage(ClaudePlanUsage.account_for(), token, client, max_retries=0, **kw)
    return await provider.fetch_quotas()


async def fetch_codex(client: httpx.AsyncClient, **kw: Any) -> list[QuotaSnapshot]:
    token, account = await asyncio.to_thread(codex_token)
    provider = CodexPlanUsage(CodexPlanUsage.account_for(), token, client, chatgpt_account=account, max_retries=1, **kw)
    return await provider.fetch_quotas()


__all__ = ["RateLimited", "SignInMissing", "fetch_claude", "fetch_codex"]
