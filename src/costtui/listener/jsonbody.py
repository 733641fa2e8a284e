"""Strict JSON for request bodies (``/ingest`` and OTLP/JSON): one parser, one set of rules.

* UTF-8 only; ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON and are refused.
* Every number is bounded *by its text*, before Python builds it: a literal longer than
  :data:`MAX_NUMBER_CHARS`, or a non-zero one whose magnitude is outside 1e-40..1e40, is refused.
  ``1e1000000`` would otherwise become a million-digit integer the first time anyone calls
  ``int()`` on it, and hold the event loop for minutes.
* Decimals stay exact (``Decimal``, never ``float``): money is not rounded on the way in.
* A key given twice in one object is refused: "last one wins" lets two parsers read one body
  two ways (a proxy in front sees one value, costtui stores the other).
* Text must be valid Unicode: a lone surrogate (``"\\ud800"``) cannot be stored, hashed or
  printed; it is refused with the name of the field that holds it.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

MAX_NUMBER_CHARS = 40
"""Longest number literal accepted (sign, digits, point and exponent)."""
MAX_MAGNITUDE_EXP = 40
"""Non-zero numbers must lie between 1e-40 and 1e40 in magnitude."""


_NUMBER_RE = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


class JsonRefused(ValueError):
    """The body is JSON the listener will not read; the message says why (and where, if known)."""


def _short(text: str) -> str:
    return text if len(text) <= 24 else text[:20] + "…"


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonRefused(f"number {_short(text)} is too long ({len(text):,} characters; at most {MAX_NUMBER_CHARS})")
    return int(text)


def number_from_text(text: str) -> Decimal:
    """A decimal number written as text (``"0.25"``, ``"1e-3"``) under the same bounds as a JSON
    number literal; a ValueError (:class:`JsonRefused`) names the problem."""
    stripped = text.strip()
    if not _NUMBER_RE.fullmatch(stripped[: MAX_NUMBER_CHARS + 1]):
        raise JsonRefused(f"{_short(stripped)!r} is not a decimal number")
    return _parse_float(stripped)


def _parse_float(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonRefused(f"number {_short(text)} is too long ({len(text):,} characters; at most {MAX_NUMBER_CHARS})")
    mantissa, _, exponent = text.lower().partition("e")
    # The exponent's own text is at most 40 characters: checking its size first keeps Decimal
    # from ever being asked for an exponent it cannot hold.
    if exponent and abs(int(exponent)) > 10 * MAX_MAGNITUDE_EXP:
        raise JsonRefused(
            f"number {_short(text)} is out of range (magnitude 1e-{MAX_MAGNITUDE_EXP}..1e{MAX_MAGNITUDE_EXP})"
        )
    value = Decimal(text)
    if value and not -MAX_MAGNITUDE_EXP <= value.adjusted() < MAX_MAGNITUDE_EXP:
        raise JsonRefused(
            f"number {_short(text)} is out of range (magnitude 1e-{MAX_MAGNITUDE_EXP}..1e{MAX_MAGNITUDE_EXP})"
        )
    return value


def _parse_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not valid JSON (numbers must be finite)")


def valid_text(value: str) -> bool:
    """True when ``value`` is real Unicode text (no lone surrogate)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_value(value: Any, field: str) -> None:
    if isinstance(value, str):
        if not valid_text(value):
            raise JsonRefused(f"{field} holds a lone surrogate (\\ud800-\\udfff): text must be valid Unicode")
    elif isinstance(value, list):
        # Objects inside were checked by their own hook call; only strings and lists remain.
        for item in value:
            if isinstance(item, (str, list)):
                _check_value(item, field)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            shown = repr(key) if valid_text(key) else ascii(key)
            raise JsonRefused(f"duplicate key {_short(shown)} in one object")
        if not valid_text(key):
            raise JsonRefused(f"key {_short(ascii(key))} holds a lone surrogate: text must be valid Unicode")
        _check_value(value, f"field {_short(repr(key))}")
        out[key] = value
    return out


def loads(text: str) -> Any:
    """Parse ``text`` under the rules above. Raises :class:`JsonRefused` (a ValueError),
    :class:`json.JSONDecodeError` (also a ValueError) or :class:`RecursionError`."""
    doc = json.loads(
        text,
        parse_int=_parse_int,
        parse_float=_parse_float,
        parse_constant=_parse_constant,
        object_pairs_hook=_object,
    )
    if isinstance(doc, (str, list)):
        _check_value(doc, "the body")
    return doc
