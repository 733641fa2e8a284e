"""Content detectors: pure functions over a prompt's text.

Each ``find_*`` returns the ``(start, end)`` spans it matched, left to right. They lean towards
missing an odd format rather than flagging ordinary text: a filter that blocks dates, version
numbers or order ids gets turned off, and then it protects nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

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
# The patterns start with a character class and check what precedes a match in Python: a
# lookbehind first would stop the regex engine from skipping quickly to candidate characters.
_PHONE = re.compile(
    r"""
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
_PHONE_NOT_AFTER = frozenset(".+/:-")
_DATE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")
_NON_DIGIT = re.compile(r"\D")

# 13 to 19 digits, optionally in groups split by single spaces or dashes.
_CARD = re.compile(r"\d(?:[ -]?\d){12,18}(?!\w|[.-]\d)")
_CARD_NOT_AFTER = frozenset(".-")

# Where phone and card numbers can be: runs of digits with separators. One scan finds them for
# both detectors, which then look only there (most of a prompt is words).
_NUMBERISH = re.compile(r"\d[\d ().-]{5,}\d")
_DIGITS = b"0123456789"
_last_numberish: tuple[str, list[Span]] = ("", [])


def _numberish(text: str) -> list[Span]:
    global _last_numberish
    last = _last_numberish
    if last[0] is text:
        return last[1]
    spans: list[Span] = []
    raw = text.encode("utf-8", "surrogatepass")
    # Fewer than 8 digits in all cannot make a phone or card number: most prompts end here.
    if len(raw) - len(raw.translate(None, _DIGITS)) >= 8:
        for m in _NUMBERISH.finditer(text):
            start = m.start()
            # A run starts at a digit (so the regex engine can skip to digits); a leading + or (
            # belongs to it.
            if start and text[start - 1] in "+(":
                start -= 1
            spans.append((start, m.end()))
    _last_numberish = (text, spans)
    return spans


def _matches_in(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """``pattern``'s matches inside the number-like runs of ``text`` (two characters past each
    run stay visible, so that what follows a number still counts)."""
    for start, end in _numberish(text):
        yield from pattern.finditer(text, start, min(end + 2, len(text)))


# Literal beginnings of the key pattern: a text with none of them cannot hold a key, and these
# substring tests cost far less than the pattern (which must try every word boundary).
_KEY_HINTS = ("sk-", "AIza", "AKIA", "eyJ", "xai-")
_KEY_HINTS_UNDERSCORE = ("gsk_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_")


def _after_word(text: str, start: int, forbidden: frozenset[str]) -> bool:
    """Whether the match at ``start`` continues a word, a number or a version (no detection then)."""
    if start == 0:
        return False
    before = text[start - 1]
    return before.isalnum() or before == "_" or before in forbidden


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
    # Look only around each "@" (an address's local part is at most 64 characters, its domain at
    # most 255): scanning the whole prompt with the pattern costs more than every other rule.
    at = text.find("@")
    if at < 0:
        return []
    windows: list[Span] = []
    while at >= 0:
        start, end = max(at - 64, 0), min(at + 256, len(text))
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
        at = text.find("@", at + 1)
    spans = []
    for start, end in windows:
        # The pattern's lookarounds see past the window (finditer's pos and endpos do not cut the
        # text for them at the start; the end is widened by one character for the lookahead).
        spans += [m.span() for m in _EMAIL.finditer(text, start, min(end + 1, len(text)))]
    return spans


def find_phones(text: str) -> list[Span]:
    spans = []
    for m in _matches_in(_PHONE, text):
        if _after_word(text, m.start(), _PHONE_NOT_AFTER):
            continue
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
    for m in _matches_in(_CARD, text):
        if _after_word(text, m.start(), _CARD_NOT_AFTER):
            continue
        found = m.group()
        digits = _NON_DIGIT.sub("", found)
        # Card numbers start with 2-6 (Mastercard 2/5, Amex 3, Visa 4, Discover/UnionPay 6) and
        # are grouped with one kind of separator; with Luhn that leaves few ids by accident.
        if digits[0] not in "23456" or (" " in found and "-" in found):
            continue
        if luhn_ok(digits):
            spans.append(m.span())
    return spans


def find_keys(text: str) -> list[Span]:
    if not any(hint in text for hint in _KEY_HINTS) and (
        "_" not in text or not any(hint in text for hint in _KEY_HINTS_UNDERSCORE)
    ):
        return []
    return [m.span() for m in KEY_PATTERN.finditer(text)]


FINDERS: dict[str, Callable[[str], list[Span]]] = {
    "email": find_emails,
    "phone": find_phones,
    "card": find_cards,
    "api_key": find_keys,
}


class Keywords:
    """A blocklist: whole words or phrases, any case, any run of spaces between the words of a
    phrase."""

    PREFILTER_MAX = 64
    """Up to this many entries, a text is first searched for the longest word of each entry as a
    plain substring of its lower-cased form (much cheaper than the pattern; most texts hold none)."""

    def __init__(self, words: Iterable[str]) -> None:
        parts = sorted({" ".join(w.lower().split()) for w in words if w.strip()}, key=len, reverse=True)
        self.hints = tuple({max(p.split(), key=len) for p in parts}) if len(parts) <= self.PREFILTER_MAX else ()
        alternatives = "|".join(r"\s+".join(re.escape(piece) for piece in p.split()) for p in parts)
        self.pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def find(self, text: str) -> list[Span]:
        if self.hints:
            lowered = text.lower()
            if not any(hint in lowered for hint in self.hints):
                return []
        return [m.span() for m in self.pattern.finditer(text)]

    def search(self, text: str) -> bool:
        return bool(self.find(text))


def keyword_pattern(words: Iterable[str]) -> Keywords | None:
    """The blocklist's matcher; None for an empty list."""
    entries = [w for w in words if w.strip()]
    return Keywords(entries) if entries else None


def find_keywords(text: str, pattern: Keywords | None) -> list[Span]:
    if pattern is None:
        return []
    return pattern.find(text)


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


def redact(text: str, keywords: Keywords | None = None) -> str:
    """``text`` with keys, emails, card numbers, phone numbers and blocklisted words masked as
    ``[key]``, ``[email]``, ``[card]``, ``[phone]`` and ``[keyword]``."""
    for name in DETECTORS:
        text = _mask(text, FINDERS[name](text), LABELS[name])
    return _mask(text, find_keywords(text, keywords), LABELS["keyword"])
