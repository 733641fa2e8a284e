"""Text from clients that reaches terminals and shells: identifiers refuse control and bidi
characters at the edge, error text is kept with them made visible, and everything printed from
outside (CLI, /metrics) is escaped, old rows stored before the rule included."""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from costtui.cli import cli
from costtui.formatting import command, csv_cell, price_command, safe
from costtui.listener.metrics import ListenerMetrics
from costtui.models import UNSAFE_CHARS, UsageEvent, check_identifier, neutralise
from costtui.store import Store

NOW = datetime.now(UTC).replace(microsecond=0)

# One of each kind the rule names: C0 (NUL, TAB, LF, CR, ESC), DEL, C1, and the bidi controls.
HOSTILE = {
    "\x00": "U+0000",
    "\t": "U+0009",
    "\n": "U+000A",
    "\r": "U+000D",
    "\x1b": "U+001B",
    "\x7f": "U+007F",
    "\x85": "U+0085",
    "\x9b": "U+009B",
    "\u061c": "U+061C",
    "\u200e": "U+200E",
    "\u200f": "U+200F",
    "\u202a": "U+202A",
    "\u202e": "U+202E",
    "\u2066": "U+2066",
    "\u2069": "U+2069",
}
IDENTIFIER_FIELDS = [
    "event_id",
    "provider",
    "model",
    "operation",
    "source",
    "app",
    "api_key_fp",
    "user",
    "team",
    "project",
    "price_version",
]
# Any character that is not a control or bidi formatting character: a terminal cannot be steered by it.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def event(**changes: Any) -> UsageEvent:
    return UsageEvent(**{"ts": NOW, "provider": "openai", "model": "gpt-4o-mini", "input_tokens": 10, **changes})


@pytest.mark.parametrize("field", [*IDENTIFIER_FIELDS, "tags"])
@pytest.mark.parametrize("char", list(HOSTILE))
def test_every_identifier_field_refuses_control_and_bidi_characters(field: str, char: str) -> None:
    value = f"x{char}y"
    with pytest.raises(ValidationError) as info:
        event(**{field: [value] if field == "tags" else value})
    err = info.value.errors()[0]
    assert err["loc"][0] == field  # the message names the field...
    assert HOSTILE[char] in err["msg"]  # ...and the character, as U+XXXX


def test_ordinary_names_still_pass() -> None:
    e = event(model="ft:gpt-4o-mini:acme:support-v3", app="billing bot", user="ana@example.com", tags=["a=b", "ünï"])
    assert e.model == "ft:gpt-4o-mini:acme:support-v3" and e.tags == ["a=b", "ünï"]
    # Rich markup and shell syntax are not control characters: stored as sent, escaped where printed.
    assert event(model="[red]x[/red]").model == "[red]x[/red]"
    assert event(model="$(rm -rf ~)").model == "$(rm -rf ~)"


def test_error_text_is_neutralised_not_refused() -> None:
    e = event(status="error", error="upstream said \x1b]0;pwned\x07 and\r\nforged line \u202eevil")
    assert e.error == "upstream said \\x1b]0;pwned\\x07 and\\x0d\\x0aforged line \\u202eevil"
    assert not RAW_CONTROL.search(e.error)


def test_neutralise_and_safe() -> None:
    assert neutralise("plain") == "plain"
    assert neutralise("a\x00b\x9bc\u2066") == "a\\x00b\\x9bc\\u2066"
    assert safe(None) == "" and safe(12) == "12" and safe("a\x1b[2Jb") == "a\\x1b[2Jb"
    with pytest.raises(ValueError, match="U\\+001B at position 3"):
        check_identifier("gpt\x1b[31m")


def test_the_check_is_one_regex_and_fast() -> None:
    # The batch ingest path validates ~10 identifiers per event, so the check is one compiled
    # regex search (no per-character Python loop); its speed is measured in benchmarks/ingest.py.
    from costtui import models

    assert getattr(models._find_unsafe, "__self__", None) is UNSAFE_CHARS
    name = "x" * 200
    assert check_identifier(name) == name
    assert UNSAFE_CHARS.search(name) is None
    with pytest.raises(ValueError, match="position 199"):
        check_identifier("x" * 199 + "\x1b")


def test_command_quotes_what_costtui_did_not_write() -> None:
    line = price_command("x; rm -rf ~")
    assert line == "costtui prices set 'x; rm -rf ~' --input X --output Y"
    assert shlex.split(line)[3] == "x; rm -rf ~"
    assert shlex.split(price_command("$(reboot)"))[3] == "$(reboot)"
    assert price_command("gpt-4o-mini") == "costtui prices set gpt-4o-mini --input X --output Y"
    assert command("costtui", "tokens", "disable", "it's") == "costtui tokens disable 'it'\"'\"'s'"
    # A control character never reaches the terminal raw, even inside quotes.
    assert "\x1b" not in command("a\x1bb")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("gpt-4o", "gpt-4o"),
        ("a=b", "a=b"),
        ("", ""),
        (None, None),
        (-3, -3),
    ],
)
def test_csv_cell_defuses_formulas(value: Any, cell: Any) -> None:
    assert csv_cell(value) == cell


@pytest.fixture
def old_rows(db_path: Path) -> Path:
    """Rows stored before identifiers refused control characters (written past the edge)."""
    fields = {
        "ts": NOW,
        "provider": "acme\x1b]0;owned\x07",
        "model": "evil\x1b[2J\rforged\u202eline",
        "input_tokens": 5,
        "error": "boom\x1b[31m",
        "status": "error",
    }
    bad = UsageEvent.model_construct(**fields)
    object.__setattr__(bad, "event_id", "old-1")
    with Store(db_path) as store:
        store.record([bad])
    return db_path


def test_status_prints_old_rows_without_raw_control_characters(old_rows: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(old_rows), "status"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not RAW_CONTROL.search(result.output)
    assert "evil\\x1b[2J\\x0dforged\\u202eline" in result.output
    # The fix hint is one quoted shell word, safe to paste.
    hint = next(line for line in result.output.splitlines() if line.strip().startswith("costtui prices set"))
    assert shlex.split(hint)[3] == "evil\\x1b[2J\\x0dforged\\u202eline"


def test_metrics_label_values_carry_no_raw_control_characters(old_rows: Path) -> None:
    store = Store(old_rows)
    try:
        text = ListenerMetrics(lambda: store).exposition().decode()
    finally:
        store.close()
    assert not RAW_CONTROL.search(text)
    models = {
        s.labels.get("model")
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "costtui_cost_usd"
    }
    assert "evil\\x1b[2J\\x0dforged\\u202eline" in models


def test_last_error_is_stored_neutralised(db_path: Path) -> None:
    from costtui.models import Account

    with Store(db_path) as store:
        account = store.billing.add_account(Account(provider="openai", name="default"))
        assert account.id is not None
        store.billing.mark_error(account.id, "usage", "HTTP 401: \x1b]0;owned\x07bad key")
        health = store.billing.account_health(account)
    assert health.last_error == "HTTP 401: \\x1b]0;owned\\x07bad key"


def test_account_names_refuse_control_characters(db_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["--db", str(db_path), "keys", "add", "openai", "--name", "work\x1b[31m"],
        input="sk-test-0123456789abcdef\n",
    )
    assert result.exit_code != 0
    assert "U+001B" in result.output and "\x1b" not in result.output
