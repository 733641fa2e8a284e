"""The one vocabulary of provider names: canonical ids, titles, aliases, and model spellings.

Every edge that receives a provider name (``/ingest``, OTLP, manual entry, accounts, pricing,
later the proxy and the importers) asks :func:`canonical_provider` for the id it stores, so that
a metered event pushed as ``moonshotai``, ``x-ai`` or ``google`` meets the billed rows and the
accounts of ``moonshot``, ``xai`` and ``gemini``. The canonical ids are the ones the accounts and
the keyring entries already use.

Naming facts live here, once, for every provider anyone may name (including those with no
billing API and those only seen in telemetry): id, title, aliases, the genai-prices provider id
and the model-name prefixes used to guess a provider when an event names none. What a provider's
*API* offers (key kinds, key hints, what a sync brings) lives on its class in
:mod:`costtui.providers`, which refers to the id here and takes its title from here.

This module imports nothing from costtui: everything else may import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

UNKNOWN = "unknown"
"""The provider of an event that names none and whose model matches no known prefix."""


@dataclass(frozen=True)
class ProviderName:
    id: str
    """Canonical id: what the store, the accounts and the keyring entry names use."""
    title: str
    aliases: tuple[str, ...] = ()
    """Every other spelling seen at an edge (lower case): OTel ``gen_ai.provider.name`` /
    ``gen_ai.system`` values, genai-prices ids, OpenRouter-style vendor prefixes, SDK names."""
    genai_prices: str | None = None
    """The provider id genai-prices uses; None when genai-prices has no such provider."""
    model_prefixes: tuple[str, ...] = ()
    """Lower-case model-name prefixes that identify this provider when an event names none."""


PROVIDERS: tuple[ProviderName, ...] = (
    ProviderName(
        "openai",
        "OpenAI",
        ("open_ai",),
        "openai",
        (
            "gpt-",
            "chatgpt",
            "o1",
            "o3",
            "o4",
            "text-embedding",
            "omni-moderation",
            "davinci",
            "babbage",
            "whisper",
            "tts-",
            "dall-e",
        ),
    ),
    ProviderName("anthropic", "Anthropic", ("anthropic_ai",), "anthropic", ("claude",)),
    ProviderName("openrouter", "OpenRouter", (), "openrouter"),
    ProviderName("deepseek", "DeepSeek", ("deepseek_ai", "deepseek-ai"), "deepseek", ("deepseek",)),
    ProviderName(
        "moonshot",
        "Moonshot / Kimi",
        ("moonshotai", "moonshot_ai", "moonshot-ai", "kimi"),
        "moonshotai",
        ("kimi", "moonshot"),
    ),
    ProviderName("xai", "xAI", ("x-ai", "x_ai", "x.ai", "grok"), "x-ai", ("grok",)),
    ProviderName("groq", "Groq", (), "groq"),
    ProviderName(
        "gemini",
        "Google Gemini",
        (
            "google",
            "gcp.gemini",
            "gcp.vertex_ai",
            "gcp.gen_ai",
            "vertex_ai",
            "vertex",
            "vertexai",
            "google-gla",
            "google-vertex",
            "google_genai",
            "google-genai",
        ),
        "google",
        ("gemini", "gemma"),
    ),
    ProviderName(
        "mistral",
        "Mistral",
        ("mistral_ai", "mistralai", "mistral-ai"),
        "mistral",
        ("mistral", "mixtral", "codestral", "magistral", "ministral", "pixtral", "devstral", "voxtral"),
    ),
    ProviderName("perplexity", "Perplexity", ("perplexity_ai", "pplx"), "perplexity"),
    ProviderName("cohere", "Cohere", ("cohere_ai",), "cohere", ("command",)),
    ProviderName("alibaba", "Alibaba (Qwen)", ("qwen", "dashscope"), None, ("qwen",)),
    ProviderName(
        "azure",
        "Azure OpenAI",
        ("az.ai.openai", "az.ai.inference", "azure.ai.openai", "azure.ai.inference", "azure_openai", "azure-openai"),
        "azure",
    ),
    ProviderName(
        "zai",
        "z.ai (GLM Coding Plan)",
        ("z.ai", "z-ai", "z_ai", "zhipu", "zhipuai", "zhipu-ai", "bigmodel"),
        "zai",
        ("glm",),
    ),
    ProviderName("opencode", "OpenCode (Zen / Go)", ("opencode-go", "opencode-zen", "opencode.ai"), None),
    ProviderName("amp", "Amp", ("ampcode", "ampcode.com", "sourcegraph-amp"), None),
    ProviderName(
        "bedrock", "AWS Bedrock", ("aws.bedrock", "aws", "aws_bedrock", "aws-bedrock", "amazon-bedrock"), "aws"
    ),
)

BY_ID: dict[str, ProviderName] = {p.id: p for p in PROVIDERS}
_NAMES: dict[str, str] = {**{a: p.id for p in PROVIDERS for a in p.aliases}, **{p.id: p.id for p in PROVIDERS}}
CANONICAL_IDS = frozenset(BY_ID)
# Longest prefix first, so that a more specific prefix is never shadowed by a shorter one.
_PREFIXES: tuple[tuple[str, str], ...] = tuple(
    sorted(((pre, p.id) for p in PROVIDERS for pre in p.model_prefixes), key=lambda t: -len(t[0]))
)


@lru_cache(maxsize=4096)
def canonical_provider(name: str) -> str:
    """The canonical id of a provider name, whatever its spelling (``x-ai`` → ``xai``).

    A name not in the vocabulary passes through stripped and lower-cased, so that a new
    provider still records; this never raises.
    """
    key = name.strip().lower()
    return _NAMES.get(key, key)


def provider_name(name: str) -> ProviderName:
    """The vocabulary entry of a provider (any spelling); ``KeyError`` for an unknown one."""
    pid = canonical_provider(name)
    try:
        return BY_ID[pid]
    except KeyError:
        raise KeyError(f"unknown provider {name!r}; known: {', '.join(sorted(BY_ID))}") from None


def is_known(name: str) -> bool:
    return canonical_provider(name) in BY_ID


def title(name: str) -> str:
    """A provider's title for people; an unknown provider is shown by its id."""
    entry = BY_ID.get(canonical_provider(name))
    return entry.title if entry else canonical_provider(name)


