"""The provider vocabulary: one canonical id per provider, whatever spelling an edge receives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from genai_prices import data_snapshot

from costtui import vocabulary
from costtui.models import UsageEvent
from costtui.pricing import Pricer
from costtui.vocabulary import base_model, canonical_provider, infer_provider, pricing_provider, provider_name


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("moonshotai", "moonshot"),
        ("kimi", "moonshot"),
        ("x-ai", "xai"),
        ("x_ai", "xai"),
        ("XAI", "xai"),
        ("google", "gemini"),
        ("gcp.gemini", "gemini"),
        ("gcp.vertex_ai", "gemini"),
        ("vertex_ai", "gemini"),
        ("  Gemini ", "gemini"),
        ("az.ai.openai", "azure"),
        ("azure.ai.inference", "azure"),
        ("aws.bedrock", "bedrock"),
        ("aws", "bedrock"),
        ("mistral_ai", "mistral"),
        ("OpenAI", "openai"),
        ("Anthropic", "anthropic"),
    ],
)
def test_every_spelling_has_one_canonical_id(name: str, canonical: str) -> None:
    assert canonical_provider(name) == canonical


@pytest.mark.parametrize(("name", "passed"), [("Together", "together"), (" acme-ai ", "acme-ai"), ("", "")])
def test_unknown_providers_pass_through_and_never_raise(name: str, passed: str) -> None:
    assert canonical_provider(name) == passed
    with pytest.raises(KeyError, match="unknown provider"):
        provider_name(name)


def test_no_alias_is_claimed_twice_or_shadows_an_id() -> None:
    seen: dict[str, str] = {}
    for entry in vocabulary.PROVIDERS:
        for spelling in (entry.id, *entry.aliases):
            assert spelling == spelling.strip().lower()
            assert spelling not in seen, f"{spelling!r} belongs to {seen.get(spelling)} and {entry.id}"
            seen[spelling] = entry.id


def test_genai_prices_ids_exist() -> None:
    known = {p.id for p in data_snapshot.get_snapshot().providers}
    for entry in vocabulary.PROVIDERS:
        assert entry.genai_prices is None or entry.genai_prices in known, entry.id
    assert pricing_provider("moonshotai") == pricing_provider("moonshot") == "moonshotai"
    assert pricing_provider("xai") == "x-ai" and pricing_provider("gemini") == "google"
    assert pricing_provider("together") == "together" and pricing_provider(None) is None


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("gpt-4o-mini-2024-07-18", "openai"),
        ("claude-3-5-sonnet-20241022", "anthropic"),
        ("gemini-2.5-flash", "gemini"),
        ("grok-4", "xai"),
        ("kimi-k2-0905-preview", "moonshot"),
        ("codestral-latest", "mistral"),
        ("x-ai/grok-4", "xai"),
        ("moonshotai/kimi-k2", "moonshot"),
        ("meta-llama/llama-3.3-70b-instruct", "meta-llama"),
        ("my-local-model", "unknown"),
    ],
)
def test_provider_guessed_from_the_model(model: str, provider: str) -> None:
    assert infer_provider(model) == provider


@pytest.mark.parametrize(
    ("provider", "model", "base"),
    [
        ("openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("openai", "gpt-4o-mini", "gpt-4o-mini"),
        ("openai", "gpt-4-0613", "gpt-4"),
        ("openai", "o3-2025-04-16", "o3"),
        ("openai", "gpt-5-mini-2025-08-07", "gpt-5-mini"),
        ("anthropic", "claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
        ("anthropic", "claude-3-5-sonnet-latest", "claude-3-5-sonnet"),
        ("gemini", "claude-3-5-sonnet@20240620", "claude-3-5-sonnet"),
        ("gemini", "gemini-1.5-pro-latest", "gemini-1.5-pro"),
        ("xai", "grok-2-1212", "grok-2"),
        ("mistral", "mistral-large-2411", "mistral-large"),
        ("moonshot", "moonshotai/kimi-k2", "kimi-k2"),
        ("openrouter", "moonshotai/kimi-k2", "moonshotai/kimi-k2"),
        # Numbers that are not dates stay: a context size, a version.
        ("groq", "llama3-70b-8192", "llama3-70b-8192"),
        ("groq", "mixtral-8x7b-32768", "mixtral-8x7b-32768"),
        ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5"),
        (None, "GPT-4o-Mini-2024-07-18", "gpt-4o-mini"),
    ],
)
def test_base_model_drops_snapshot_dates(provider: str | None, model: str, base: str) -> None:
    assert base_model(provider, model) == base


def test_pricing_finds_a_model_under_any_spelling_of_its_provider() -> None:
    pricer = Pricer()
    ts = datetime(2026, 3, 1, tzinfo=UTC)
    costs = {
        name: pricer.price(
            UsageEvent(ts=ts, provider=name, model="grok-4", input_tokens=1000, output_tokens=100)
        ).cost_usd
        for name in ("xai", "x-ai", "x_ai", "grok")
    }
    assert len(set(costs.values())) == 1 and None not in costs.values()


def test_provider_classes_use_vocabulary_ids_and_titles() -> None:
    from costtui.providers import PROVIDER_CLASSES, REGISTRY, get_info
    from costtui.providers.base import Provider

    for cls in PROVIDER_CLASSES:
        assert cls.id in vocabulary.CANONICAL_IDS
        assert cls.title == provider_name(cls.id).title
    assert list(REGISTRY) == [c.id for c in PROVIDER_CLASSES]
    assert get_info("moonshotai").title == "Moonshot / Kimi"
    assert get_info("x-ai").id == "xai" and get_info("google").id == "gemini"

    with pytest.raises(TypeError, match="not a canonical provider id"):

        class Typo(Provider):
            id = "x-ai"

    with pytest.raises(KeyError, match="unknown provider"):

        class Unknown(Provider):
            id = "nobody"
