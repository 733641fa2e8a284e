"""Rules benchmark: the time ``RuleEngine.admit`` (+ ``settle``) adds to one proxied call.

Every rule is on: an allow list and a block list, a maximum cost per call, RPM and TPM per key,
app and user, a keyword blocklist and all four detectors (flag, so that every call is scanned
and admitted), and three enforced budgets that match the call. The prompt is a realistic
~1,500-character chat prompt with nothing to find in it, and one with an email (flagged).

Target: well under 0.1 ms per admit, so the proxy stays within +1 ms per call.

Run by hand:  python benchmarks/rules.py [--calls 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from costtui.config import RulesSettings
from costtui.models import Budget
from costtui.rules.engine import RuleEngine
from costtui.rules.filters import redact
from costtui.rules.policy import ProxyCall
from costtui.store import Store

PROMPT = (
    "You are a helpful assistant that summarises release notes for engineers. "
    "Summarise the following notes in five bullet points, keep version numbers such as 3.11.4 and "
    "dates such as 2026-12-01 exactly as written, and do not invent features. "
) * 5 + "Notes: the scheduler now retries failed jobs up to 3 times with backoff; the CLI gained --json."


def settings() -> RulesSettings:
    return RulesSettings(
        allow_models=["gpt-4o*", "anthropic:claude-*", "o3*", "gpt-5*"],
        block_models=["*-preview"],
        max_cost_per_call_usd="1.00",
        rpm_per_key=1_000_000,
        tpm_per_key=10_000_000_000,
        rpm_per_app=1_000_000,
        tpm_per_app=10_000_000_000,
        rpm_per_user=1_000_000,
        tpm_per_user=10_000_000_000,
        blocklist=["project falcon", "hunter2", "internal only", "do not share"],
        blocklist_action="flag",
        detect_email="flag",
        detect_phone="flag",
        detect_card="flag",
        detect_api_key="flag",
    )


async def measure(engine: RuleEngine, call: ProxyCall, n: int) -> list[float]:
    # Two calls with equal texts in distinct string objects, alternated: nothing about one call's
    # text is reused for the next, as in a proxy where every request brings its own body.
    calls = [call, dataclasses.replace(call, text="".join(list(call.text)))]
    times = []
    for i in range(n):
        call = calls[i % 2]
        t0 = time.perf_counter()
        decision = await engine.admit(call)
        t1 = time.perf_counter()
        assert decision.allowed, decision.message
        await engine.settle(call, decision, Decimal("0.0001"), 500)
        times.append(t1 - t0)
        # A proxy's loop runs other tasks between calls (the engine's background spend reads among them).
        await asyncio.sleep(0)
    return times


def report(label: str, times: list[float]) -> None:
    times.sort()
    p50 = statistics.median(times) * 1e6
    p99 = times[int(len(times) * 0.99)] * 1e6
    print(f"{label:<46} p50 {p50:6.1f} µs   p99 {p99:6.1f} µs   mean {statistics.fmean(times) * 1e6:6.1f} µs")


async def main(calls: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.db") as store:
        for name, scope, value in (("all", "all", None), ("team", "team", "core"), ("key", "key", "fp-bench")):
            store.budgets.add(
                Budget(name=name, scope=scope, scope_value=value, limit_usd=Decimal(1_000_000), enforce=True)
            )
        engine = RuleEngine(settings(), store)
        base = {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "operation": "chat",
            "key_fp": "fp-bench",
            "app": "bot",
            "user": "ann",
            "team": "core",
            "input_tokens_estimate": 400,
            "max_output_tokens": 500,
        }
        clean = ProxyCall(**base, text=PROMPT)  # type: ignore[arg-type]
        with_email = ProxyCall(**base, text=PROMPT + " Reply to ann@example.com.")  # type: ignore[arg-type]
        no_rules = RuleEngine(RulesSettings(), store)
        await measure(engine, clean, 500)  # warm up: prices, budgets and spend read once
        await measure(no_rules, clean, 500)
        print(f"admit() per call, {calls:,} sequential calls, prompt {len(PROMPT):,} characters")
        report("no [rules] settings, 3 enforced budgets", await measure(no_rules, clean, calls))
        report("all rules on, clean prompt", await measure(engine, clean, calls))
        report("all rules on, prompt with an email (flagged)", await measure(engine, with_email, calls))
        t0 = time.perf_counter()
        for _ in range(calls // 10):
            redact(PROMPT)
        print(f"{'redact() of the prompt':<46} mean {(time.perf_counter() - t0) / (calls // 10) * 1e6:6.1f} µs")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    asyncio.run(main(args.calls))
