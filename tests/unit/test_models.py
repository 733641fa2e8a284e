from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from costtui.models import UsageEvent, anthropic_usage, openai_usage

TS = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_openai_cached_tokens_are_a_subset_of_prompt_tokens() -> None:
    u = openai_usage(
        {
            "prompt_tokens": 1530,
            "completion_tokens": 212,
            "total_tokens": 1742,
            "prompt_tokens_details": {"cached_tokens": 1024},
            "completion_tokens_details": {"reasoning_tokens": 128},
        }
    )
    assert u["input_tokens"] == 506  # uncached part only
    assert u["cache_read_tokens"] == 1024
    assert u["output_tokens"] == 212
    assert u["reasoning_tokens"] == 128
    e = UsageEvent(ts=TS, provider="openai", model="gpt-5-mini", **u)
    assert e.total_input_tokens == 1530  # nothing counted twice


def test_openai_responses_shape_and_deepseek_cache_hits() -> None:
    u = openai_usage(
        {
            "input_tokens": 3820,
            "input_tokens_details": {"cached_tokens": 2944, "cache_write_tokens": 0},
            "output_tokens": 907,
            "output_tokens_details": {"reasoning_tokens": 640},
        }
    )
    assert (u["input_tokens"], u["cache_read_tokens"], u["output_tokens"]) == (876, 2944, 907)
    d = openai_usage({"prompt_tokens": 100, "completion_tokens": 5, "prompt_cache_hit_tokens": 60})
    assert (d["input_tokens"], d["cache_read_tokens"]) == (40, 60)


def test_anthropic_cache_tokens_are_on_top_of_input_tokens() -> None:
    u = anthropic_usage(
        {
            "input_tokens": 18,
            "cache_creation_input_tokens": 300,
            "cache_read_input_tokens": 4096,
            "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 200},
            "output_tokens": 37,
        }
    )
    assert u["input_tokens"] == 18  # not reduced: Anthropic's input_tokens is already uncached
    assert u["cache_read_tokens"] == 4096
    assert u["cache_write_tokens"] == 300
    assert u["cache_write_1h_tokens"] == 200
    e = UsageEvent(ts=TS, provider="anthropic", model="claude-haiku-4-5", **u)
    assert e.total_input_tokens == 18 + 300 + 4096
    assert e.cache_write_5m_tokens == 100


def test_openai_usage_rejects_cached_more_than_prompt() -> None:
    with pytest.raises(ValueError, match="cached tokens exceed"):
        openai_usage({"prompt_tokens": 10, "prompt_tokens_details": {"cached_tokens": 20}})


def test_usage_fields_must_be_integers() -> None:
    with pytest.raises(ValueError, match="prompt_tokens must be an integer"):
        openai_usage({"prompt_tokens": "12"})


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("input_tokens", -1, "greater than or equal to 0"),
        ("output_tokens", 10**13, "less than or equal to"),
        ("model", "x" * 201, "at most 200 characters"),
        ("model", "", "at least 1 character"),
        ("ts", datetime(2026, 1, 1, 12), "timezone"),
        ("cost_usd", "-0.01", "must not be negative"),
        ("cost_usd", "abc", "not a decimal"),
        ("cost_usd", float("nan"), "finite"),
        ("surprise", 1, "Extra inputs are not permitted"),
    ],
)
def test_validation_names_the_problem(field: str, value: object, message: str) -> None:
    data: dict[str, object] = {"ts": TS, "provider": "openai", "model": "gpt-4o", field: value}
    with pytest.raises(ValidationError, match=message):
        UsageEvent(**data)  # type: ignore[arg-type]


def test_timestamps_are_normalised_to_utc() -> None:
    e = UsageEvent(ts=datetime(2026, 11, 20, 14, 0, tzinfo=timezone(timedelta(hours=2))), provider="p", model="m")
    assert e.ts == TS
    assert e.ts.tzinfo == UTC


def test_event_id_is_given_or_derived_stably() -> None:
    a = UsageEvent(ts=TS, provider="openai", model="gpt-4o", input_tokens=5)
    b = UsageEvent(ts=TS, provider="openai", model="gpt-4o", input_tokens=5)
    c = UsageEvent(ts=TS, provider="openai", model="gpt-4o", input_tokens=6)
    assert a.event_id == b.event_id != c.event_id
    assert UsageEvent(ts=TS, provider="p", model="m", event_id="resp_1").event_id == "resp_1"


def test_inconsistent_splits_are_refused() -> None:
    with pytest.raises(ValidationError, match="cache_write_1h_tokens cannot exceed"):
        UsageEvent(ts=TS, provider="p", model="m", cache_write_tokens=1, cache_write_1h_tokens=2)
    with pytest.raises(ValidationError, match="reasoning_tokens cannot exceed"):
        UsageEvent(ts=TS, provider="p", model="m", output_tokens=1, reasoning_tokens=2)
