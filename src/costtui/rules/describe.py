"""The effective rules in words, for ``costtui rules show`` and the Settings screen (one wording)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from costtui.config import RulesSettings
from costtui.formatting import money
from costtui.models import Budget
from costtui.vocabulary import is_known

ENV_PREFIX = "COSTTUI_RULES__"

DETECTOR_LABELS = (
    ("detect_email", "emails"),
    ("detect_phone", "phone numbers"),
    ("detect_card", "card numbers"),
    ("detect_api_key", "API keys"),
)


def _limits(rules: RulesSettings, kind: str) -> str:
    parts = [
        f"{value:,} per {who}"
        for who in ("key", "app", "user")
        if (value := getattr(rules, f"{kind}_per_{who}")) is not None
    ]
    return " · ".join(parts) if parts else "no limit"


def describe(rules: RulesSettings) -> list[tuple[str, str]]:
    """(what, the rule) rows, in the order the proxy checks them."""
    words = rules.blocklist
    shown = ", ".join(words[:5]) + (f" and {len(words) - 5} more" if len(words) > 5 else "")
    detectors = " · ".join(f"{label} {getattr(rules, name)}" for name, label in DETECTOR_LABELS)
    return [
        ("allowed models", ", ".join(rules.allow_models) if rules.allow_models else "any model"),
        ("blocked models", ", ".join(rules.block_models) if rules.block_models else "none"),
        ("max cost per call", money(rules.max_cost_per_call_usd) if rules.max_cost_per_call_usd else "no limit"),
        ("requests per minute", _limits(rules, "rpm")),
        ("tokens per minute", _limits(rules, "tpm")),
        ("keyword blocklist", f"{shown} ({rules.blocklist_action})" if words else "none"),
        ("content detectors", detectors),
    ]


def describe_budgets(budgets: list[Budget]) -> str:
    """The enforced budgets in one line (budgets live in the database, not in ``[rules]``)."""
    enforced = [b for b in budgets if b.enforce]
    if not enforced:
        return "none enforced (mark a budget 'enforce' on the Budgets screen to have the proxy refuse past it)"
    parts = []
    for b in enforced:
        note = " (not per call: counts billed costs, not enforced)" if b.scope == "account" else ""
        parts.append(f"{b.name}: {money(b.limit_usd)} per {b.period}, {b.scope_label}{note}")
    return "; ".join(parts)


def problems(rules: RulesSettings) -> list[str]:
    """Settings that are valid but probably not what was meant."""
    found = []
    for setting in ("allow_models", "block_models"):
        for pattern in getattr(rules, setting):
            head, sep, rest = pattern.partition(":")
            if sep and rest and not is_known(head) and "*" not in head:
                found.append(
                    f"rules.{setting}: {head!r} in {pattern!r} is not a provider costtui knows, so the pattern"
                    " is matched against whole model names (which may contain ':')"
                )
    overlap = set(rules.allow_models) & set(rules.block_models)
    if overlap:
        found.append(f"rules.block_models refuses {', '.join(sorted(overlap))}, which rules.allow_models lists too")
    return found


def env_overrides(environ: Mapping[str, str] | None = None) -> list[str]:
    """The ``COSTTUI_RULES__*`` variables set: they win over the config file (and over the editor)."""
    env = os.environ if environ is None else environ
    return sorted(name for name in env if name.upper().startswith(ENV_PREFIX))
