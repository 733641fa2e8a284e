"""Providers with no billing, usage or balance API: accounts for them hold a key only for the
rate-limit probe (Groq) or for the record; costs come from manual entry and metering."""

from __future__ import annotations

from costtui.providers.base import Provider


class NoAPIProvider(Provider):
    has_api = False


class GroqProvider(NoAPIProvider):
    id = "groq"
    key_hint = "API key gsk_… (only for the rate-limit probe)"


class MistralProvider(NoAPIProvider):
    id = "mistral"


class PerplexityProvider(NoAPIProvider):
    id = "perplexity"
