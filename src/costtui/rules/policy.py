"""What the proxy asks of its rules, and what they answer.

The proxy builds a :class:`ProxyCall` before forwarding a request, asks the policy to
:meth:`~ProxyPolicy.admit` it, forwards it only when the answer allows it, and calls
:meth:`~ProxyPolicy.settle` with what the call really cost once it is over (or failed), so
reservations made at admission are replaced by the real figures. :class:`AllowAll` is the policy
when no rule is set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

KEY_PATTERN = re.compile(
    r"\b(?:sk-(?:ant-|proj-|or-v1-|admin-)?[A-Za-z0-9_\-]{16,}|AIza[0-9A-Za-z_\-]{30,}|gsk_[A-Za-z0-9]{20,}"
    r"|xai-[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]+)"
)
"""Strings that look like API keys or bearer tokens (OpenAI, Anthropic, OpenRouter, Google, Groq,
xAI, AWS access key ids, GitHub tokens, JWTs)."""


def mask_keys(text: str) -> str:
    return KEY_PATTERN.sub("[key]", text)


@dataclass(frozen=True)
class ProxyCall:
    """One call as the proxy sees it before forwarding (the key itself never appears here)."""

    provider: str
    """Canonical provider id of the upstream (openai, anthropic, gemini, openrouter...)."""
    model: str
    operation: str
    """``chat``, ``embeddings``, ``responses``, ``messages``, ``generate_content``."""
    key_fp: str | None = None
    app: str | None = None
    user: str | None = None
    team: str | None = None
    project: str | None = None
    text: str = ""
    """The request's prompt text (messages, input, system), for content filters."""
    input_tokens_estimate: int = 0
    max_output_tokens: int | None = None
    """The request's ``max_tokens`` / ``max_output_tokens`` / ``max_completion_tokens``, if set."""
    stream: bool = False


@dataclass
class Decision:
    """The policy's answer. When not ``allowed`` the proxy answers ``status`` with a JSON error in the
    provider's shape naming ``rule`` and ``message``, and records the refusal."""

    allowed: bool = True
    rule: str | None = None
    """Which rule refused (``model_blocklist``, ``max_cost_per_call``, ``budget:<name>``,
    ``rpm:key``, ``content:pii.email``...)."""
    message: str = ""
    status: int = 429
    flags: list[str] = field(default_factory=list)
    """Rules that matched with action ``flag``: the call goes on and the event carries them."""
    retry_after: float | None = None
    """Seconds after which the same call would be admitted (rate limits), for a ``Retry-After`` header."""
    reservation: object | None = None
    """Opaque: what admission held (estimated cost, tokens), handed back to :meth:`ProxyPolicy.settle`."""


class ProxyPolicy(Protocol):
    async def admit(self, call: ProxyCall) -> Decision:
        """Decide on a call before it is forwarded. Must not block the loop (no SQLite on it)."""
        ...

    async def settle(self, call: ProxyCall, decision: Decision, cost_usd: Decimal | None, tokens: int) -> None:
        """Replace the admission's reservation by what the call really cost and used."""
        ...

    def redact(self, text: str) -> str:
        """A prompt or response body with secrets and PII masked, fit to store."""
        ...


class AllowAll:
    """No rules: every call goes through; stored bodies still lose anything that looks like a key."""

    async def admit(self, call: ProxyCall) -> Decision:
        return Decision()

    async def settle(self, call: ProxyCall, decision: Decision, cost_usd: Decimal | None, tokens: int) -> None:
        return None

    def redact(self, text: str) -> str:
        return mask_keys(text)