def pricing_provider(name: str | None) -> str | None:
    """The genai-prices provider id for a provider name (None when none was given).

    An unknown name is passed on as it is: genai-prices may still know it.
    """
    if not name:
        return None
    pid = canonical_provider(name)
    entry = BY_ID.get(pid)
    if entry is None:
        return pid
    return entry.genai_prices


@lru_cache(maxsize=4096)
def infer_provider(model: str) -> str:
    """The provider of a model when an event names none: an OpenRouter-style vendor prefix
    (``x-ai/grok-4`` → ``xai``), else a known model-name prefix, else ``unknown``."""
    m = model.strip().lower()
    if "/" in m:
        head = m.split("/", 1)[0]
        if head:
            return canonical_provider(head)
    for prefix, pid in _PREFIXES:
        if m.startswith(prefix):
            return pid
    return UNKNOWN


# --------------------------------------------------------------------------- model spellings

# Suffixes that name a snapshot of a model rather than another model.
_DATED = re.compile(r"(?:[-@](?:20\d\d-[01]\d-[0-3]\d|20\d\d[01]\d[0-3]\d)|[-:]latest)$")
# OpenAI (gpt-4-0613), Azure and xAI (grok-2-1212) also date snapshots by month and day only.
_MMDD = re.compile(r"-(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$")
_MMDD_PROVIDERS = frozenset({"openai", "azure", "xai"})
# Mistral dates snapshots by year and month (mistral-large-2411).
_YYMM = re.compile(r"-(?:2[3-9]|3\d)(?:0[1-9]|1[0-2])$")


@lru_cache(maxsize=4096)
def base_model(provider: str | None, model: str) -> str:
    """The model a spelling names, without its snapshot date: ``gpt-4o-mini-2024-07-18`` →
    ``gpt-4o-mini``, ``claude-3-5-sonnet-20241022`` → ``claude-3-5-sonnet``, ``*-latest`` → ``*``.

    Lower case, and without a vendor prefix naming the same provider (``moonshotai/kimi-k2`` at
    ``moonshot`` → ``kimi-k2``). Stored events keep the model as reported (prices need the exact
    name); use this where rows must meet: rate-limit scopes, reconciliation of billed and metered.
    """
    pid = canonical_provider(provider) if provider else None
    m = model.strip().lower()
    if "/" in m and pid is not None:
        head, rest = m.split("/", 1)
        if rest and canonical_provider(head) == pid:
            m = rest
    for _ in range(2):  # "model-latest" after a date, or a date after "-latest", is rare but seen
        stripped = _DATED.sub("", m)
        if pid in _MMDD_PROVIDERS:
            stripped = _MMDD.sub("", stripped)
        elif pid == "mistral":
            stripped = _YYMM.sub("", stripped)
        if stripped == m or not stripped:
            break
        m = stripped
    return m
