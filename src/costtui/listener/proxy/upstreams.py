"""Where a proxied call goes: the upstreams by name, the path prefixes and the model routes.

Each upstream has a *root*: the URL the part of the request path after ``/v1`` is appended to
(``https://api.openai.com/v1`` + ``/chat/completions``). Gemini's native API has its own version
segment (``/v1beta/...``), so its root is the host and the whole path is appended.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from costtui.config import ProxySettings
from costtui.vocabulary import canonical_provider

Style = Literal["openai", "anthropic", "gemini"]

DEFAULTS: dict[str, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com",
    "openrouter": "https://openrouter.ai/api/v1",
    "groq": "https://api.groq.com/openai/v1",
    "deepseek": "https://api.deepseek.com/v1",
    "mistral": "https://api.mistral.ai/v1",
}
ENV = {
    "openai": "COSTTUI_UPSTREAM_OPENAI",
    "anthropic": "COSTTUI_UPSTREAM_ANTHROPIC",
    "gemini": "COSTTUI_UPSTREAM_GEMINI",
}


class UpstreamError(ValueError):
    """A configured upstream URL cannot be used; the message names it."""


@dataclass(frozen=True)
class Upstream:
    name: str
    provider: str
    """Canonical provider id the calls are recorded under."""
    root: str
    style: Style

    def url(self, tail: str) -> str:
        """``tail``: the path after ``/v1`` (``/chat/completions``), or Gemini's whole path."""
        return self.root + tail


def _style(name: str) -> Style:
    return "anthropic" if name == "anthropic" else "gemini" if name == "gemini" else "openai"


def make_upstream(name: str, base_url: str) -> Upstream:
    url = base_url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UpstreamError(f"upstream {name!r}: {base_url!r} is not an http(s) URL")
    style = _style(name)
    if style == "anthropic":
        # Given without /v1 (as ANTHROPIC_BASE_URL is); accept it with one too.
        url = url.removesuffix("/v1") + "/v1"
    return Upstream(name, canonical_provider(name), url, style)


class Upstreams:
    """The upstreams of one proxy: defaults, then the environment, then the config file's."""

    def __init__(self, settings: ProxySettings, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        urls = dict(DEFAULTS)
        for name, var in ENV.items():
            if env.get(var):
                urls[name] = env[var]
        urls.update({k.strip().lower(): v for k, v in settings.upstreams.items()})
        self.by_name = {name: make_upstream(name, url) for name, url in urls.items()}
        self.routes = [(pattern, target.strip().lower()) for pattern, target in settings.model_routes.items()]
        for pattern, target in self.routes:
            if target not in self.by_name:
                raise UpstreamError(f"model route {pattern!r} names no known upstream {target!r}")

    def get(self, name: str) -> Upstream | None:
        return self.by_name.get(name.lower())

    def for_model(self, model: Any, default: Style) -> Upstream:
        """The upstream of a call sent to the plain ``/v1/...``: the first model route that matches
        and speaks the same API, else the default upstream of that API."""
        if isinstance(model, str) and model:
            for pattern, target in self.routes:
                upstream = self.by_name[target]
                if upstream.style == default and fnmatch.fnmatchcase(model, pattern):
                    return upstream
        return self.by_name[default]
