"""Content detectors: what they find, and the ordinary text they must leave alone."""

from __future__ import annotations

import pytest

from costtui.rules.filters import (
    find_cards,
    find_emails,
    find_keys,
    find_keywords,
    find_phones,
    keyword_pattern,
    luhn_ok,
    redact,
)


def _found(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[a:b] for a, b in spans]


@pytest.mark.parametrize(
    ("digits", "ok"),
    [
        ("4111111111111111", True),  # Visa test number
        ("5555555555554444", True),  # Mastercard
        ("378282246310005", True),  # Amex
        ("6011111111111117", True),  # Discover
        ("4111111111111112", False),
        ("79927398713", True),  # the classic Luhn example
        ("79927398710", False),
    ],
)
def test_luhn(digits: str, ok: bool) -> None:
    assert luhn_ok(digits) is ok


def test_card_numbers_in_the_ways_people_write_them() -> None:
    text = "pay with 4111 1111 1111 1111, 4111-1111-1111-1111 or 4111111111111111; amex 3782 822463 10005"
    assert _found(text, find_cards(text)) == [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111111111111111",
        "3782 822463 10005",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112",  # fails Luhn
        "order id 1234567812345670",  # passes Luhn but no card starts with 1
        "timestamp 1733000000123 and 20261201103000",
        "the sum is 4111111111111111.50",  # an amount, not a card
        "short 4111 1111 111",
    ],
)
def test_not_card_numbers(text: str) -> None:
    assert find_cards(text) == []


def test_phone_numbers() -> None:
    text = (
        "US +1 415 555 2671, (415) 555-2671, 415-555-2671, 415.555.2671; UK 020 7946 0958, +44 20 7946 0958;"
        " FR 06 12 34 56 78; DE +4915123456789"
    )
    assert _found(text, find_phones(text)) == [
        "+1 415 555 2671",
        "(415) 555-2671",
        "415-555-2671",
        "415.555.2671",
        "020 7946 0958",
        "+44 20 7946 0958",
        "06 12 34 56 78",
        "+4915123456789",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "released 2026-12-01, due 01.12.2026, or 12/01/2026 at 10:20:30",
        "python 3.11.4, v1.2.3, version 10.15.7 and 2024.10.1",
        "hosts 192.168.1.10, 10.0.0.1 and 127.0.0.1:8787",
        "unix time 1733000000, order 12345678, amount 1,234,567.89 or 0.125",
        "uuid 550e8400-e29b-41d4-a716-446655440000",
        "iso 2026-12-01T10:20:30Z and 2026-12-01 10:20",
        "see https://example.com/a/020/7946/0958",
    ],
)
def test_dates_versions_and_numbers_are_not_phones(text: str) -> None:
    assert find_phones(text) == []


def test_emails() -> None:
    text = "write to bob.smith+costs@example.co.uk or ANN@Example.IO, not @handle, pkg@1.2.3 or user@localhost"
    assert _found(text, find_emails(text)) == ["bob.smith+costs@example.co.uk", "ANN@Example.IO"]


def test_keys_reuse_the_policy_pattern() -> None:
    text = "use sk-proj-abcdefghijklmnop1234 and AKIAABCDEFGHIJKLMNOP, not sk-short"
    assert _found(text, find_keys(text)) == ["sk-proj-abcdefghijklmnop1234", "AKIAABCDEFGHIJKLMNOP"]


def test_keywords_match_whole_words_in_any_case_and_phrases_across_spaces() -> None:
    pattern = keyword_pattern(["Project Falcon", "hunter2", "c++"])
    text = "the project   falcon plan; HUNTER2 is the password; hunter22 is not; we use C++ here"
    assert _found(text, find_keywords(text, pattern)) == ["project   falcon", "HUNTER2", "C++"]
    assert keyword_pattern([]) is None
    assert keyword_pattern(["  "]) is None


def test_redact_masks_every_kind() -> None:
    text = (
        "from bob@example.com, key sk-ant-abcdefghijklmnopqrstuvwx, card 5555 5555 5555 4444,"
        " call +1 415 555 2671 about project falcon on 2026-12-01 (v3.11)"
    )
    assert redact(text, keyword_pattern(["project falcon"])) == (
        "from [email], key [key], card [card], call [phone] about [keyword] on 2026-12-01 (v3.11)"
    )


def test_redact_leaves_clean_text_alone() -> None:
    text = "Summarise the 2026-12-01 release notes for version 3.11.4 in 200 words."
    assert redact(text) == text
