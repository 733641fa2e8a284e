"""Content detectors: pure functions over a prompt's text.

Each ``find_*`` returns the ``(start, end)`` spans it matched, left to right. They lean towards
missing an odd format rather than flagging ordinary text: a filter that blocks dates, version
numbers or order ids gets turned off, and then it protects nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from costtui.rules.policy import KEY_PATTERN

Span = tuple[int, int]

DETECTORS = ("api_key", "email", "card", "phone")
"""The detectors, in the order :func:`redact` applies them (keys first: they hold digit runs)."""

LABELS = {"email": "[email]", "phone": "[phone]", "card": "[card]", "api_key": "[key]", "keyword": "[keyword]"}
"""What :func:`redact` puts in place of each kind of match."""

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}(?![\w-])"
)

# Phone numbers in the shapes people write them: international (+ and a country code), North
# American groups 3-3-4, and national numbers with a trunk 0 (020 7946 0958, 06 12 34 56 78).
# A bare run of digits is not a phone number (it is more often an id, an amount or a timestamp).
_PHONE = re.compile(
    r"""
    (?<![\w.+/:-])
    (?:
        \+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}
      | \(\d{3}\)[ ]?\d{3}[ .-]\d{4}
      | \d{3}(?P<sep>[ .-])\d{3}(?P=sep)\d{4}
      | 0\d{1,4}(?P<sep2>[ .-])\d{2,4}(?:(?P=sep2)\d{2,4}){1,3}
    )
    (?![\w/:]|[.-]\d)
    """,
    re.VERBOSE,
)
_DATE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")
_NON_DIGIT = re.compile(r"\D")

# 13 to 19 digits, optionally in groups split by single spaces or dashes.
_CARD = re.compile(r"(?<![\w.-])(?:\d[ -]?){12,18}\d(?![\w]|[.-]\d)")


def luhn_ok(digits: str) -> bool:
    """Whether a string of digits passes the Luhn checksum (every card number does)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def find_emails(text: str) -> list[Span]:
    if "@" not in text:
        return []
    return [m.span() for m in _EMAIL.finditer(text)]


def find_phones(text: str) -> list[Span]:
    spans = []
    for m in _PHONE.finditer(text):
        found = m.group()
        digits = _NON_DIGIT.sub("", found)
        if not 8 <= len(digits) <= 15:
            continue
        # 01.12.2026 and 2026-12-01 have the shape of a national number; they are dates.
        if not found.startswith("+") and _DATE.fullmatch(found):
            continue
        spans.append(m.span())
    return spans


def find_cards(text: str) -> list[Span]:
    spans = []
    for m in _CARD.finditer(text):
        found = m.group()
        digits = _NON_DIGIT.sub("", found)
        # Card numbers start with 2-6 (Mastercard 2/5, Amex 3, Visa 4, Discover/UnionPay 6) and
        # are grouped with one kind of separator; with Luhn that leaves few ids by accident.
        if not 13 <= len(digits) <= 19 or digits[0] not in "23456":
            continue
        if " " in found and "-" in found:
            continue
        if luhn_ok(digits):
            spans.append(m.span())
    return spans


def find_keys(text: str) -> list[Span]:
    return [m.span() for m in KEY_PATTERN.finditer(text)]


FINDERS: dict[str, Callable[[str], list[Span]]] = {
    "email": find_emails,
    "phone": find_phones,
    "card": find_cards,
    "api_key": find_keys,
}


def keyword_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for a blocklist: whole words or phrases, any case, any run of spaces between
    the words of a phrase; None for an empty list."""
    parts = sorted({w.strip().lower() for w in words if w.strip()}, key=len, reverse=True)
    if not parts:
        return None
    alternatives = "|".join(r"\s+".join(re.escape(piece) for piece in p.split()) for p in parts)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def find_keywords(text: str, pattern: re.Pattern[str] | None) -> list[Span]:
    if pattern is None:
        return []
    return [m.span() for m in pattern.finditer(text)]


def _mask(text: str, spans: list[Span], label: str) -> str:
    if not spans:
        return text
    out = []
    last = 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(label)
        last = end
    out.append(text[last:])
    return "".join(out)


def redact(text: str, keywords: re.Pattern[str] | None = None) -> str:
    """``text`` with keys, emails, card numbers, phone numbers and blocklisted words masked as
    ``[key]``, ``[email]``, ``[card]``, ``[phone]`` and ``[keyword]``."""
    for name in DETECTORS:
        text = _mask(text, FINDERS[name](text), LABELS[name])
    return _mask(text, find_keywords(text, keywords), LABELS["keyword"])
