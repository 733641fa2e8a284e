"""Provider modules (pull usage, costs, balances and limits with httpx) and their registry.

Everything here imports without Textual. A provider with no billing or usage API is still listed
(``has_api=False``) so that the UI can say so and offer manual entry and metering instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from costtui.providers.amp import AmpProvider
from costtui.providers.anthropic import AnthropicProvider
from costtui.providers.azure import AzureProvider
from costtui.providers.base import (
    BadResponse,
    CredentialField,
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
from costtui.providers.bedrock import BedrockProvider
from costtui.providers.deepseek import DeepSeekProvider
from costtui.providers.google import GeminiProvider
from costtui.providers.moonshot import MoonshotProvider
from costtui.providers.no_api import GroqProvider, MistralProvider, PerplexityProvider
from costtui.providers.openai import OpenAIProvider
from costtui.providers.opencode import OpenCodeProvider
from costtui.providers.openrouter import OpenRouterProvider
from costtui.providers.ratelimit_probe import PROBE_MODELS
from costtui.providers.xai import XAIProvider
from costtui.providers.zai import ZaiProvider
from costtui.vocabulary import canonical_provider


@dataclass(frozen=True)
class ProviderInfo:
    """What the UI and the CLI show of a provider one can add an account for (from its class)."""

    id: str
    title: str
    has_api: bool
    """False: no billing/usage/balance API; manual entry and metering only."""
    cls: type[Provider]
    key_kinds: tuple[str, ...] = ("inference",)
    key_hint: str = ""
    what: str = ""
    """What a sync brings (one line for the UI and `keys add`)."""
    probe: bool = False
    """Supports the opt-in rate-limit probe."""
    credential_fields: tuple[CredentialField, ...] = ()
    """Several named credentials instead of one key (cloud accounts): ``keys add`` asks for them."""

    @classmethod
    def of(cls, provider: type[Provider]) -> ProviderInfo:
        return cls(
            id=provider.id,
            title=provider.title,
            has_api=provider.has_api,
            cls=provider,
            key_kinds=provider.key_kinds,
            key_hint=provider.key_hint,
            what=provider.what,
            probe=provider.id in PROBE_MODELS,
            credential_fields=provider.credential_fields,
        )

    @property
    def needs_cli(self) -> bool:
        """More than one key to type (a tenant and a secret, a key pair): `keys add` asks for each."""
        fields = self.credential_fields
        return sum(f.secret for f in fields) > 1 or any(f.required and not f.secret for f in fields)

    def provider_class(self) -> type[Provider]:
        if not self.has_api:
            raise NotAvailable(
                f"{self.title} has no billing or usage API; use `costtui add-cost` or the listener/proxy"
            )
        return self.cls


NO_API_NOTE = (
    "{title} has no billing or usage API: record costs with `costtui add-cost` (or the TUI form) "
    "and meter requests through the listener or the proxy."
)

# In the order the UI and `keys add` list them.
PROVIDER_CLASSES: tuple[type[Provider], ...] = (
    OpenAIProvider,
    AnthropicProvider,
    OpenRouterProvider,
    DeepSeekProvider,
    MoonshotProvider,
    XAIProvider,
    AzureProvider,
    BedrockProvider,
    ZaiProvider,
    OpenCodeProvider,
    AmpProvider,
    GroqProvider,
    GeminiProvider,
    MistralProvider,
    PerplexityProvider,
)
REGISTRY: dict[str, ProviderInfo] = {p.id: ProviderInfo.of(p) for p in PROVIDER_CLASSES}


def get_info(provider: str) -> ProviderInfo:
    """A provider's info, whatever the spelling of its name (``x-ai``, ``google``, ``kimi``...)."""
    try:
        return REGISTRY[canonical_provider(provider)]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"unknown provider {provider!r}; known: {known}") from None


def no_api_message(provider: str) -> str:
    return NO_API_NOTE.format(title=get_info(provider).title)


def make_provider(account: Any, key: Any, client: Any, **kw: Any) -> Provider:
    return get_info(account.provider).provider_class()(account, key, client, **kw)


__all__ = [
    "PROVIDER_CLASSES",
    "REGISTRY",
    "BadResponse",
    "CredentialField",
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
