"""Provider modules (pull usage, costs, balances and limits with httpx) and their registry.

Everything here imports without Textual. A provider with no billing or usage API is still listed
(``has_api=False``) so that the UI can say so and offer manual entry and metering instead.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from costtui.providers.base import (
    BadResponse,
    NoNetwork,
    NotAvailable,
    PaymentRequired,
    Provider,
    ProviderDown,
    ProviderError,
    RateLimited,
    Revoked,
    Unauthorized,
    WrongKeyType,
)


@dataclass(frozen=True)
class ProviderInfo:
    id: str
    title: str
    has_api: bool
    """False: no billing/usage/balance API; manual entry and metering only."""
    module: str | None = None
    cls: str | None = None
    key_kinds: tuple[str, ...] = ("inference",)
    key_hint: str = ""
    what: str = ""
    """What a sync brings (one line for the UI and `keys add`)."""
    probe: bool = False
    """Supports the opt-in rate-limit probe."""

    def provider_class(self) -> type[Provider]:
        if not self.module or not self.cls:
            raise NotAvailable(
                f"{self.title} has no billing or usage API; use `costtui add-cost` or the listener/proxy"
            )
        return getattr(importlib.import_module(self.module), self.cls)  # type: ignore[no-any-return]


NO_API_NOTE = (
    "{title} has no billing or usage API: record costs with `costtui add-cost` (or the TUI form) "
    "and meter requests through the listener or the proxy."
)

REGISTRY: dict[str, ProviderInfo] = {
    p.id: p
    for p in (
        ProviderInfo(
            "openai",
            "OpenAI",
            True,
            "costtui.providers.openai",
            "OpenAIProvider",
            ("admin",),
            "Admin key sk-admin-… (platform.openai.com → Settings → Admin keys)",
            "costs, usage by model/project/key, spend limit, project rate limits",
            probe=True,
        ),
        ProviderInfo(
            "anthropic",
            "Anthropic",
            True,
            "costtui.providers.anthropic",
            "AnthropicProvider",
            ("admin",),
            "Admin key sk-ant-admin… (console.anthropic.com → Settings → Admin keys)",
            "cost report, usage by model/key/workspace, Claude Code, rate limits",
            probe=True,
        ),
        ProviderInfo(
            "openrouter",
            "OpenRouter",
            True,
            "costtui.providers.openrouter",
            "OpenRouterProvider",
            ("inference", "management"),
            "API key sk-or-v1-… (a management key also gives credits and activity)",
            "key limit and usage (day/week/month); credits and daily activity with a management key",
        ),
        ProviderInfo(
            "deepseek",
            "DeepSeek",
            True,
            "costtui.providers.deepseek",
            "DeepSeekProvider",
            ("inference",),
            "API key sk-…",
            "balance",
        ),
        ProviderInfo(
            "moonshot",
            "Moonshot / Kimi",
            True,
            "costtui.providers.moonshot",
            "MoonshotProvider",
            ("inference",),
            "API key (api.moonshot.ai: USD; --base-url https://api.moonshot.cn: CNY)",
            "balance",
        ),
        ProviderInfo(
            "xai",
            "xAI",
            True,
            "costtui.providers.xai",
            "XAIProvider",
            ("management",),
            "Management key (console.x.ai → Settings → Management Keys), plus --team-id",
            "prepaid balance",
        ),
        ProviderInfo("groq", "Groq", False, key_hint="API key gsk_… (only for the rate-limit probe)", probe=True),
        ProviderInfo("gemini", "Google Gemini", False),
        ProviderInfo("mistral", "Mistral", False),
        ProviderInfo("perplexity", "Perplexity", False),
    )
}
ALIASES = {"google": "gemini", "kimi": "moonshot", "x-ai": "xai", "x_ai": "xai", "grok": "xai"}


def get_info(provider: str) -> ProviderInfo:
    pid = ALIASES.get(provider.lower(), provider.lower())
    try:
        return REGISTRY[pid]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"unknown provider {provider!r}; known: {known}") from None


def no_api_message(provider: str) -> str:
    return NO_API_NOTE.format(title=get_info(provider).title)


def make_provider(account: Any, key: Any, client: Any, **kw: Any) -> Provider:
    return get_info(account.provider).provider_class()(account, key, client, **kw)


__all__ = [
    "ALIASES",
    "REGISTRY",
    "BadResponse",
    "NoNetwork",
    "NotAvailable",
    "PaymentRequired",
    "Provider",
    "ProviderDown",
    "ProviderError",
    "ProviderInfo",
    "RateLimited",
    "Revoked",
    "Unauthorized",
    "WrongKeyType",
    "get_info",
    "make_provider",
    "no_api_message",
]
